// Group commit for webhook deliveries: requests that arrive while a commit is in flight are written
// together in the next transaction. Every caller still gets its answer only after its row and job are
// committed; under load many deliveries share one fsync instead of queueing behind each other.
import type { Queue } from "../queue/queue.ts";
import { QUEUES, pgExecutor } from "../queue/queue.ts";
import type { IncomingDelivery, StoreResult, WebhookRepository } from "./webhook.repository.ts";

type Pending = {
  delivery: IncomingDelivery;
  resolve: (result: StoreResult) => void;
  reject: (error: unknown) => void;
};

export type DeliveryWriter = { store(delivery: IncomingDelivery): Promise<StoreResult> };

export function createDeliveryWriter(deps: {
  repository: WebhookRepository;
  queue: Pick<Queue, "insertInTransaction">;
  maxBatch?: number;
  /** Transactions in flight at once; more than one keeps the pipe full while one commits. */
  concurrency?: number;
}): DeliveryWriter {
  const maxBatch = deps.maxBatch ?? 100;
  const concurrency = deps.concurrency ?? 4;
  const pending: Pending[] = [];
  let flushing = 0;

  const writeBatch = (deliveries: IncomingDelivery[]) =>
    deps.repository.storeBatch(deliveries, (client, stored) =>
      deps.queue.insertInTransaction(
        pgExecutor(client),
        QUEUES.webhookProcess,
        stored.map((row) => ({ correlationId: row.deliveryId, deliveryRowId: row.id })),
      ),
    );

  async function writeAndSettle(batch: Pending[]): Promise<void> {
    try {
      const results = await writeBatch(batch.map((item) => item.delivery));
      batch.forEach((item, index) => item.resolve(results[index] ?? { kind: "duplicate" }));
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
