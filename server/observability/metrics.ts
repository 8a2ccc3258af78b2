import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** One registry per process; later capabilities register their own metrics on it. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpRequestDuration: new Histogram({
      name: "hangar_http_request_duration_seconds",
      help: "HTTP request duration by method, route and status",
      labelNames: ["method", "route", "status"] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    externalCallDuration: new Histogram({
      name: "hangar_external_call_duration_seconds",
      help: "Calls to GitHub, Fly.io and the builder, by service and outcome",
      labelNames: ["service", "outcome"] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    externalCallRetries: new Counter({
      name: "hangar_external_call_retries_total",
      help: "Retries of external calls by service",
      labelNames: ["service"] as const,
      registers: [registry],
    }),
    circuitState: new Gauge({
      name: "hangar_circuit_state",
      help: "Circuit breaker state per service: 0 closed, 1 half-open, 2 open",
      labelNames: ["service"] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
