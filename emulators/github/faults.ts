import type { NextFunction, Request, Response } from "express";
import { z } from "zod";
import type { EmulatorContext } from "./context.ts";
import { ApiError, sendApiError } from "./http.ts";

export const faultSettingsSchema = z.object({
  /** Share of requests (0–1) answered with a 5xx. */
  errorRate: z.number().min(0).max(1).default(0),
  /** Fixed 5xx status instead of a random pick among 500/502/503. */
  errorStatus: z.union([z.literal(500), z.literal(502), z.literal(503)]).optional(),
  /** Added before every matching request. */
  latencyMs: z.number().int().min(0).max(120_000).default(0),
  rateLimit: z
    .object({
      retryAfterSeconds: z.number().int().min(0),
      /** 429, or 403 as GitHub also uses for secondary rate limits. */
      status: z.union([z.literal(429), z.literal(403)]).default(429),
      /** Share of requests (0–1) refused. */
      rate: z.number().min(0).max(1).default(1),
    })
    .optional(),
  /** Share of requests (0–1) whose socket is destroyed without an answer. */
  dropConnections: z.number().min(0).max(1).default(0),
  /** Only requests whose path starts with one of these (full path, or path under /api/v3). */
  routes: z.union([z.string(), z.array(z.string())]).optional(),
});

export type FaultSettings = z.infer<typeof faultSettingsSchema>;

const SECONDARY_RATE_LIMIT =
  "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. " +
  "If you reach out to GitHub Support for help, please include the request ID";
const SERVER_ERRORS: Record<500 | 502 | 503, string> = {
  500: "Server Error",
  502: "Server Error",
  503: "Service Unavailable",
};

function matches(settings: FaultSettings, req: Request): boolean {
  if (settings.routes === undefined) return true;
  const prefixes = typeof settings.routes === "string" ? [settings.routes] : settings.routes;
  const path = req.originalUrl.split("?")[0] ?? "";
  const apiPath = path.startsWith("/api/v3/") ? path.slice("/api/v3".length) : undefined;
  return prefixes.some((prefix) => path.startsWith(prefix) || (apiPath?.startsWith(prefix) ?? false));
}

/** Injected failures for the REST API and the OAuth token endpoint (never for /_emulator). */
export function faultInjection(ctx: EmulatorContext) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const settings = ctx.faults;
    if (!settings || !matches(settings, req)) return next();
    if (settings.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, settings.latencyMs));
    if (Math.random() < settings.dropConnections) {
      req.socket.destroy();
      return;
    }
    if (settings.rateLimit && Math.random() < settings.rateLimit.rate) {
      const requestId = res.get("x-github-request-id") ?? "";
      sendApiError(
        res,
        new ApiError(
          settings.rateLimit.status,
          `${SECONDARY_RATE_LIMIT} ${requestId}.`,
          "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
          undefined,
          { "retry-after": String(settings.rateLimit.retryAfterSeconds) },
        ),
      );
      return;
    }
    if (Math.random() < settings.errorRate) {
      const status = settings.errorStatus ?? ([500, 502, 503] as const)[Math.floor(Math.random() * 3)] ?? 500;
      sendApiError(res, new ApiError(status, SERVER_ERRORS[status]));
      return;
    }
    next();
  };
}
