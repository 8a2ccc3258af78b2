import { randomUUID } from "node:crypto";
import type { RequestHandler } from "express";
import type { Logger } from "../observability/logger.ts";
import type { Metrics } from "../observability/metrics.ts";
import { runWithCorrelation } from "../observability/context.ts";

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Coarse route labels keep the metrics' cardinality bounded whatever paths clients send. */
function routeLabel(path: string, matched: string | undefined): string {
  if (path.startsWith("/api/trpc")) return "/api/trpc";
  if (path.startsWith("/api/auth")) return "/api/auth";
  if (matched) return matched;
  return path.startsWith("/api/") ? "unmatched" : "spa";
}

/**
 * Gives every request an id (the caller's X-Request-Id when it is safe, otherwise a new one), runs the
 * rest of the request inside that correlation context, and logs and measures it when it finishes.
 */
export function requestContext(deps: { logger: Logger; metrics: Metrics }): RequestHandler {
  return (req, res, next) => {
    const incoming = req.get("x-request-id");
    const requestId = incoming && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.locals.requestId = requestId;
    res.setHeader("X-Request-Id", requestId);
    const started = process.hrtime.bigint();
    res.on("finish", () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = routeLabel(req.path, (req.route as { path?: string } | undefined)?.path);
      deps.metrics.httpRequestDuration.observe(
        { method: req.method, route, status: String(res.statusCode) },
        seconds,
      );
      runWithCorrelation({ requestId }, () =>
        deps.logger.info(
          {
            method: req.method,
            route,
            path: req.path,
            status: res.statusCode,
            durationMs: Math.round(seconds * 1000),
          },
          "request",
        ),
      );
    });
    runWithCorrelation({ requestId, ipAddress: req.ip, userAgent: req.get("user-agent") }, () => next());
  };
}
