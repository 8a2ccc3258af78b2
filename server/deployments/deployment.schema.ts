// Shared with the client: deployment statuses, steps and the inputs of the deployment procedures.
import * as z from "zod";
import { environmentSchema, projectIdInput } from "../projects/project.schema.ts";

export const DEPLOYMENT_STATUSES = [
  "queued",
  "building",
  "deploying",
  "live",
  "failed",
  "cancelled",
  "superseded",
] as const;
export type DeploymentStatus = (typeof DEPLOYMENT_STATUSES)[number];

export const TERMINAL_STATUSES: readonly DeploymentStatus[] = ["live", "failed", "cancelled", "superseded"];

export function isTerminal(status: string): boolean {
  return (TERMINAL_STATUSES as readonly string[]).includes(status);
}

/** The pipeline, in order. `building` covers resolve → build, `deploying` secrets → verify. */
export const DEPLOYMENT_STEPS = ["resolve", "source", "build", "secrets", "rollout", "verify"] as const;
export type DeploymentStep = (typeof DEPLOYMENT_STEPS)[number];

export const DEPLOYMENT_TRIGGERS = ["push", "manual", "redeploy", "rollback", "pull_request"] as const;
export type DeploymentTrigger = (typeof DEPLOYMENT_TRIGGERS)[number];

/** Rollbacks: the env vars as the rolled-back-to deployment had them, or as they are now. */
export const ENVIRONMENT_CHOICES = ["snapshot", "current"] as const;
export type EnvironmentChoice = (typeof ENVIRONMENT_CHOICES)[number];

export const deploymentIdInput = z.object({ deploymentId: z.uuid("Unknown deployment") });

export const listDeploymentsInput = projectIdInput.extend({
  environment: environmentSchema.optional(),
  /** Deployments numbered below this one (the page after). */
  before: z.number().int().positive().optional(),
  limit: z.number().int().min(1).max(100).default(20),
});

export const deployInput = projectIdInput;

export const rollbackInput = deploymentIdInput.extend({
  environmentChoice: z.enum(ENVIRONMENT_CHOICES),
});

export const deploymentLogsInput = deploymentIdInput.extend({
  /** Lines after this sequence number (0: from the start). */
  afterSeq: z.number().int().min(0).default(0),
  limit: z.number().int().min(1).max(5000).default(1000),
});

/** The live log: `lastEventId` (the last line's seq, sent back by EventSource on reconnect) resumes it. */
export const followDeploymentInput = deploymentIdInput.extend({
  lastEventId: z.string().max(20).nullish(),
});
