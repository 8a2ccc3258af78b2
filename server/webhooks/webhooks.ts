// Wires the webhook capability: the HTTP receiver (web role) and the outbox worker (worker role).
import type { Router } from "express";
import type { Database } from "../db/prisma.ts";
import type { Logger } from "../observability/logger.ts";
import type { Metrics } from "../observability/metrics.ts";
import type { Limiter } from "../rate-limit/limiters.ts";
import type pg from "pg";
import { createDeliveryWriter } from "./delivery-writer.ts";
import { createWebhookRouter } from "./webhook.http.ts";
import { createWebhookMetrics } from "./webhook.metrics.ts";
import {
  type InstallationHandlers,
  type ProjectMatcher,
  createWebhookProcessor,
  noProjectsYet,
  recordInstallationEvents,
} from "./webhook.processor.ts";
import { createWebhookClaimRepository } from "./webhook-claim.repository.ts";
import { createWebhookRepository } from "./webhook.repository.ts";
import { type WebhookWorkerOptions, startWebhookWorker } from "./webhook.worker.ts";

export function createWebhooks(deps: {
  db: Database;
  pool: pg.Pool;
  /** For claim writes only; see createWebhookClaimRepository. */
  claimPool: pg.Pool;
  secrets: { current: string; previous: string | undefined };
  failureLimiter: Limiter;
  metrics: Metrics;
  logger: Logger;
  projects?: ProjectMatcher;
  installations?: InstallationHandlers;
}) {
  const logger = deps.logger.child({ component: "webhooks" });
  const repository = createWebhookRepository(deps.pool);
  const metrics = createWebhookMetrics(deps.metrics);
  const processor = createWebhookProcessor({
    db: deps.db,
    repository,
    claims: createWebhookClaimRepository(deps.pool, deps.claimPool),
    projects: deps.projects ?? noProjectsYet,
    installations: deps.installations ?? recordInstallationEvents,
    metrics,
    logger,
  });
  const router: Router = createWebhookRouter({
    secrets: deps.secrets,
    writer: createDeliveryWriter({ repository, logger }),
    repository,
    db: deps.db,
    failureLimiter: deps.failureLimiter,
    metrics,
    logger,
  });
  return {
    router,
    processor,
    repository,
    startWorker: (options?: WebhookWorkerOptions) =>
      startWebhookWorker({ pool: deps.pool, processor, logger }, options),
  };
}

export type Webhooks = ReturnType<typeof createWebhooks>;
