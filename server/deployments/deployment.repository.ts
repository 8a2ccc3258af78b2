import type { DbClient } from "../db/prisma.ts";
import type { Prisma } from "../db/generated/client.ts";
import type { Environment } from "../projects/project.schema.ts";
import type { DeploymentStatus, DeploymentStep, DeploymentTrigger } from "./deployment.schema.ts";

const deploymentSelect = {
  id: true,
  projectId: true,
  number: true,
  environment: true,
  flyAppName: true,
  pullRequestNumber: true,
  trigger: true,
  status: true,
  step: true,
  branch: true,
  commitSha: true,
  commitMessage: true,
  commitAuthor: true,
  sourceDeploymentId: true,
  environmentChoice: true,
  imageRef: true,
  releaseVersion: true,
  machines: true,
  githubDeploymentId: true,
  githubStatus: true,
  requestedByUserId: true,
  webhookDeliveryId: true,
  failedStep: true,
  failureReason: true,
  cancelRequestedAt: true,
  attempts: true,
  createdAt: true,
  startedAt: true,
  stepStartedAt: true,
  finishedAt: true,
  environmentSyncedAt: true,
} satisfies Prisma.DeploymentSelect;

export type DeploymentRow = Prisma.DeploymentGetPayload<{ select: typeof deploymentSelect }>;

/** What the pipeline needs besides the row: where it stopped and what the steps produced. */
export type RunnableDeployment = DeploymentRow & { checkpoint: Checkpoint; leaseOwner: string | null };

/** Outputs of finished steps, so a resumed run skips them. */
export type Checkpoint = {
  flyConfig?: string | null;
  imageRef?: string;
  secretsVersion?: number | null;
  previousImageRef?: string | null;
};

export type NewDeployment = {
  projectId: string;
  environment: Environment;
  flyAppName: string;
  trigger: DeploymentTrigger;
  branch: string;
  commitSha: string;
  commitMessage: string | null;
  commitAuthor: string | null;
  sourceDeploymentId?: string | null;
  environmentChoice?: string | null;
  imageRef?: string | null;
  pullRequestNumber?: number | null;
  webhookDeliveryId?: string | null;
  requestedByUserId?: string | null;
};

export type ClaimResult =
  | { kind: "claimed"; deployment: RunnableDeployment }
  /** Another deployment of the same app is running; this one waits for it. */
  | { kind: "blocked" }
  /** Finished already, or a live worker holds it. */
  | { kind: "unavailable" };

function isUniqueViolation(error: unknown): boolean {
  const candidate = error as { code?: unknown; meta?: { code?: unknown }; cause?: { code?: unknown } } | null;
  return (
    candidate?.code === "23505" ||
    candidate?.code === "P2002" ||
    candidate?.meta?.code === "23505" ||
    candidate?.cause?.code === "23505" ||
    /23505|unique constraint/i.test(String((error as Error | null)?.message ?? ""))
  );
}

