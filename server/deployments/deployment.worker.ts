// The worker side of deployments: runs queued deployments, posts GitHub feedback, and sweeps for
// deployments that would otherwise stay non-terminal (a dead worker's lease, a lost job, an age limit).
import type { Database } from "../db/prisma.ts";
import { runWithCorrelation } from "../observability/context.ts";
import type { Logger } from "../observability/logger.ts";
import { type JobData, QUEUES, type Queue, prismaExecutor } from "../queue/queue.ts";
import type { DeploymentFeedback } from "./deployment-feedback.ts";
import type { DeploymentLogStore } from "./deployment-log.ts";
import type { DeploymentRepository } from "./deployment.repository.ts";
import type { DeploymentRunner } from "./deployment.runner.ts";

export type SweepSettings = {
  intervalMs: number;
  /** A queued deployment with nothing running ahead of it gets a fresh job after this long. */
  requeueAfterMs: number;
  /** The longest a deployment may wait in the queue, and the longest it may run. */
  maxQueuedMs: number;
  maxRunningMs: number;
};

function minutes(ms: number): string {
  const count = Math.round(ms / 60_000);
  return `${count} minute${count === 1 ? "" : "s"}`;
}

export function createDeploymentSweeper(deps: {
  db: Database;
  repository: DeploymentRepository;
  logs: DeploymentLogStore;
  queue: Pick<Queue, "insertInTransaction">;
  settings: SweepSettings;
}) {
  const { db, repository, settings } = deps;

  async function enqueueRuns(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await db.$transaction((tx) =>
      deps.queue.insertInTransaction(
        prismaExecutor(tx),
        QUEUES.deploymentRun,
        ids.map((id) => ({ correlationId: id, deploymentId: id })),
      ),
    );
  }

  async function enqueueFeedback(id: string): Promise<void> {
    await db.$transaction((tx) =>
      deps.queue.insertInTransaction(prismaExecutor(tx), QUEUES.deploymentFeedback, [
        { correlationId: id, deploymentId: id },
      ]),
    );
  }

  return {
    /** One pass; returns what it did, for tests and logs. */
    async sweep(): Promise<{ resumed: string[]; requeued: string[]; expired: string[] }> {
      const now = Date.now();
      const expired: string[] = [];
      for (const overdue of await repository.overdue(db, {
        queuedBefore: new Date(now - settings.maxQueuedMs),
        startedBefore: new Date(now - settings.maxRunningMs),
      })) {
        const ended = await db.$transaction(async (tx) => {
          const row = await repository.find(tx, overdue.id);
          if (!row) return false;
          if (row.status === "queued") {
            return repository.finish(tx, overdue.id, null, {
              status: "failed",
              failureReason: `Waited in the queue for more than ${minutes(settings.maxQueuedMs)}.`,
            });
          }
          // A running one is asked to stop, so that its worker restores the previous release first.
          await repository.requestCancel(tx, overdue.id, "system");
          return false;
        });
        if (ended) {
          expired.push(overdue.id);
          await enqueueFeedback(overdue.id);
          await deps.logs.notify(overdue.id);
        }
      }
      const resumed = (await repository.expiredLeases(db)).map((row) => row.id);
      const requeued = (await repository.waitingQueued(db, new Date(now - settings.requeueAfterMs))).map(
        (row) => row.id,
      );
      await enqueueRuns([...resumed, ...requeued]);
      return { resumed, requeued, expired };
    },
  };
}

export type DeploymentSweeper = ReturnType<typeof createDeploymentSweeper>;

export async function startDeploymentWorker(deps: {
  queue: Queue;
  runner: DeploymentRunner;
  feedback: DeploymentFeedback | undefined;
  sweeper: DeploymentSweeper;
  sweepIntervalMs: number;
  logger: Logger;
  concurrency?: number;
}): Promise<{ stop(): void }> {
  const logger = deps.logger.child({ component: "deployments" });
  await deps.queue.boss.work<JobData>(
    QUEUES.deploymentRun,
    { batchSize: 1, localConcurrency: deps.concurrency ?? 4, pollingIntervalSeconds: 2 },
    async ([job]) => {
      const deploymentId = job?.data.deploymentId;
      if (!deploymentId) return;
      await runWithCorrelation({ requestId: job.data.correlationId }, () => deps.runner.run(deploymentId));
    },
  );
  const feedback = deps.feedback;
  if (feedback) {
    await deps.queue.boss.work<JobData>(
      QUEUES.deploymentFeedback,
      { batchSize: 1, localConcurrency: 2, pollingIntervalSeconds: 2 },
      async ([job]) => {
        const deploymentId = job?.data.deploymentId;
        if (deploymentId) await feedback.sync(deploymentId);
      },
    );
  }
  const timer = setInterval(() => {
    deps.sweeper
      .sweep()
      .then((result) => {
        if (result.resumed.length + result.requeued.length + result.expired.length > 0) {
          logger.info(result, "deployment sweep");
        }
      })
      .catch((error: unknown) => logger.warn({ err: error }, "deployment sweep failed"));
  }, deps.sweepIntervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
