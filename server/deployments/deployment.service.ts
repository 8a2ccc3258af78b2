// Requesting, listing and cancelling deployments (SPEC §5.6). A request is one transaction: the next
// number, the queued deployments it supersedes, the new row and its jobs commit together, so a push is
// never half-recorded. The run itself is the worker's (deployment.runner.ts).
import type { AuditService } from "../audit/audit.service.ts";
import type { Database, DbClient } from "../db/prisma.ts";
import { AppError } from "../errors.ts";
import type { GitHubClient } from "../github/github-client.ts";
import type { ProjectRepository, ProjectRow } from "../projects/project.repository.ts";
import { projectNotFound } from "../projects/project.service.ts";
import type { Environment } from "../projects/project.schema.ts";
import { QUEUES, type Queue, prismaExecutor } from "../queue/queue.ts";
import { currentCorrelation } from "../observability/context.ts";
import type { DeploymentLogStore } from "./deployment-log.ts";
import type { DeploymentRepository, DeploymentRow, NewDeployment } from "./deployment.repository.ts";
import { type EnvironmentChoice, isTerminal } from "./deployment.schema.ts";

export function deploymentNotFound(): AppError {
  return new AppError("NOT_FOUND", "No such deployment in this organization.", {
    reason: "DEPLOYMENT_NOT_FOUND",
  });
}

export type DeploymentView = Omit<DeploymentRow, "githubDeploymentId"> & {
  githubDeploymentId: number | null;
  durationMs: number | null;
};

export function toDeploymentView(row: DeploymentRow): DeploymentView {
  const end = row.finishedAt ?? (isTerminal(row.status) ? null : new Date());
  return {
    ...row,
    githubDeploymentId: row.githubDeploymentId === null ? null : Number(row.githubDeploymentId),
    durationMs: row.startedAt && end ? end.getTime() - row.startedAt.getTime() : null,
  };
}

/** A new deployment of the same app and commit as `source` (a redeploy or a rollback). */
function repeating(source: DeploymentRow) {
  return {
    environment: source.environment as Environment,
    flyAppName: source.flyAppName,
    pullRequestNumber: source.pullRequestNumber,
    branch: source.branch,
    commitSha: source.commitSha,
    commitMessage: source.commitMessage,
    commitAuthor: source.commitAuthor,
    sourceDeploymentId: source.id,
  };
}

export type DeploymentRequest = Omit<NewDeployment, "projectId" | "flyAppName" | "environment"> & {
  environment?: Environment;
  flyAppName?: string;
};