export function createDeploymentRepository() {
  return {
    /** Takes the project's next number; the row lock also serialises requests per project. */
    async allocateNumber(db: DbClient, projectId: string): Promise<number> {
      const rows = await db.$queryRaw<{ lastDeploymentNumber: number }[]>`
        UPDATE project SET "lastDeploymentNumber" = "lastDeploymentNumber" + 1
        WHERE id = ${projectId}::uuid RETURNING "lastDeploymentNumber"`;
      const row = rows[0];
      if (!row) throw new Error(`project ${projectId} vanished`);
      return row.lastDeploymentNumber;
    },

    /** Queued deployments of the app that a newer request replaces; the latest commit wins. */
    async supersedeQueued(db: DbClient, flyAppName: string, byNumber: number): Promise<string[]> {
      const rows = await db.$queryRaw<{ id: string }[]>`
        UPDATE deployment SET status = 'superseded', "finishedAt" = now(), "updatedAt" = now(),
          "failureReason" = ${`superseded by #${byNumber}`}
        WHERE "flyAppName" = ${flyAppName} AND status = 'queued' RETURNING id`;
      return rows.map((row) => row.id);
    },

    insert(db: DbClient, number: number, deployment: NewDeployment): Promise<DeploymentRow> {
      return db.deployment.create({ data: { ...deployment, number }, select: deploymentSelect });
    },

    find(db: DbClient, deploymentId: string): Promise<DeploymentRow | null> {
      return db.deployment.findUnique({ where: { id: deploymentId }, select: deploymentSelect });
    },

    /** The deployment if it belongs to one of the organisation's projects. */
    findInOrganization(db: DbClient, organizationId: string, deploymentId: string) {
      return db.deployment.findFirst({
        where: { id: deploymentId, project: { organizationId } },
        select: deploymentSelect,
      });
    },

    listForProject(
      db: DbClient,
      projectId: string,
      filter: { environment?: Environment | undefined; before?: number | undefined; limit: number },
    ): Promise<DeploymentRow[]> {
      return db.deployment.findMany({
        where: {
          projectId,
          ...(filter.environment ? { environment: filter.environment } : {}),
          ...(filter.before ? { number: { lt: filter.before } } : {}),
        },
        orderBy: { number: "desc" },
        take: filter.limit,
        select: deploymentSelect,
      });
    },

    /** The latest live deployment of an app, optionally before a given one. */
    lastLive(db: DbClient, flyAppName: string, beforeNumber?: number) {
      return db.deployment.findFirst({
        where: {
          flyAppName,
          status: "live",
          ...(beforeNumber === undefined ? {} : { number: { lt: beforeNumber } }),
        },
        orderBy: { finishedAt: "desc" },
        select: { ...deploymentSelect, encryptedEnvironment: true },
      });
    },

    /** What Hangar last set on the app: its latest other deployment that synced secrets. */
    lastSynced(db: DbClient, flyAppName: string, exceptId: string) {
      return db.deployment.findFirst({
        where: { flyAppName, id: { not: exceptId }, encryptedEnvironment: { not: null } },
        orderBy: { environmentSyncedAt: "desc" },
        select: { id: true, encryptedEnvironment: true },
      });
    },

    sealedEnvironment(db: DbClient, deploymentId: string) {
      return db.deployment.findUnique({
        where: { id: deploymentId },
        select: { encryptedEnvironment: true },
      });
    },

    /**
     * Takes the deployment for `owner` until `ttlSeconds` from now: a queued one starts building, a
     * running one whose lease expired (its worker died) is resumed. The partial unique index on running
     * deployments per app turns a second concurrent start into `blocked`.
     */
    async claim(db: DbClient, deploymentId: string, owner: string, ttlSeconds: number): Promise<ClaimResult> {
      try {
        const rows = await db.$queryRaw<{ id: string }[]>`
          UPDATE deployment SET
            status = CASE WHEN status = 'queued' THEN 'building' ELSE status END,
            "leaseOwner" = ${owner},
            "leaseExpiresAt" = now() + make_interval(secs => ${ttlSeconds}),
            attempts = attempts + 1,
            "startedAt" = COALESCE("startedAt", now()),
            "updatedAt" = now()
          WHERE id = ${deploymentId}::uuid
            AND status IN ('queued', 'building', 'deploying')
            AND ("leaseOwner" IS NULL OR "leaseExpiresAt" < now())
          RETURNING id`;
        if (rows.length === 0) return { kind: "unavailable" };
      } catch (error) {
        if (isUniqueViolation(error)) return { kind: "blocked" };
        throw error;
      }
      const deployment = await db.deployment.findUniqueOrThrow({
        where: { id: deploymentId },
        select: { ...deploymentSelect, checkpoint: true, leaseOwner: true },
      });
      return {
        kind: "claimed",
        deployment: { ...deployment, checkpoint: (deployment.checkpoint ?? {}) as Checkpoint },
      };
    },

    /** Extends the lease; null when it was lost (another worker took over after it expired). */
    async heartbeat(
      db: DbClient,
      deploymentId: string,
      owner: string,
      ttlSeconds: number,
    ): Promise<{ cancelRequested: boolean } | null> {
      const rows = await db.$queryRaw<{ cancelRequestedAt: Date | null }[]>`
        UPDATE deployment SET "leaseExpiresAt" = now() + make_interval(secs => ${ttlSeconds})
        WHERE id = ${deploymentId}::uuid AND "leaseOwner" = ${owner}
          AND status IN ('building', 'deploying')
        RETURNING "cancelRequestedAt"`;
      const row = rows[0];
      return row ? { cancelRequested: row.cancelRequestedAt !== null } : null;
    },

    /** Records the step now running (and what earlier steps produced), if the lease is still ours. */
    async advance(
      db: DbClient,
      deploymentId: string,
      owner: string,
      change: {
        status: "building" | "deploying";
        step: DeploymentStep;
        checkpoint: Checkpoint;
      },
    ): Promise<boolean> {
      const result = await db.deployment.updateMany({
        where: { id: deploymentId, leaseOwner: owner, status: { in: ["building", "deploying"] } },
        data: {
          status: change.status,
          step: change.step,
          stepStartedAt: new Date(),
          checkpoint: change.checkpoint,
          ...(change.checkpoint.imageRef ? { imageRef: change.checkpoint.imageRef } : {}),
        },
      });
      return result.count === 1;
    },

    async recordEnvironment(
      db: DbClient,
      deploymentId: string,
      owner: string,
      sealed: string,
    ): Promise<void> {
      await db.deployment.updateMany({
        where: { id: deploymentId, leaseOwner: owner },
        data: { encryptedEnvironment: sealed, environmentSyncedAt: new Date() },
      });
    },

    /** Ends a run: terminal status, lease released. False when the lease was no longer ours. */
    async finish(
      db: DbClient,
      deploymentId: string,
      owner: string | null,
      outcome: {
        status: Extract<DeploymentStatus, "live" | "failed" | "cancelled">;
        failedStep?: string | null;
        failureReason?: string | null;
        releaseVersion?: number | null;
        machines?: Prisma.InputJsonValue;
      },
    ): Promise<boolean> {
      const result = await db.deployment.updateMany({
        where: {
          id: deploymentId,
          status: { in: ["queued", "building", "deploying"] },
          ...(owner === null ? {} : { leaseOwner: owner }),
        },
        data: {
          status: outcome.status,
          failedStep: outcome.failedStep ?? null,
          failureReason: outcome.failureReason ?? null,
          ...(outcome.releaseVersion === undefined ? {} : { releaseVersion: outcome.releaseVersion }),
          ...(outcome.machines === undefined ? {} : { machines: outcome.machines }),
          finishedAt: new Date(),
          leaseOwner: null,
          leaseExpiresAt: null,
        },
      });
      return result.count === 1;
    },

    /** The oldest queued deployment of the app: it runs next. */
    async nextQueued(db: DbClient, flyAppName: string): Promise<string | null> {
      const row = await db.deployment.findFirst({
        where: { flyAppName, status: "queued" },
        orderBy: { createdAt: "asc" },
        select: { id: true },
      });
      return row?.id ?? null;
    },

    async running(db: DbClient, flyAppName: string) {
      return db.deployment.findFirst({
        where: { flyAppName, status: { in: ["building", "deploying"] } },
        select: { id: true, number: true },
      });
    },

    async requestCancel(db: DbClient, deploymentId: string, userId: string): Promise<void> {
      await db.deployment.updateMany({
        where: { id: deploymentId, cancelRequestedAt: null },
        data: { cancelRequestedAt: new Date(), cancelRequestedBy: userId },
      });
    },

    /** Running deployments whose worker stopped renewing its lease. */
    async expiredLeases(db: DbClient) {
      return db.deployment.findMany({
        where: { status: { in: ["building", "deploying"] }, leaseExpiresAt: { lt: new Date() } },
        select: { id: true, attempts: true, step: true, cancelRequestedAt: true },
      });
    },

    /** Deployments past an age limit: queued too long, or running too long. */
    overdue(db: DbClient, limits: { queuedBefore: Date; startedBefore: Date }) {
      return db.deployment.findMany({
        where: {
          OR: [
            { status: "queued", createdAt: { lt: limits.queuedBefore } },
            {
              status: { in: ["building", "deploying"] },
              startedAt: { lt: limits.startedBefore },
              cancelRequestedAt: null,
            },
          ],
        },
        select: { id: true },
      });
    },

    /** Queued deployments that nothing is running ahead of and that have waited a while. */
    async waitingQueued(db: DbClient, olderThan: Date) {
      return db.$queryRaw<{ id: string; createdAt: Date }[]>`
        SELECT q.id, q."createdAt" FROM deployment q
        WHERE q.status = 'queued' AND q."createdAt" < ${olderThan}
          AND NOT EXISTS (
            SELECT 1 FROM deployment r
            WHERE r."flyAppName" = q."flyAppName" AND r.status IN ('building', 'deploying'))`;
    },

    async setGitHub(
      db: DbClient,
      deploymentId: string,
      change: { githubDeploymentId?: bigint; githubStatus?: string },
    ): Promise<void> {
      await db.deployment.update({ where: { id: deploymentId }, data: change, select: { id: true } });
    },

    /** Serialises GitHub feedback for one deployment until the transaction ends, across processes. */
    async lockFeedback(db: DbClient, deploymentId: string): Promise<void> {
      await db.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`deployment-feedback:${deploymentId}`}))`;
    },
  };
}

export type DeploymentRepository = ReturnType<typeof createDeploymentRepository>;
