import type { Logger } from "../observability/logger.ts";
import { runWithCorrelation } from "../observability/context.ts";
import { type JobData, QUEUES, type Queue } from "../queue/queue.ts";
import type { WebhookProcessor } from "./webhook.processor.ts";

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
    // NOTIFY wakes the worker at once; polling is only the safety net for a missed notification.
    {
      batchSize: 1,
      localConcurrency: deps.concurrency ?? 4,
      pollingIntervalSeconds: 2,
      notifyPollingIntervalSeconds: 2,
    },
    async ([job]) => {
      if (!job?.data.deliveryRowId) return;
      const { deliveryRowId, correlationId } = job.data;
      await runWithCorrelation({ requestId: correlationId }, async () => {
        try {
          await deps.processor.process(deliveryRowId);
        } catch (error) {
          deps.logger.error({ err: error }, "webhook processing failed; the queue will retry it");
          throw error;
        }
      });
    },
  );
}