export function createDeploymentService(deps: {
  db: Database;
  repository: DeploymentRepository;
  projects: ProjectRepository;
  logs: DeploymentLogStore;
  queue: Pick<Queue, "insertInTransaction">;
  github: GitHubClient | undefined;
  audit: AuditService;
}) {
  const { db, repository, audit } = deps;

  async function enqueue(tx: DbClient, name: "deploymentRun" | "deploymentFeedback", ids: string[]) {
    const correlationId = currentCorrelation()?.requestId ?? "deployment";
    await deps.queue.insertInTransaction(
      prismaExecutor(tx),
      QUEUES[name],
      ids.map((deploymentId) => ({ correlationId, deploymentId })),
    );
  }

  /**
   * Records a deployment request inside `tx`: supersedes the app's queued deployments (the newest
   * request wins), asks a running one to stop when the project cancels in progress, and enqueues the
   * run and the GitHub feedback.
   */
  async function request(
    tx: DbClient,
    project: ProjectRow,
    input: DeploymentRequest,
  ): Promise<DeploymentRow> {
    const number = await repository.allocateNumber(tx, project.id);
    const flyAppName = input.flyAppName ?? project.flyAppName;
    const superseded = await repository.supersedeQueued(tx, flyAppName, number);
    const deployment = await repository.insert(tx, number, {
      ...input,
      projectId: project.id,
      environment: input.environment ?? "production",
      flyAppName,
    });
    if (project.cancelInProgress) {
      const running = await repository.running(tx, flyAppName);
      if (running) await repository.requestCancel(tx, running.id, input.requestedByUserId ?? "system");
    }
    await enqueue(tx, "deploymentRun", [deployment.id]);
    await enqueue(tx, "deploymentFeedback", [deployment.id, ...superseded]);
    return deployment;
  }

  async function requireDeployment(organizationId: string, deploymentId: string): Promise<DeploymentRow> {
    const deployment = await repository.findInOrganization(db, organizationId, deploymentId);
    if (!deployment) throw deploymentNotFound();
    return deployment;
  }

  async function requireProject(organizationId: string, projectId: string): Promise<ProjectRow> {
    const project = await deps.projects.find(db, organizationId, projectId);
    if (!project) throw projectNotFound();
    return project;
  }

  function requireGitHub(): GitHubClient {
    if (!deps.github) {
      throw new AppError("PRECONDITION_FAILED", "No GitHub App is configured for this Hangar.", {
        reason: "GITHUB_NOT_CONFIGURED",
      });
    }
    return deps.github;
  }

  async function requestAudited(
    project: ProjectRow,
    input: DeploymentRequest,
    action: "deployment.deploy" | "deployment.redeploy" | "deployment.rollback",
    actorUserId: string,
  ): Promise<DeploymentView> {
    return db.$transaction(async (tx) => {
      const deployment = await request(tx, project, { ...input, requestedByUserId: actorUserId });
      await audit.record(tx, {
        action,
        actorUserId,
        organizationId: project.organizationId,
        targetType: "deployment",
        targetId: deployment.id,
        metadata: { project: project.name, number: deployment.number, commitSha: deployment.commitSha },
      });
      return toDeploymentView(deployment);
    });
  }

  return {
    request,

    async list(input: {
      organizationId: string;
      projectId: string;
      environment?: Environment | undefined;
      before?: number | undefined;
      limit: number;
    }): Promise<DeploymentView[]> {
      await requireProject(input.organizationId, input.projectId);
      const rows = await repository.listForProject(db, input.projectId, input);
      return rows.map(toDeploymentView);
    },

    get: async (organizationId: string, deploymentId: string) =>
      toDeploymentView(await requireDeployment(organizationId, deploymentId)),

    requireDeployment,

    /** Deploys the head of the production branch as GitHub has it now. */
    async deploy(input: { organizationId: string; projectId: string; actorUserId: string }) {
      const project = await requireProject(input.organizationId, input.projectId);
      const [owner = "", repo = ""] = project.repositoryFullName.split("/");
      const github = requireGitHub();
      const installationId = Number(project.installationId);
      const branch = await github.installation.getBranch(
        installationId,
        owner,
        repo,
        project.productionBranch,
      );
      if (!branch) {
        throw new AppError(
          "PRECONDITION_FAILED",
          `Branch ${project.productionBranch} does not exist in ${project.repositoryFullName}.`,
          { reason: "BRANCH_NOT_FOUND" },
        );
      }
      const commit = await github.installation.getCommit(installationId, owner, repo, branch.commitSha);
      return requestAudited(
        project,
        {
          trigger: "manual",
          branch: project.productionBranch,
          commitSha: branch.commitSha,
          commitMessage: commit?.message ?? null,
          commitAuthor: commit?.authorLogin ?? commit?.authorName ?? null,
        },
        "deployment.deploy",
        input.actorUserId,
      );
    },

    /** The same commit, built again. */
    async redeploy(input: { organizationId: string; deploymentId: string; actorUserId: string }) {
      const source = await requireDeployment(input.organizationId, input.deploymentId);
      const project = await requireProject(input.organizationId, source.projectId);
      return requestAudited(
        project,
        {
          ...repeating(source),
          trigger: "redeploy",
        },
        "deployment.redeploy",
        input.actorUserId,
      );
    },

    /** A past live deployment's image, without a rebuild; env vars as they were or as they are. */
    async rollback(input: {
      organizationId: string;
      deploymentId: string;
      environmentChoice: EnvironmentChoice;
      actorUserId: string;
    }) {
      const source = await requireDeployment(input.organizationId, input.deploymentId);
      if (!source.imageRef || !source.finishedAt || source.failedStep !== null || source.status !== "live") {
        throw new AppError(
          "PRECONDITION_FAILED",
          `Deployment #${source.number} never went live, so there is no image to roll back to.`,
          { reason: "ROLLBACK_TARGET_NOT_LIVE" },
        );
      }
      const project = await requireProject(input.organizationId, source.projectId);
      return requestAudited(
        project,
        {
          ...repeating(source),
          trigger: "rollback",
          environmentChoice: input.environmentChoice,
          imageRef: source.imageRef,
        },
        "deployment.rollback",
        input.actorUserId,
      );
    },

    /**
     * A queued deployment is cancelled at once; a running one is asked to stop, and its worker restores
     * the previous release and marks it cancelled.
     */
    async cancel(input: { organizationId: string; deploymentId: string; actorUserId: string }) {
      const deployment = await requireDeployment(input.organizationId, input.deploymentId);
      if (isTerminal(deployment.status)) {
        throw new AppError(
          "CONFLICT",
          `Deployment #${deployment.number} has already ended (${deployment.status}).`,
          {
            reason: "DEPLOYMENT_ALREADY_ENDED",
          },
        );
      }
      await db.$transaction(async (tx) => {
        if (deployment.status === "queued") {
          const cancelled = await repository.finish(tx, deployment.id, null, {
            status: "cancelled",
            failureReason: "cancelled before it started",
          });
          if (cancelled) await enqueue(tx, "deploymentFeedback", [deployment.id]);
          const next = await repository.nextQueued(tx, deployment.flyAppName);
          if (next) await enqueue(tx, "deploymentRun", [next]);
        } else {
          await repository.requestCancel(tx, deployment.id, input.actorUserId);
        }
        await audit.record(tx, {
          action: "deployment.cancel",
          actorUserId: input.actorUserId,
          organizationId: input.organizationId,
          targetType: "deployment",
          targetId: deployment.id,
          metadata: { number: deployment.number, status: deployment.status },
        });
      });
      await deps.logs.notify(deployment.id);
      return toDeploymentView((await repository.find(db, deployment.id)) ?? deployment);
    },

    async logs(input: { organizationId: string; deploymentId: string; afterSeq: number; limit: number }) {
      await requireDeployment(input.organizationId, input.deploymentId);
      return deps.logs.read(input.deploymentId, input.afterSeq, input.limit);
    },
  };
}

export type DeploymentService = ReturnType<typeof createDeploymentService>;
