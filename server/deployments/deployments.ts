// Wires the deployment capability's worker side: the runner, the GitHub feedback, the sweeper, and the
// push trigger the webhook processor calls. main.ts and the test harness both build it here.
import os from "node:os";
import path from "node:path";
import type { Database } from "../db/prisma.ts";
import type { Encryption } from "../crypto/encryption.ts";
import type { GitHubClient } from "../github/github-client.ts";
import type { Logger } from "../observability/logger.ts";
import type { Metrics } from "../observability/metrics.ts";
import { createProjectRepository } from "../projects/project.repository.ts";
import type { Queue } from "../queue/queue.ts";
import type { Services } from "../trpc/context.ts";
import type { Builder } from "./builders/builder.ts";
import { createDeploymentFeedback } from "./deployment-feedback.ts";
import type { DeploymentLogStore } from "./deployment-log.ts";
import { createDeploymentMetrics } from "./deployment.metrics.ts";
import { createDeploymentRepository } from "./deployment.repository.ts";
import { type RunnerSettings, createDeploymentRunner } from "./deployment.runner.ts";
import { type SweepSettings, createDeploymentSweeper, startDeploymentWorker } from "./deployment.worker.ts";
import { DEFAULT_ARCHIVE_LIMITS } from "./source-archive.ts";
import { createDeploymentTriggers } from "./deployment-triggers.ts";

export type DeploymentSettings = { runner: RunnerSettings; sweep: SweepSettings };

/** Production defaults; tests pass shorter leases and sweeps. */
export function defaultDeploymentSettings(options: {
  dataDir: string;
  buildTimeoutSeconds: number;
  leaseSeconds: number;
}): DeploymentSettings {
  const buildMs = options.buildTimeoutSeconds * 1000;
  return {
    runner: {
      workerId: `${os.hostname()}:${process.pid}:${crypto.randomUUID().slice(0, 8)}`,
      leaseTtlSeconds: options.leaseSeconds,
      // Several heartbeats fit in a lease, so one slow database round trip does not lose it.
      heartbeatMs: Math.min(1_000, (options.leaseSeconds * 1000) / 4),
      maxAttempts: 3,
      workspaceRoot: path.join(options.dataDir, "workspaces"),
      archiveLimits: DEFAULT_ARCHIVE_LIMITS,
      stepTimeoutsMs: {
        resolve: 60_000,
        source: 5 * 60_000,
        build: buildMs,
        secrets: 60_000,
        rollout: 15 * 60_000,
        verify: 2 * 60_000,
      },
      rollout: {
        initialMachineCount: 1,
        leaseTtlSeconds: 60,
        startedMs: 5 * 60_000,
        healthyMs: 5 * 60_000,
        smokeMs: 10_000,
      },
    },
    sweep: {
      intervalMs: 5_000,
      requeueAfterMs: 30_000,
      maxQueuedMs: 60 * 60_000,
      maxRunningMs: buildMs + 30 * 60_000,
    },
  };
}

export function createDeploymentEngine(deps: {
  db: Database;
  queue: Queue;
  services: Services;
  logs: DeploymentLogStore;
  github: GitHubClient | undefined;
  builder: Builder;
  encryption: Encryption;
  settings: DeploymentSettings;
  urls: { deployment: (deploymentId: string) => string; app: (flyAppName: string) => string };
  metrics: Metrics;
  logger: Logger;
}) {
  const repository = createDeploymentRepository();
  const projects = createProjectRepository();
  const { flyCredentials, environmentVariables, deployments } = deps.services;
  const runner =
    flyCredentials && deps.github
      ? createDeploymentRunner({
          db: deps.db,
          repository,
          projects,
          environmentVariables,
          flyCredentials,
          github: deps.github,
          builder: deps.builder,
          logs: deps.logs,
          queue: deps.queue,
          encryption: deps.encryption,
          settings: deps.settings.runner,
          metrics: createDeploymentMetrics(deps.metrics),
          logger: deps.logger,
        })
      : undefined;
  const feedback =
    deps.github &&
    createDeploymentFeedback({
      db: deps.db,
      repository,
      projects,
      github: deps.github,
      deploymentUrl: deps.urls.deployment,
      appUrl: deps.urls.app,
    });
  const sweeper = createDeploymentSweeper({
    db: deps.db,
    repository,
    logs: deps.logs,
    queue: deps.queue,
    settings: deps.settings.sweep,
  });
  return {
    runner,
    feedback,
    sweeper,
    triggers: createDeploymentTriggers({ projects, deployments }),
    async startWorker(concurrency?: number) {
      if (!runner) throw new Error("deployments need a GitHub App and a Fly API");
      return startDeploymentWorker({
        queue: deps.queue,
        runner,
        feedback,
        sweeper,
        sweepIntervalMs: deps.settings.sweep.intervalMs,
        logger: deps.logger,
        ...(concurrency === undefined ? {} : { concurrency }),
      });
    },
  };
}

export type DeploymentEngine = ReturnType<typeof createDeploymentEngine>;
