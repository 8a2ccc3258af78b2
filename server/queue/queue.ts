// The durable job queue: pg-boss in Hangar's own PostgreSQL. Jobs are inserted inside the caller's
// transaction (with the row that caused them), and workers are woken by LISTEN/NOTIFY, not a slow poll.
import { PgBoss } from "pg-boss";
import type { DbClient } from "../db/prisma.ts";
import type { Logger } from "../observability/logger.ts";

export const QUEUES = {
  deploymentRun: "deployment-run",
  deploymentFeedback: "deployment-feedback",
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

/** A job and the correlation id every log line of its processing carries. */
export type JobData = { correlationId: string; deploymentId?: string };

/** Runs SQL on a connection that is inside the caller's transaction (a pg client, a Prisma transaction). */
export type SqlExecutor = { executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] }> };

/** A SqlExecutor for a Prisma interactive transaction. */
export function prismaExecutor(db: DbClient): SqlExecutor {
  return {
    executeSql: async (text, values = []) => ({ rows: await db.$queryRawUnsafe<unknown[]>(text, ...values) }),
  };
}

export type Queue = {
  boss: PgBoss;
  /** Inserts jobs through `executor`, which must be inside the transaction that created their rows. */
  insertInTransaction(executor: SqlExecutor, name: QueueName, jobs: JobData[]): Promise<void>;
  stop(options?: { graceful?: boolean; timeoutMs?: number }): Promise<void>;
};

export async function startQueue(options: {
  url: string;
  logger: Logger;
  poolSize?: number;
}): Promise<Queue> {
  const boss = new PgBoss({
    connectionString: options.url,
    max: options.poolSize ?? 4,
    useListenNotify: true,
    // A job whose worker died (missed heartbeats) goes back to the queue within seconds, not minutes.
    superviseIntervalSeconds: 5,
    monitorIntervalSeconds: 5,
    openTelemetry: { enabled: false },
  });
  boss.on("error", (error: Error) => options.logger.error({ err: error }, "queue error"));
  boss.on("warning", (warning: unknown) => options.logger.warn({ warning }, "queue warning"));
  await boss.start();
  // A deployment run holds its own lease (server/deployments); the job only has to outlive the longest
  // run, and a retry after a crash resumes the deployment from its checkpoint.
  const deploymentRunQueue = {
    notify: true,
    retryLimit: 3,
    retryDelay: 5,
    expireInSeconds: 3 * 60 * 60,
    heartbeatSeconds: 30,
  };
  const deploymentFeedbackQueue = { notify: true, retryLimit: 8, retryDelay: 5, retryBackoff: true };
  for (const [name, options] of [
    [QUEUES.deploymentRun, deploymentRunQueue],
    [QUEUES.deploymentFeedback, deploymentFeedbackQueue],
  ] as const) {
    await boss.createQueue(name, options);
    // createQueue keeps an existing queue's options; apply the current ones on every start.
    await boss.updateQueue(name, options);
  }

  return {
    boss,
    async insertInTransaction(executor, name, jobs) {
      if (jobs.length === 0) return;
      await boss.insert(
        name,
        jobs.map((data) => ({ data })),
        { db: executor },
      );
    },
    async stop(stopOptions = {}) {
      await boss.stop({
        graceful: stopOptions.graceful ?? true,
        timeout: stopOptions.timeoutMs ?? 10_000,
        close: true,
      });
    },
  };
}
