// What a push means for Hangar's projects (SPEC §5.6): every project that tracks the pushed branch with
// auto-deploy on gets a deployment, requested in the webhook's own transaction, and the delivery's
// outcome says which ("deployment #42 queued").
import type { DbClient } from "../db/prisma.ts";
import {
  type ProjectRepository,
  type ProjectRow,
  type PushedBranch,
  tracksPush,
} from "../projects/project.repository.ts";
import { sanitizeText } from "../webhooks/sanitize.ts";
import type { BranchPush, Outcome, ProjectMatcher } from "../webhooks/webhook.processor.ts";
import type { DeploymentService } from "./deployment.service.ts";

export function createDeploymentTriggers(deps: {
  projects: ProjectRepository;
  deployments: Pick<DeploymentService, "request">;
}): ProjectMatcher {
  return {
    async matchPushes(lookupDb, pushes) {
      const tracking = await deps.projects.listTracking(lookupDb, pushes.map(pushedBranch));
      return (db, push) => {
        const pushed = pushedBranch(push);
        return decide(
          db,
          push,
          tracking.filter((project) => tracksPush(project, pushed)),
        );
      };
    },

    onPullRequest: (_db, pullRequest) =>
      Promise.resolve({
        status: "ignored",
        reason: sanitizeText(`ignored: pull request previews are not built yet (${pullRequest.repository})`),
      }),
  };

  async function decide(db: DbClient, push: BranchPush, tracking: ProjectRow[]): Promise<Outcome> {
    if (tracking.length === 0) {
      return { status: "ignored", reason: `ignored: no project tracks ${push.repository}@${push.branch}` };
    }
    const enabled = tracking.filter((project) => project.autoDeploy);
    if (enabled.length === 0) {
      const names = tracking.map((project) => project.name).join(", ");
      return { status: "ignored", reason: sanitizeText(`ignored: auto-deploy is off for ${names}`) };
    }
    const head = push.payload.head_commit;
    const queued: string[] = [];
    for (const project of enabled) {
      const deployment = await deps.deployments.request(db, project, {
        trigger: "push",
        branch: push.branch,
        commitSha: push.payload.after,
        commitMessage: head ? sanitizeText(head.message, 10_000) : null,
        commitAuthor: head?.author
          ? sanitizeText(head.author.username ?? head.author.name ?? "", 200) || null
          : null,
        webhookDeliveryId: push.deliveryRowId,
      });
      queued.push(enabled.length === 1 ? `#${deployment.number}` : `${project.name} #${deployment.number}`);
    }
    const reason =
      queued.length === 1
        ? `deployment ${queued[0] ?? ""} queued`
        : `deployments ${queued.join(", ")} queued`;
    return { status: "processed", reason: sanitizeText(reason) };
  }
}

function pushedBranch(push: BranchPush): PushedBranch {
  return { repositoryId: BigInt(push.payload.repository.id), fullName: push.repository, branch: push.branch };
}
