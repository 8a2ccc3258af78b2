import { Histogram } from "prom-client";
import type { Metrics } from "../observability/metrics.ts";

export type DeploymentMetrics = {
  /** A run that ended: its outcome and how long it ran (start to end, queue wait excluded). */
  observeFinished(outcome: string, seconds: number): void;
};

/** Deployment durations by outcome (SPEC §5.12), on the process registry. */
export function createDeploymentMetrics(metrics: Metrics): DeploymentMetrics {
  const duration = new Histogram({
    name: "hangar_deployment_duration_seconds",
    help: "Time from a deployment starting to its end, by outcome (live, failed, cancelled)",
    labelNames: ["outcome"] as const,
    buckets: [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
    registers: [metrics.registry],
  });
  return { observeFinished: (outcome, seconds) => duration.observe({ outcome }, Math.max(0, seconds)) };
}
