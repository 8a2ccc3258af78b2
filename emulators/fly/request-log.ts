import type { RequestHandler, Response } from "express";
import { LEASE_NONCE_HEADER } from "./http.ts";
import { recordRequest, type EmulatorState, type RequestLogEntry } from "./state.ts";

/**
 * Records every API request so tests can assert on traffic (e.g. that updates carried the lease nonce).
 * The entry is stored when the request arrives and completed as the status line is written, so it is
 * complete before the client can see the response.
 */
export function logRequests(state: EmulatorState): RequestHandler {
  return (request, response, next) => {
    const startedAt = performance.now();
    const entry: RequestLogEntry = {
      at: new Date().toISOString(),
      method: request.method,
      path: new URL(request.originalUrl, "http://emulator").pathname,
      query: { ...request.query },
      status: null,
      leaseNoncePresent: Boolean(request.get(LEASE_NONCE_HEADER)),
      durationMs: null,
      fault: null,
    };
    recordRequest(state, entry);
    response.locals.requestLogEntry = entry;
    const writeHead = response.writeHead.bind(response) as (...args: unknown[]) => Response;
    response.writeHead = ((...args: unknown[]) => {
      entry.status = typeof args[0] === "number" ? args[0] : response.statusCode;
      entry.durationMs = Math.round((performance.now() - startedAt) * 10) / 10;
      return writeHead(...args);
    }) as Response["writeHead"];
    next();
  };
}

export function requestLogEntry(response: Response): RequestLogEntry | undefined {
  return response.locals.requestLogEntry as RequestLogEntry | undefined;
}
