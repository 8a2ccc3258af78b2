// createApp(deps) builds the Express application without listening, so tests can mount it freely.
import fs from "node:fs";
import path from "node:path";
import { createExpressMiddleware } from "@trpc/server/adapters/express";
import express, { type Express, type Router } from "express";
import helmet from "helmet";
import type pg from "pg";
import type { Auth } from "../auth/auth.ts";
import { AppError } from "../errors.ts";
import type { Logger } from "../observability/logger.ts";
import type { Metrics } from "../observability/metrics.ts";
import type { SandboxDescription } from "../sandbox/launcher.ts";
import { createContextFactory, type Services } from "../trpc/context.ts";
import { appRouter } from "../trpc/router.ts";
import { createAuthRouter } from "./auth-handler.ts";
import { createErrorHandler, sendError } from "./errors.ts";
import { requestContext } from "./request-context.ts";

const TRPC_BODY_LIMIT_BYTES = 1024 * 1024;

export type AppDeps = {
  publicUrl: string;
  production: boolean;
  showInternalErrors: boolean;
  trustProxy: boolean;
  logger: Logger;
  metrics: Metrics;
  pool: pg.Pool;
  auth: Auth;
  services: Services;
  /** POST /api/webhooks/github, mounted before any body parser. */
  webhookRouter: Router;
  /** GET /api/github/setup, the GitHub App's Setup URL (server/github/github-setup.http.ts). */
  githubSetupRouter?: Router;
  /** Sandbox mode only: where the emulators are (GET /api/sandbox); absent in production, which answers 404. */
  sandbox?: SandboxDescription;
  /** The built SPA (dist/client); omitted in tests and in `npm run dev`, where Vite serves it. */
  clientDir?: string;
};

export function createApp(deps: AppDeps): Express {
  const { logger, metrics } = deps;
  const app = express();
  app.disable("x-powered-by");
  // Only small API answers go through res.send (pages and tRPC have their own caching); hashing each
  // of them for an ETag no client uses is wasted work on the webhook path.
  app.set("etag", false);
  app.set("trust proxy", deps.trustProxy);

  app.use(requestContext({ logger, metrics }));
  // GitHub's webhook endpoint answers a machine, not a browser: it is mounted before the security
  // headers meant for pages, and before any body parser (it needs the raw bytes for the signature).
  app.use("/api/webhooks/github", deps.webhookRouter);
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          "default-src": ["'self'"],
          "script-src": ["'self'"],
          "style-src": ["'self'"],
          "img-src": ["'self'", "data:", "https:"],
          "font-src": ["'self'"],
          "connect-src": ["'self'"],
          "object-src": ["'none'"],
          "base-uri": ["'self'"],
          "form-action": ["'self'"],
          "frame-ancestors": ["'none'"],
          ...(deps.production ? { "upgrade-insecure-requests": [] } : {}),
        },
      },
      strictTransportSecurity: deps.production ? { maxAge: 63_072_000, includeSubDomains: true } : false,
      referrerPolicy: { policy: "strict-origin-when-cross-origin" },
      crossOriginEmbedderPolicy: false,
    }),
  );

  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok", uptimeSeconds: Math.round(process.uptime()) });
  });
  app.get("/readyz", async (_req, res) => {
    try {
      await deps.pool.query("SELECT 1");
      res.json({ status: "ready", checks: { database: "ok" } });
    } catch (error) {
      logger.warn({ err: error }, "readiness check failed");
      res.status(503).json({ status: "unavailable", checks: { database: "unreachable" } });
    }
  });
  app.get("/metrics", async (_req, res) => {
    res.setHeader("Content-Type", metrics.registry.contentType);
    res.end(await metrics.registry.metrics());
  });

  app.get("/api/sandbox", (_req, res) => {
    if (!deps.sandbox) {
      sendError(res, new AppError("NOT_FOUND", "Hangar is not running in sandbox mode."));
      return;
    }
    res.json(deps.sandbox);
  });
  if (deps.githubSetupRouter) app.use("/api/github/setup", deps.githubSetupRouter);
  // better-auth parses its own bodies; no JSON parser may run before it.
  app.use("/api/auth", createAuthRouter(deps.auth, deps.publicUrl));
  app.use(
    "/api/trpc",
    createExpressMiddleware({
      router: appRouter,
      createContext: createContextFactory({
        auth: deps.auth,
        services: deps.services,
        showInternalErrors: deps.showInternalErrors,
      }),
      maxBodySize: TRPC_BODY_LIMIT_BYTES,
      responseMeta({ errors }) {
        const retryAfter = errors
          .map((error) => (error.cause instanceof AppError ? error.cause.retryAfterSeconds : undefined))
          .find((value) => value !== undefined);
        return retryAfter ? { headers: new Headers({ "Retry-After": String(retryAfter) }) } : {};
      },
      onError({ error, path }) {
        if (error.code === "INTERNAL_SERVER_ERROR")
          logger.error({ err: error.cause ?? error, path }, "procedure failed");
      },
    }),
  );
  app.use("/api", (req, res) => {
    sendError(res, new AppError("NOT_FOUND", `No API route ${req.method} ${req.baseUrl}${req.path}.`));
  });

  if (deps.clientDir && fs.existsSync(path.join(deps.clientDir, "index.html"))) {
    const indexHtml = path.join(deps.clientDir, "index.html");
    app.use(
      "/assets",
      express.static(path.join(deps.clientDir, "assets"), {
        immutable: true,
        maxAge: "1y",
        fallthrough: false,
      }),
    );
    app.use(express.static(deps.clientDir, { index: false, maxAge: "1h" }));
    // History fallback: every other GET is a client-side route.
    app.get("/{*path}", (_req, res) => {
      res.setHeader("Cache-Control", "no-cache");
      res.sendFile(indexHtml);
    });
  }
  app.use((req, res) => {
    sendError(res, new AppError("NOT_FOUND", `Nothing at ${req.method} ${req.path}.`));
  });
  app.use(createErrorHandler(logger));
  return app;
}
