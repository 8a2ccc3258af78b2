import type { Request, RequestHandler, Response } from "express";
import { setTimeout as delay } from "node:timers/promises";
import { z } from "zod";
import { requestLogEntry } from "./request-log.ts";
import type { EmulatorState } from "./state.ts";

const rate = z.number().min(0).max(1);

export const faultProfileSchema = z.strictObject({
  errorRate: rate.default(0),
  latencyMs: z.number().int().min(0).max(120_000).default(0),
  rateLimitRate: rate.default(0),
  retryAfterSeconds: z.number().int().min(0).max(3_600).default(1),
  timeoutRate: rate.default(0),
  dropRate: rate.default(0),
  /** `"/v1/apps/x"` (path prefix) or `"POST /v1/apps/*\/machines"` (method + prefix; `*` = one segment). */
  routes: z
    .union([z.string().min(1), z.array(z.string().min(1))])
    .optional()
    .transform((routes) => (typeof routes === "string" ? [routes] : routes)),
});

export type FaultProfile = z.infer<typeof faultProfileSchema>;

/** A withheld response is released after this long so a client without a timeout cannot leak a socket forever. */
const WITHHELD_RESPONSE_LIMIT_MS = 120_000;

function routeMatcher(route: string): (request: Request) => boolean {
  const [first = "", second] = route.trim().split(/\s+/, 2);
  const method = second === undefined ? undefined : first.toUpperCase();
  const rawPath = second ?? first;
  const path = rawPath.startsWith("/v1") ? rawPath : `/v1${rawPath.startsWith("/") ? "" : "/"}${rawPath}`;
  const pattern = new RegExp(
    `^${path
      .split("*")
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join("[^/]+")}`,
  );
  return (request) =>
    (method === undefined || request.method === method) &&
    pattern.test(new URL(request.originalUrl, "http://emulator").pathname);
}

function applies(profile: FaultProfile, request: Request): boolean {
  return !profile.routes || profile.routes.some((route) => routeMatcher(route)(request));
}

function strikes(probability: number): boolean {
  return probability > 0 && Math.random() < probability;
}

/**
 * The request is processed but its response never leaves: the caller cannot know whether it took
 * effect, exactly the ambiguity of a timed-out create on Fly (flyctl warns about it).
 */
function withholdResponse(response: Response): void {
  const swallow = (() => response) as unknown as Response["end"];
  response.writeHead = swallow as unknown as Response["writeHead"];
  response.write = swallow as unknown as Response["write"];
  response.end = swallow;
  setTimeout(() => response.socket?.destroy(), WITHHELD_RESPONSE_LIMIT_MS).unref();
}

/** Test-only fault injection for `/v1`, configured through `POST /_emulator/faults`. */
export function injectFaults(state: EmulatorState): RequestHandler {
  return async (request, response, next) => {
    const profile = state.faults;
    if (!profile || !applies(profile, request)) return next();
    const entry = requestLogEntry(response);
    const mark = (fault: string) => {
      if (entry) entry.fault = fault;
    };
    if (profile.latencyMs > 0) await delay(profile.latencyMs);
    if (strikes(profile.dropRate)) {
      mark("drop");
      request.socket.destroy();
      return;
    }
    if (strikes(profile.timeoutRate)) {
      mark("timeout");
      withholdResponse(response);
      return next();
    }
    if (strikes(profile.rateLimitRate)) {
      mark("rate_limit");
      response.set("Retry-After", String(profile.retryAfterSeconds));
      response.status(429).json({ error: "rate limit exceeded, please slow down" });
      return;
    }
    if (strikes(profile.errorRate)) {
      mark("error");
      const status = [500, 502, 503][Math.floor(Math.random() * 3)] ?? 500;
      response.status(status).json({ error: "internal error (injected fault)" });
      return;
    }
    if (profile.latencyMs > 0) mark("latency");
    next();
  };
}
