// Helpers for deployment tests: push a commit on the GitHub emulator and wait for what Hangar makes of it.
import type { ProjectWorld } from "./projects.ts";

export type DeploymentSummary = {
  id: string;
  number: number;
  status: string;
  step: string | null;
  failedStep: string | null;
  failureReason: string | null;
  imageRef: string | null;
  commitSha: string;
  trigger: string;
};

export async function pushCommit(
  world: ProjectWorld,
  input: {
    repository?: string;
    branch?: string;
    message?: string;
    files?: Record<string, string | null>;
  } = {},
): Promise<string> {
  const { sha } = await world.github.control<{ sha: string }>(
    `/repos/${input.repository ?? "acme/web"}/push`,
    {
      branch: input.branch ?? "main",
      ...(input.message ? { message: input.message } : {}),
      ...(input.files ? { files: input.files } : {}),
      author: "octocat",
    },
  );
  return sha;
}

const TERMINAL = new Set(["live", "failed", "cancelled", "superseded"]);

/** Polls the project's deployments until `predicate` holds for one of them (or times out). */
export async function waitForDeployment(
  world: ProjectWorld,
  projectId: string,
  predicate: (deployment: DeploymentSummary) => boolean,
  timeoutMs = 20_000,
): Promise<DeploymentSummary> {
  const caller = await world.callerFor(world.cookie);
  const deadline = Date.now() + timeoutMs;
  let last: DeploymentSummary[] = [];
  while (Date.now() < deadline) {
    last = await caller.deployment.list({ organizationId: world.organizationId, projectId, limit: 50 });
    const found = last.find(predicate);
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(
    `timed out waiting for a deployment; saw ${JSON.stringify(last.map((d) => [d.number, d.status, d.step, d.failureReason]))}`,
  );
}

export const isTerminalDeployment = (deployment: DeploymentSummary) => TERMINAL.has(deployment.status);
