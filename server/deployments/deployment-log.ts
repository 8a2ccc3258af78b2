// Deployment logs (SPEC §5.6): ordered lines per deployment, redacted before they are stored, and a
// PostgreSQL notification after every write so that live viewers in any process wake at once.
import { EventEmitter } from "node:events";
import type pg from "pg";
import { createNotificationListener } from "../db/notification-listener.ts";
import type { Logger } from "../observability/logger.ts";
import type { DeploymentStep } from "./deployment.schema.ts";

/** One channel for every deployment event; the payload is the deployment id. */
const CHANNEL = "hangar_deployment";
const MAX_LINE_LENGTH = 8_192;
const FLUSH_INTERVAL_MS = 100;
const FLUSH_LINES = 200;

export type LogLevel = "info" | "warn" | "error";
export type LogLine = { seq: number; at: Date; step: string; level: string; text: string };

export function createDeploymentLogStore(pool: pg.Pool) {
  return {
    async append(
      deploymentId: string,
      lines: { seq: number; at: Date; step: string; level: LogLevel; text: string }[],
    ): Promise<void> {
      if (lines.length === 0) return;
      const values: unknown[] = [deploymentId];
      const rows = lines.map((line, index) => {
        const base = 2 + index * 5;
        values.push(line.seq, line.at, line.step, line.level, line.text);
        return `($1::uuid, $${base}, $${base + 1}, $${base + 2}, $${base + 3}, $${base + 4})`;
      });
      await pool.query(
        `WITH inserted AS (
           INSERT INTO deployment_log_line ("deploymentId", seq, at, step, level, text)
           VALUES ${rows.join(", ")} ON CONFLICT DO NOTHING RETURNING 1)
         SELECT pg_notify('${CHANNEL}', $1::text) FROM inserted LIMIT 1`,
        values,
      );
    },

    async read(deploymentId: string, afterSeq: number, limit: number): Promise<LogLine[]> {
      const result = await pool.query<LogLine>(
        `SELECT seq, at, step, level, text FROM deployment_log_line
         WHERE "deploymentId" = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
        [deploymentId, afterSeq, limit],
      );
      return result.rows;
    },

    async lastSeq(deploymentId: string): Promise<number> {
      const result = await pool.query<{ seq: number | null }>(
        `SELECT max(seq) AS seq FROM deployment_log_line WHERE "deploymentId" = $1`,
        [deploymentId],
      );
      return result.rows[0]?.seq ?? 0;
    },

    /** Wakes live viewers of a deployment whose status changed. */
    async notify(deploymentId: string): Promise<void> {
      await pool.query(`SELECT pg_notify('${CHANNEL}', $1::text)`, [deploymentId]);
    },
  };
}

export type DeploymentLogStore = ReturnType<typeof createDeploymentLogStore>;

/**
 * One process-wide LISTEN connection; `waitForChange` resolves when the deployment's log or status
 * changed, or after `timeoutMs` (a lost notification costs at most that long).
 */
export function createDeploymentEvents(deps: { pool: pg.Pool; logger: Logger }) {
  const emitter = new EventEmitter().setMaxListeners(0);
  const listener = createNotificationListener({
    pool: deps.pool,
    channel: CHANNEL,
    logger: deps.logger,
    onNotification: (deploymentId) => {
      if (deploymentId) emitter.emit(deploymentId);
    },
  });

  return {
    start: () => listener.start(),
    waitForChange(deploymentId: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
      return new Promise((resolve) => {
        const done = () => {
          clearTimeout(timer);
          emitter.off(deploymentId, done);
          signal?.removeEventListener("abort", done);
          resolve();
        };
        const timer = setTimeout(done, timeoutMs);
        emitter.on(deploymentId, done);
        signal?.addEventListener("abort", done, { once: true });
      });
    },
    stop: () => listener.stop(),
  };
}

export type DeploymentEvents = ReturnType<typeof createDeploymentEvents>;

/**
 * The log of one run: lines get consecutive sequence numbers from `startSeq`, are redacted, and are
 * written in small batches. `flush` writes everything buffered so far.
 */
export function createLogWriter(deps: {
  store: DeploymentLogStore;
  deploymentId: string;
  startSeq: number;
  redact: (line: string) => string;
  logger: Logger;
}) {
  let seq = deps.startSeq;
  let buffer: { seq: number; at: Date; step: string; level: LogLevel; text: string }[] = [];
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();

  function flush(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const batch = buffer;
    buffer = [];
    if (batch.length > 0) {
      writing = writing
        .then(() => deps.store.append(deps.deploymentId, batch))
        .catch((error: unknown) => {
          deps.logger.error({ err: error, deploymentId: deps.deploymentId }, "deployment log write failed");
        });
    }
    return writing;
  }

  return {
    write(step: DeploymentStep, text: string, level: LogLevel = "info"): void {
      for (const line of text.replace(/\r\n?/g, "\n").split("\n")) {
        seq += 1;
        buffer.push({
          seq,
          at: new Date(),
          step,
          level,
          text: deps.redact(line).slice(0, MAX_LINE_LENGTH),
        });
      }
      if (buffer.length >= FLUSH_LINES) void flush();
      else timer ??= setTimeout(() => void flush(), FLUSH_INTERVAL_MS);
    },
    flush,
  };
}

export type LogWriter = ReturnType<typeof createLogWriter>;
