// Group commit for webhook deliveries: requests that arrive while a commit is in flight are written
// together in the next statement. Every caller still gets its answer only after its row (which is also
// its processing job) is committed; under load many deliveries share one fsync instead of queueing.
import type { Logger } from "../observability/logger.ts";
import type { IncomingDelivery, StoreResult, WebhookRepository } from "./webhook.repository.ts";

type Pending = {
  delivery: IncomingDelivery;
  resolve: (result: StoreResult) => void;
  reject: (error: unknown) => void;
};

export type DeliveryWriter = { store(delivery: IncomingDelivery): Promise<StoreResult> };

/**
 * Wakes the workers after deliveries committed, telling them how many (they tell a burst by it). Calls
 * that arrive while a notification is in flight are folded into one more after it, so a delivery
 * committed after the previous NOTIFY was sent is never left waiting for the workers' poll.
 */
function createWorkerWaker(notify: (stored: number) => Promise<void>, logger: Logger) {
  let inFlight = false;
  let storedSinceLast = 0;
  async function send(): Promise<void> {
    inFlight = true;
    try {
      while (storedSinceLast > 0) {
        const stored = storedSinceLast;
        storedSinceLast = 0;
        // A lost wake-up costs one poll interval (the delivery is already stored), so it is only logged.
        await notify(stored).catch((error: unknown) =>
          logger.warn({ err: error }, "could not wake the webhook workers"),
        );
      }
    } finally {
      inFlight = false;
    }
  }
  return (stored: number) => {
    storedSinceLast += stored;
    if (!inFlight) void send();
  };
}

export function createDeliveryWriter(deps: {
  repository: Pick<WebhookRepository, "storeBatch" | "notifyWorkers">;
  logger: Logger;
  maxBatch?: number;
  /** Statements in flight at once; more than one keeps the pipe full while one commits. */
  concurrency?: number;
}): DeliveryWriter {
  const maxBatch = deps.maxBatch ?? 100;
  const concurrency = deps.concurrency ?? 4;
  const pending: Pending[] = [];
  let flushing = 0;
  const wakeWorkers = createWorkerWaker((stored) => deps.repository.notifyWorkers(stored), deps.logger);

  async function writeAndSettle(batch: Pending[]): Promise<void> {
    try {
      const results = await deps.repository.storeBatch(batch.map((item) => item.delivery));
      batch.forEach((item, index) => item.resolve(results[index] ?? { kind: "duplicate" }));
      let toProcess = 0;
      for (const result of results) if (result.kind === "stored" && result.needsProcessing) toProcess++;
      if (toProcess > 0) wakeWorkers(toProcess);
    } catch (error) {
      if (batch.length === 1) {
        batch[0]?.reject(error);
        return;
      }
      // One bad payload must not fail its neighbours: retry each on its own to isolate it.
      for (const item of batch) await writeAndSettle([item]);
    }
  }

  async function drain(): Promise<void> {
    flushing++;
    try {
      while (pending.length > 0) {
        const batch: Pending[] = [];
        const seen = new Set<string>();
        // A delivery id twice in one batch: the later copy waits for the next batch, where it is a duplicate.
        for (let index = 0; index < pending.length && batch.length < maxBatch;) {
          const item = pending[index];
          if (item && !seen.has(item.delivery.deliveryId)) {
            seen.add(item.delivery.deliveryId);
            batch.push(item);
            pending.splice(index, 1);
          } else {
            index++;
          }
        }
        await writeAndSettle(batch);
      }
    } finally {
      flushing--;
    }
  }

  return {
    store(delivery) {
      return new Promise<StoreResult>((resolve, reject) => {
        pending.push({ delivery, resolve, reject });
        if (flushing < concurrency) void drain();
      });
    },
  };
}
