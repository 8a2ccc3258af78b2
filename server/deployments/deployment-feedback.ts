// GitHub feedback (SPEC §5.6): one GitHub Deployment per deployment and a status for each change:
// queued, in_progress, success (with the app's URL), failure, and inactive for superseded or cancelled
// ones. A job posts whatever the row says now, under a per-deployment lock, so statuses reach GitHub in
// order even when several workers handle jobs for one deployment.
import type { Database } from "../db/prisma.ts";
import type { GitHubClient } from "../github/github-client.ts";
import type { ProjectRepository } from "../projects/project.repository.ts";
import type { DeploymentRepository } from "./deployment.repository.ts";

type GitHubState = "queued" | "in_progress" | "success" | "failure" | "inactive";

const STATE_FOR: Record<string, GitHubState> = {
  queued: "queued",
  building: "in_progress",
  deploying: "in_progress",
  live: "success",
  failed: "failure",
  cancelled: "inactive",
  superseded: "inactive",
};

const DESCRIPTION: Record<string, string> = {
  queued: "Queued",
  building: "Building",
  deploying: "Deploying",
  live: "Live",
  failed: "Failed",
  cancelled: "Cancelled",
  superseded: "Superseded by a newer deployment",
};

export function createDeploymentFeedback(deps: {
  db: Database;
  repository: DeploymentRepository;
  projects: ProjectRepository;
  github: GitHubClient;
  /** Where a person reads the deployment: its page in Hangar's dashboard. */
  deploymentUrl: (deploymentId: string) => string;
  /** Where the app answers once live. */
  appUrl: (flyAppName: string) => string;
}) {
  const { db, repository } = deps;

  return {
    async sync(deploymentId: string): Promise<void> {
      await db.$transaction(
        async (tx) => {
          await repository.lockFeedback(tx, deploymentId);
          const deployment = await repository.find(tx, deploymentId);
          if (!deployment) return;
          const state = STATE_FOR[deployment.status];
          if (!state || deployment.githubStatus === state) return;
          const project = await deps.projects.findById(tx, deployment.projectId);
          if (!project) return;
          const [owner = "", repo = ""] = project.repositoryFullName.split("/");
          const installationId = Number(project.installationId);

          let githubDeploymentId = deployment.githubDeploymentId;
          if (githubDeploymentId === null) {
            // Nothing on GitHub to mark inactive for a deployment that ended before it was announced.
            if (state === "inactive") return;
            const created = await deps.github.installation.createDeployment(installationId, owner, repo, {
              ref: deployment.commitSha,
              environment:
                deployment.environment === "production"
                  ? `${project.name} – production`
                  : `${project.name} – preview`,
              description: `Hangar deployment #${deployment.number} to ${deployment.flyAppName}`,
              productionEnvironment: deployment.environment === "production",
              transientEnvironment: deployment.environment !== "production",
            });
            githubDeploymentId = BigInt(created.id);
            await repository.setGitHub(tx, deploymentId, { githubDeploymentId });
          }
          const post = (postedState: GitHubState, description: string) =>
            deps.github.installation.createDeploymentStatus(
              installationId,
              owner,
              repo,
              Number(githubDeploymentId),
              {
                state: postedState,
                logUrl: deps.deploymentUrl(deploymentId),
                ...(postedState === "success" ? { environmentUrl: deps.appUrl(deployment.flyAppName) } : {}),
                description: description.slice(0, 140),
              },
            );
          // GitHub shows each deployment's history: every one was queued, and one that started was in
          // progress, even when it had moved on by the time this job ran.
          if (deployment.githubStatus === null && state !== "queued") {
            await post("queued", DESCRIPTION.queued ?? "Queued");
          }
          const started = deployment.startedAt !== null;
          if (started && state !== "in_progress" && deployment.githubStatus !== "in_progress") {
            await post("in_progress", DESCRIPTION.building ?? "Building");
          }
          await post(state, deployment.failureReason ?? DESCRIPTION[deployment.status] ?? deployment.status);
          await repository.setGitHub(tx, deploymentId, { githubStatus: state });
        },
        { timeout: 60_000, maxWait: 10_000 },
      );
    },
  };
}

export type DeploymentFeedback = ReturnType<typeof createDeploymentFeedback>;
