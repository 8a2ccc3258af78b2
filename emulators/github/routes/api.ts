import { randomBytes } from "node:crypto";
import express, { type NextFunction, type Request, type Response, type Router } from "express";
import { authenticate, rateLimitKey } from "../auth.ts";
import type { EmulatorContext } from "../context.ts";
import { faultInjection } from "../faults.ts";
import { ApiError, apiErrorHandler, REST_DOCS } from "../http.ts";
import { appRoutes } from "./app.ts";
import { installationRoutes } from "./installation.ts";
import { repositoryRoutes } from "./repositories.ts";
import { userRoutes } from "./user.ts";

const USER_AGENT_REQUIRED =
  "Request forbidden by administrative rules. Please make sure your request has a User-Agent header " +
  "(https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required). " +
  "Check https://developer.github.com for other possible causes.\n";

const HOUR_MS = 3_600_000;

export function requestId(): string {
  const hex = randomBytes(10).toString("hex").toUpperCase();
  return `${hex.slice(0, 4)}:${hex.slice(4, 8)}:${hex.slice(8, 14)}:${hex.slice(14, 20)}:${Date.now().toString(16).toUpperCase().slice(-8)}`;
}

/** GitHub's front end refuses requests without a User-Agent before any API logic (plain HTML body). */
function requireUserAgent(req: Request, res: Response, next: NextFunction): void {
  if (req.get("user-agent")) return next();
  res.status(403).set({ "content-type": "text/html", connection: "close" }).send(USER_AGENT_REQUIRED);
}

function commonHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.set({
    "x-github-request-id": requestId(),
    "x-github-api-version-selected": "2022-11-28",
    "x-github-media-type": "github.v3; format=json",
    "x-content-type-options": "nosniff",
  });
  next();
}

/** Primary rate limit per caller, with GitHub's x-ratelimit-* headers on every answer. */
function rateLimit(ctx: EmulatorContext) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const { key, limit } = rateLimitKey(req);
    const now = Date.now();
    let window = ctx.state.rateLimitWindows.get(key);
    if (!window || window.resetAt <= now) {
      window = { resetAt: now + HOUR_MS, used: 0 };
      ctx.state.rateLimitWindows.set(key, window);
    }
    const exceeded = window.used >= limit;
    if (!exceeded) window.used += 1;
    res.set({
      "x-ratelimit-limit": String(limit),
      "x-ratelimit-remaining": String(Math.max(0, limit - window.used)),
      "x-ratelimit-reset": String(Math.floor(window.resetAt / 1000)),
      "x-ratelimit-used": String(window.used),
      "x-ratelimit-resource": "core",
    });
    if (exceeded) {
      throw new ApiError(
        403,
        `API rate limit exceeded for ${key.replace(":", " ID ")}.`,
        "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
      );
    }
    next();
  };
}

/** The REST API, mounted at /api/v3 as on GitHub Enterprise. */
export function apiRouter(ctx: EmulatorContext): Router {
  const router = express.Router();
  router.use(requireUserAgent, commonHeaders, faultInjection(ctx));
  router.use(express.json({ limit: "25mb" }));
  router.use(authenticate(ctx), rateLimit(ctx));
  router.use(appRoutes(ctx), installationRoutes(ctx), userRoutes(ctx), repositoryRoutes(ctx));
  router.use(() => {
    throw new ApiError(404, "Not Found", REST_DOCS);
  });
  router.use(apiErrorHandler);
  return router;
}
