// Drains the webhook outbox: deliveries stored with status 'received'. A notification from the ingest
// statement wakes it at once; a short poll is the safety net for a notification lost while the listener
// reconnects, and it also picks up retries whose backoff has passed.
import { createNotificationListener } from "../db/notification-listener.ts";
import type pg from "pg";
import type { Logger } from "../observability/logger.ts";
import { DELIVERY_CHANNEL } from "./webhook.repository.ts";
import type { WebhookProcessor } from "./webhook.processor.ts";

export type WebhookWorkerOptions = {
  /** Batches processed at once; a backlog brings in more, up to this many. */
  concurrency?: number;
  /** Deliveries claimed (and committed) together. */
  batchSize?: number;
  pollIntervalMs?: number;
};

export async function startWebhookWorker(
  deps: { pool: pg.Pool; processor: WebhookProcessor; logger: Logger },
  options: WebhookWorkerOptions = {},
): Promise<{ stop(): Promise<void> }> {
  const concurrency = options.concurrency ?? 2;
  const batchSize = options.batchSize ?? 20;
  const inFlight = new Set<Promise<void>>();
  let running = 0;
  let stopped = false;
  // Set by every wake-up; a drain that finds it set looks again, so a delivery that arrives while every
  // drain is busy is not left for the poll.
  let wokenAgain = false;

  async function drain(): Promise<void> {
    running++;
    try {
      while (!stopped) {
        wokenAgain = false;
        const { moreWaiting } = await deps.processor.processPending(batchSize);
        // A backlog (or a batch cut short by its byte budget): go on, and bring in another drain.
        if (moreWaiting) wake();
        else if (!wokenAgain) return;
      }
    } catch (error) {
      deps.logger.warn(
        { err: error },
        "webhook worker could not claim deliveries; retrying on the next poll",
      );
    } finally {
      running--;
    }
  }

  function wake(): void {
    wokenAgain = true;
    if (stopped || running >= concurrency) return;
    const draining = drain().finally(() => inFlight.delete(draining));
    inFlight.add(draining);
  }

  const listener = createNotificationListener({
    pool: deps.pool,
    channel: DELIVERY_CHANNEL,
    logger: deps.logger,
    onNotification: wake,
    // Deliveries stored while it was not listening (at start, or during a reconnect) are drained now.
    onConnected: wake,
  });
  await listener.start();
  const poll = setInterval(wake, options.pollIntervalMs ?? 1_000);
  poll.unref();
  wake();

  return {
    async stop() {
      stopped = true;
      clearInterval(poll);
      await listener.stop();
      await Promise.all(inFlight);
    },
  };
}
