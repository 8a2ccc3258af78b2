import type { DbClient } from "../db/prisma.ts";
import type { Prisma } from "../db/generated/client.ts";
import type { Environment } from "./project.schema.ts";

const projectSelect = {
  id: true,
  organizationId: true,
  name: true,
  installationId: true,
  repositoryId: true,
  repositoryFullName: true,
  productionBranch: true,
  rootDirectory: true,
  dockerfilePath: true,
  flyConfigPath: true,
  flyAppName: true,
  region: true,
  autoDeploy: true,
  previewsEnabled: true,
  cancelInProgress: true,
  buildSource: true,
  imageTemplate: true,
  productionEnvChangedAt: true,
  previewEnvChangedAt: true,
  createdAt: true,
  updatedAt: true,
} satisfies Prisma.ProjectSelect;

export type ProjectRow = Prisma.ProjectGetPayload<{ select: typeof projectSelect }>;

/** A branch someone pushed to, and its repository as GitHub named it in the push. */
export type PushedBranch = { repositoryId: bigint; fullName: string; branch: string };

/**
 * Whether a project deploys a push: its branch, and its repository by GitHub's stable id or, for rows
 * from before ids were kept, by name in any case. The same rule as listTracking's query, per push.
 */
export function tracksPush(project: ProjectRow, push: PushedBranch): boolean {
  return (
    project.productionBranch === push.branch &&
    (project.repositoryId === push.repositoryId ||
      project.repositoryFullName.toLowerCase() === push.fullName.toLowerCase())
  );
}

export type NewProject = {
  organizationId: string;
  name: string;
  installationId: bigint;
  repositoryId: bigint;
  repositoryFullName: string;
  productionBranch: string;
  rootDirectory: string;
  dockerfilePath: string;
  flyConfigPath: string;
  flyAppName: string;
  region: string;
  autoDeploy: boolean;
  previewsEnabled: boolean;
  createdByUserId: string;
};

export type ProjectChanges = Partial<
  Pick<
    ProjectRow,
    | "name"
    | "productionBranch"
    | "rootDirectory"
    | "dockerfilePath"
    | "flyConfigPath"
    | "region"
    | "autoDeploy"
    | "previewsEnabled"
    | "cancelInProgress"
  >
>;

export function createProjectRepository() {
  return {
    /** Scoped by organisation, so another organisation's project id reads as missing. */
    find(db: DbClient, organizationId: string, projectId: string): Promise<ProjectRow | null> {
      return db.project.findFirst({ where: { id: projectId, organizationId }, select: projectSelect });
    },
    /** Any organisation's project: for the deployment worker, which acts on ids it stored itself. */
    findById(db: DbClient, projectId: string): Promise<ProjectRow | null> {
      return db.project.findUnique({ where: { id: projectId }, select: projectSelect });
    },
    /** Locks the project row until the transaction ends. */
    async lock(db: DbClient, organizationId: string, projectId: string): Promise<boolean> {
      const rows = await db.$queryRaw<{ id: string }[]>`
        SELECT id FROM project WHERE id = ${projectId}::uuid AND "organizationId" = ${organizationId} FOR UPDATE`;
      return rows.length > 0;
    },
    listForOrganization(db: DbClient, organizationId: string): Promise<ProjectRow[]> {
      return db.project.findMany({
        where: { organizationId },
        orderBy: { name: "asc" },
        select: projectSelect,
      });
    },
    /**
     * The projects that may deploy any of these pushes, oldest first, in one query: each has one of the
     * branches and one of the repositories. `tracksPush` then says which push each one deploys.
     */
    listTracking(db: DbClient, pushes: PushedBranch[]) {
      return db.project.findMany({
        where: {
          productionBranch: { in: [...new Set(pushes.map((push) => push.branch))] },
          OR: [
            { repositoryId: { in: [...new Set(pushes.map((push) => push.repositoryId))] } },
            {
              repositoryFullName: {
                in: [...new Set(pushes.map((push) => push.fullName))],
                mode: "insensitive",
              },
            },
          ],
        },
        select: projectSelect,
        orderBy: { createdAt: "asc" },
      });
    },
    nameTaken(db: DbClient, organizationId: string, name: string, exceptId?: string): Promise<boolean> {
      return db.project
        .count({ where: { organizationId, name, ...(exceptId ? { id: { not: exceptId } } : {}) } })
        .then((count) => count > 0);
    },
    appNameTaken(db: DbClient, flyAppName: string): Promise<boolean> {
      return db.project.count({ where: { flyAppName } }).then((count) => count > 0);
    },
    insert(db: DbClient, project: NewProject): Promise<ProjectRow> {
      return db.project.create({ data: project, select: projectSelect });
    },
    update(db: DbClient, projectId: string, changes: ProjectChanges): Promise<ProjectRow> {
      return db.project.update({ where: { id: projectId }, data: changes, select: projectSelect });
    },
    async delete(db: DbClient, projectId: string): Promise<void> {
      await db.project.delete({ where: { id: projectId } });
    },
    /** When each environment's current variables last reached Fly with a deployment that went live. */
    async lastLiveSync(db: DbClient, projectId: string): Promise<Record<Environment, Date | null>> {
      const rows = await db.deployment.groupBy({
        by: ["environment"],
        // A rollback that restored an old snapshot did not put the current values on Fly.
        where: {
          projectId,
          status: "live",
          environmentSyncedAt: { not: null },
          OR: [{ environmentChoice: null }, { environmentChoice: { not: "snapshot" } }],
        },
        _max: { environmentSyncedAt: true },
      });
      const at = (environment: Environment) =>
        rows.find((row) => row.environment === environment)?._max.environmentSyncedAt ?? null;
      return { production: at("production"), preview: at("preview") };
    },
    async hasActiveDeployment(db: DbClient, projectId: string): Promise<boolean> {
      const count = await db.deployment.count({
        where: { projectId, status: { in: ["building", "deploying"] } },
      });
      return count > 0;
    },
    async markEnvironmentChanged(db: DbClient, projectId: string, environment: Environment): Promise<void> {
      const now = new Date();
      await db.project.update({
        where: { id: projectId },
        data: environment === "production" ? { productionEnvChangedAt: now } : { previewEnvChangedAt: now },
        select: { id: true },
      });
    },
  };
}

export type ProjectRepository = ReturnType<typeof createProjectRepository>;
