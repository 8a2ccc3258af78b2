// Drains the webhook outbox: deliveries stored with status 'received'. A notification from the ingest
// statement wakes it at once; a short poll is the safety net for a notification lost while the listener
// reconnects, and it also picks up retries whose backoff has passed and the claims of workers that died.
//
// Acknowledging comes before processing: GitHub gives up on a delivery it cannot hand over within 10 s,
// and a stored delivery waits safely. So during a burst (notifications count the deliveries stored) with
// a backlog standing, one drain works through it at `burstShare` of its time and leaves the rest of the
// cores and the database to the web processes; below the burst rate it drains at full speed, so a
// backlog left by a burst never waits behind ordinary traffic.
import { createNotificationListener } from "../db/notification-listener.ts";
import type pg from "pg";
import type { Logger } from "../observability/logger.ts";
import { DELIVERY_CHANNEL } from "./webhook.repository.ts";
import type { WebhookProcessor } from "./webhook.processor.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export type WebhookWorkerOptions = {
  /** Batches processed at once; a backlog brings in more, up to this many. */
  concurrency?: number;
  /** Deliveries claimed (and committed) together. */
  batchSize?: number;
  pollIntervalMs?: number;
  /**
   * The share of its time a drain spends processing while a backlog stands and deliveries are still
   * arriving, between 0 (exclusive) and 1 (never gives way).
   */
  burstShare?: number;
};

/** Deliveries stored per second, over the last ARRIVAL_WINDOW_MS, from which on the worker gives way. */
const BURST_ARRIVALS_PER_SECOND = 1_000;
const ARRIVAL_WINDOW_MS = 250;

export async function startWebhookWorker(
  deps: {
    pool: pg.Pool;
    processor: Pick<WebhookProcessor, "processPending" | "recoverAbandonedClaims">;
    logger: Logger;
  },
  options: WebhookWorkerOptions = {},
): Promise<{ stop(): Promise<void> }> {
  const concurrency = options.concurrency ?? 2;
  const batchSize = options.batchSize ?? 20;
  const burstShare = options.burstShare ?? 1;
  const inFlight = new Set<Promise<void>>();
  let running = 0;
  let stopped = false;
  // Set by every wake-up; a drain that finds it set looks again, so a delivery that arrives while every
  // drain is busy is not left for the poll.
  let wokenAgain = false;
  // Set while a drain gives way during a burst: it then drains alone, and wake-ups do not add another.
  let pacing = false;
  // Deliveries stored within the last ARRIVAL_WINDOW_MS, as notifications counted them, and their sum.
  const arrivals: { at: number; stored: number }[] = [];
  let storedInWindow = 0;

  function forgetOldArrivals(): void {
    const windowStart = performance.now() - ARRIVAL_WINDOW_MS;
    for (let oldest = arrivals[0]; oldest && oldest.at < windowStart; oldest = arrivals[0]) {
      storedInWindow -= oldest.stored;
      arrivals.shift();
    }
  }

  function burstGoingOn(): boolean {
    if (burstShare >= 1) return false;
    forgetOldArrivals();
    return (storedInWindow * 1000) / ARRIVAL_WINDOW_MS >= BURST_ARRIVALS_PER_SECOND;
  }

  async function drain(): Promise<void> {
    running++;
    try {
      while (!stopped) {
        wokenAgain = false;
        const batchStartedAt = performance.now();
        const { moreWaiting } = await deps.processor.processPending(batchSize);
        if (moreWaiting && burstGoingOn()) {
          if (pacing) return;
          pacing = true;
          try {
            const batchMs = performance.now() - batchStartedAt;
            await sleep((batchMs * (1 - burstShare)) / burstShare);
          } finally {
            pacing = false;
          }
        }
        // A backlog (or a batch cut short by its byte budget): go on, and bring in another drain.
        else if (moreWaiting) wake();
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
    // During a burst one drain is enough: it leaves the rest to acknowledging.
    if (stopped || pacing || running >= concurrency || (running > 0 && burstGoingOn())) return;
    const draining = drain().finally(() => inFlight.delete(draining));
    inFlight.add(draining);
  }

  // Claims left by workers that died; before the first drain, so that a delivery that stopped this
  // process's predecessor is processed alone before any batch can take it again.
  let recovering = false;
  async function recoverAbandonedClaims(): Promise<void> {
    if (recovering || stopped) return;
    recovering = true;
    try {
      await deps.processor.recoverAbandonedClaims();
    } catch (error) {
      deps.logger.warn({ err: error }, "webhook worker could not look for abandoned claims; retrying");
    } finally {
      recovering = false;
    }
  }
  await recoverAbandonedClaims();

  const listener = createNotificationListener({
    pool: deps.pool,
    channel: DELIVERY_CHANNEL,
    logger: deps.logger,
    onNotification: (payload) => {
      // A replay notifies with no count; it is not part of a burst.
      const stored = Number.parseInt(payload, 10);
      if (stored > 0 && burstShare < 1) {
        forgetOldArrivals();
        arrivals.push({ at: performance.now(), stored });
        storedInWindow += stored;
      }
      wake();
    },
    // Deliveries stored while it was not listening (at start, or during a reconnect) are drained now.
    onConnected: wake,
  });
  await listener.start();
  const poll = setInterval(() => {
    wake();
    const recovery = recoverAbandonedClaims();
    inFlight.add(recovery);
    void recovery.finally(() => inFlight.delete(recovery));
  }, options.pollIntervalMs ?? 1_000);
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
