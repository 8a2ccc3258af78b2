import {
  type DeploymentStatus,
  type DeploymentStep,
  type DeploymentTrigger,
  isTerminal,
} from "../../../../server/deployments/deployment.schema.ts";
import type { RouterOutputs } from "../../lib/trpc.ts";

export type Deployment = RouterOutputs["deployment"]["byId"];
export type LogLine = RouterOutputs["deployment"]["logs"][number];

export const STATUS_LABELS: Record<DeploymentStatus, string> = {
  queued: "queued",
  building: "building",
  deploying: "deploying",
  live: "live",
  failed: "failed",
  cancelled: "cancelled",
  superseded: "superseded",
};

export const TRIGGER_LABELS: Record<DeploymentTrigger, string> = {
  push: "Push",
  manual: "Manual",
  redeploy: "Redeploy",
  rollback: "Rollback",
  pull_request: "Pull request",
};

export const STEP_LABELS: Record<DeploymentStep, string> = {
  resolve: "Resolve",
  source: "Source",
  build: "Build",
  secrets: "Secrets",
  rollout: "Rollout",
  verify: "Verify",
};

/** A label for a value the API keeps as a plain string, falling back to the value itself. */
export function labelOf<K extends string>(labels: Record<K, string>, value: string | null): string {
  if (value === null) return "—";
  return (labels as Record<string, string | undefined>)[value] ?? value;
}

export function shortSha(sha: string): string {
  return sha.slice(0, 7);
}

export function firstLine(message: string | null): string {
  return message?.split("\n", 1)[0]?.trim() ?? "";
}

/** Queued or running, and not already asked to stop. */
export function canCancel(deployment: Deployment): boolean {
  return !isTerminal(deployment.status) && deployment.cancelRequestedAt === null;
}

/** The same commit, built again: any deployment that has ended. */
export function canRedeploy(deployment: Deployment): boolean {
  return isTerminal(deployment.status);
}

/**
 * A past release: it went live (with an image) and a newer deployment of the same app went live after
 * it. The newest live one is what runs now, so rolling back to it would change nothing.
 */
export function isPastRelease(deployment: Deployment, others: readonly Deployment[]): boolean {
  if (deployment.status !== "live" || !deployment.imageRef || deployment.failedStep !== null) return false;
  return others.some(
    (other) =>
      other.status === "live" &&
      other.flyAppName === deployment.flyAppName &&
      other.number > deployment.number,
  );
}

export function deploymentPath(deploymentId: string): string {
  return `/deployments/${deploymentId}`;
}
