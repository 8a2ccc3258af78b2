// POST /api/webhooks/github. Order of checks (SPEC §5.5): size → headers → signature → JSON → store (the
// row is its own processing job) committed → 202. Failed or malformed requests count against a per-IP
// limit; a validly signed delivery is never refused for rate, because GitHub does not retry.
import { isUtf8 } from "node:buffer";
import express, { type Request, type Response, Router } from "express";
import { AppError, type ErrorCode } from "../errors.ts";
import { sendError } from "../http/errors.ts";
import type { Logger } from "../observability/logger.ts";
import type { Limiter } from "../rate-limit/limiters.ts";
import type { DeliveryWriter } from "./delivery-writer.ts";
import { summarisePayload } from "./payload-summary.ts";
import { sanitizeText } from "./sanitize.ts";
import { isWellFormedSignature, verifySignature } from "./signature.ts";
import type { WebhookMetrics } from "./webhook.metrics.ts";
import type { WebhookRepository } from "./webhook.repository.ts";
import { isHandledEvent } from "./webhook.schema.ts";
import type { Database } from "../db/prisma.ts";

export const MAX_PAYLOAD_BYTES = 5 * 1024 * 1024;

const EVENT_FORMAT = /^[a-z_]{1,64}$/;
const DELIVERY_FORMAT = /^[A-Za-z0-9-]{1,100}$/;
const KEPT_HEADERS = [
  "x-github-event",
  "x-github-delivery",
  "x-github-hook-id",
  "x-github-hook-installation-target-type",
  "x-github-hook-installation-target-id",
  "user-agent",
  "content-type",
];

export type WebhookReceiverDeps = {
  secrets: { current: string; previous: string | undefined };
  writer: DeliveryWriter;
  repository: WebhookRepository;
  db: Database;
  failureLimiter: Limiter;
  metrics: WebhookMetrics;
  logger: Logger;
};

export function createWebhookRouter(deps: WebhookReceiverDeps): Router {
  const { logger, metrics } = deps;

  /** Counts the failure against the caller's IP, records it, and answers 429 once the IP is over its limit. */
  async function reject(req: Request, res: Response, code: ErrorCode, message: string, started: bigint) {
    const ipAddress = req.ip ?? null;
    const decision = await deps.failureLimiter.consume(ipAddress ?? "unknown");
    const status = decision.allowed ? new AppError(code, message).status : 429;
    if (decision.allowed) {
      await deps.repository
        .recordRejection(deps.db, {
          deliveryId: sanitizeText(req.get("x-github-delivery") ?? "", 100) || null,
          event: sanitizeText(req.get("x-github-event") ?? "", 100) || null,
          ipAddress,
          status,
          reason: message,
        })
        .catch((error: unknown) => logger.warn({ err: error }, "could not record a webhook rejection"));
    }
    metrics.observe(decision.allowed ? code.toLowerCase() : "rate_limited", started);
    if (!decision.allowed) {
      sendError(
        res,
        new AppError("TOO_MANY_REQUESTS", "Too many invalid webhook requests from this address.", {
          retryAfterSeconds: decision.retryAfterSeconds,
        }),
      );
      return;
    }
    sendError(res, new AppError(code, message));
  }

  function invalidPayload(res: Response, started: bigint) {
    metrics.observe("invalid_payload", started);
    sendError(
      res,
      new AppError("BAD_REQUEST", "The payload is not valid JSON text.", { reason: "INVALID_PAYLOAD" }),
    );
  }

  const router = Router();
  router.post("/", express.raw({ type: () => true, limit: MAX_PAYLOAD_BYTES }), async (req, res) => {
    const started = process.hrtime.bigint();
    const event = req.get("x-github-event") ?? "";
    const deliveryId = req.get("x-github-delivery") ?? "";
    const signature = req.get("x-hub-signature-256") ?? "";
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);

    if (!EVENT_FORMAT.test(event))
      return reject(req, res, "BAD_REQUEST", "Missing or malformed X-GitHub-Event header.", started);
    if (!DELIVERY_FORMAT.test(deliveryId)) {
      return reject(req, res, "BAD_REQUEST", "Missing or malformed X-GitHub-Delivery header.", started);
    }
    if (!isWellFormedSignature(signature)) {
      return reject(req, res, "BAD_REQUEST", "Missing or malformed X-Hub-Signature-256 header.", started);
    }
    const signedWith = verifySignature(deps.secrets, body, signature);
    if (!signedWith) return reject(req, res, "UNAUTHORIZED", "Signature invalid.", started);

    // Signed, so not counted against the sender.
    if (!isUtf8(body)) return invalidPayload(res, started);
    const inspection = summarisePayload(body);
    if (inspection.kind === "invalid") return invalidPayload(res, started);

    const headers: Record<string, string> = {};
    for (const name of KEPT_HEADERS) {
      const value = req.get(name);
      if (value) headers[name] = sanitizeText(value, 200);
    }
    try {
      const result = await deps.writer.store({
        deliveryId,
        event,
        hookId: headers["x-github-hook-id"] ?? null,
        signedWith,
        headers,
        payload: body,
        summary: inspection.kind === "summarised" ? inspection.summary : null,
        ignoredReason: isHandledEvent(event) ? null : "ignored: event not handled",
      });
      if (result.kind === "duplicate") {
        metrics.observe("duplicate", started);
        res.status(200).json({ duplicate: true, deliveryId });
        return;
      }
      metrics.observe(isHandledEvent(event) ? "accepted" : "ignored", started);
      res.status(202).json({ deliveryId });
    } catch (error) {
      const pgCode = (error as { code?: unknown }).code;
      // 22P02 invalid JSON, 22P05 a character jsonb cannot store (NUL), 22021 a NUL byte in the text.
      if (pgCode === "22P02" || pgCode === "22P05" || pgCode === "22021") return invalidPayload(res, started);
      logger.error({ err: error, deliveryId }, "could not store a webhook delivery");
      metrics.observe("store_failed", started);
      sendError(res, new AppError("SERVICE_UNAVAILABLE", "The delivery could not be stored; redeliver it."));
    }
  });
  // Body-parser failures (oversize, aborted) come here, still counted against the sender.
  router.use(async (error: unknown, req: Request, res: Response, next: (error?: unknown) => void) => {
    const type = (error as { type?: unknown }).type;
    const started = process.hrtime.bigint();
    if (type === "entity.too.large") {
      return reject(
        req,
        res,
        "PAYLOAD_TOO_LARGE",
        `The payload exceeds ${MAX_PAYLOAD_BYTES} bytes.`,
        started,
      );
    }
    if (typeof (error as { status?: unknown }).status === "number") {
      return reject(req, res, "BAD_REQUEST", "The request body could not be read.", started);
    }
    next(error);
  });
  return router;
}
