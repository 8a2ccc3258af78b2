import type { Logger } from "../observability/logger.ts";
import { runWithCorrelation } from "../observability/context.ts";
import { type JobData, QUEUES, type Queue } from "../queue/queue.ts";
import type { WebhookProcessor } from "./webhook.processor.ts";

/** Jobs fetched per round trip; under load one fetch serves many deliveries. */
const BATCH_SIZE = 20;

/**
 * Runs the processor for queued deliveries. The delivery id is the correlation id of every log line
 * written while processing it, so one search shows a delivery's whole story.
 */
export async function startWebhookWorker(deps: {
  queue: Queue;
  processor: WebhookProcessor;
  logger: Logger;
  concurrency?: number;
}): Promise<void> {
  await deps.queue.boss.work<JobData>(
    QUEUES.webhookProcess,
    {
      batchSize: BATCH_SIZE,
      localConcurrency: deps.concurrency ?? 2,
      // NOTIFY wakes the worker at once; polling is only the safety net for a missed notification.
      pollingIntervalSeconds: 2,
      notifyPollingIntervalSeconds: 2,
    },
    async (jobs) => {
      const ids = jobs.flatMap((job) => (job.data.deliveryRowId ? [job.data.deliveryRowId] : []));
      if (ids.length === 0) return;
      // One batch carries many deliveries; their ids are logged with every line written for them.
      const correlationId =
        jobs.length === 1 ? (jobs[0]?.data.correlationId ?? "batch") : `batch:${jobs[0]?.id ?? ""}`;
      const failed = await runWithCorrelation({ requestId: correlationId }, () =>
        deps.processor.processBatch(ids),
      );
      // Failing the batch retries it; deliveries that already have an outcome are skipped on the retry.
      if (failed.length > 0)
        throw new Error(`${failed.length} of ${ids.length} deliveries failed to process`);
    },
  );
}
