import { Counter, Histogram } from "prom-client";
import type { Metrics } from "../observability/metrics.ts";

export type WebhookMetrics = {
  observe(outcome: string, started: bigint): void;
  /** Time from the delivery's commit to a worker starting on it. */
  observePickup(seconds: number): void;
  observeProcessed(status: string): void;
};

/** Webhook outcomes and acknowledgement latency, on the process registry. */
export function createWebhookMetrics(metrics: Metrics): WebhookMetrics {
  const ack = new Histogram({
    name: "hangar_webhook_ack_duration_seconds",
    help: "Time from receiving a webhook request to answering it, by outcome",
    labelNames: ["outcome"] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [metrics.registry],
  });
  const pickup = new Histogram({
    name: "hangar_webhook_pickup_seconds",
    help: "Time from a delivery being stored to a worker starting to process it",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 30],
    registers: [metrics.registry],
  });
  const processed = new Counter({
    name: "hangar_webhook_processed_total",
    help: "Processed deliveries by outcome status",
    labelNames: ["status"] as const,
    registers: [metrics.registry],
  });
  return {
    observe(outcome, started) {
      ack.observe({ outcome }, Number(process.hrtime.bigint() - started) / 1e9);
    },
    observePickup: (seconds) => pickup.observe(Math.max(0, seconds)),
    observeProcessed: (status) => processed.inc({ status }),
  };
}
