import type { ErrorRequestHandler, Request } from "express";
import type { z } from "zod";
import { FlyApiError, invalidArgument } from "./errors.ts";

export const LEASE_NONCE_HEADER = "fly-machine-lease-nonce";

/** Validates a JSON body; a missing body counts as `{}` so required fields report themselves. */
export function parseBody<Schema extends z.ZodType>(schema: Schema, body: unknown): z.infer<Schema> {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue?.path.map(String).join(".") ?? "";
  throw invalidArgument(
    path ? `${path}: ${issue?.message ?? "invalid"}` : (issue?.message ?? "invalid request body"),
  );
}

/** All values of a query parameter, whether repeated (`?state=a&state=b`) or not. */
export function queryValues(query: Request["query"], name: string): string[] {
  const value: unknown = query[name];
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === "string");
  return [];
}

export function queryValue(query: Request["query"], name: string): string | undefined {
  const value = queryValues(query, name)[0];
  return value === "" ? undefined : value;
}

/** Go's `strconv.ParseBool` spellings; anything else is a 400 like Fly's parameter decoding. */
export function queryBoolean(query: Request["query"], name: string): boolean | undefined {
  const value = queryValue(query, name);
  if (value === undefined) return undefined;
  if (["1", "t", "T", "true", "TRUE", "True"].includes(value)) return true;
  if (["0", "f", "F", "false", "FALSE", "False"].includes(value)) return false;
  throw invalidArgument(`invalid boolean for ${name}: ${JSON.stringify(value)}`);
}

export function queryInteger(query: Request["query"], name: string): number | undefined {
  const value = queryValue(query, name);
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value)) throw invalidArgument(`invalid integer for ${name}: ${JSON.stringify(value)}`);
  return Number(value);
}

export function leaseNonce(request: Request): string | undefined {
  return request.get(LEASE_NONCE_HEADER) || undefined;
}

function isBodyParserError(error: unknown): error is { type: string; status: number } {
  return typeof error === "object" && error !== null && "type" in error && typeof error.type === "string";
}

/** Every failure leaves as Fly's `{"error": "..."}` body. */
export const flyErrorHandler: ErrorRequestHandler = (error: unknown, _request, response, _next) => {
  if (response.headersSent) return;
  if (error instanceof FlyApiError) {
    response.status(error.httpStatus).json(error.toBody());
    return;
  }
  if (isBodyParserError(error)) {
    const status = error.type === "entity.too.large" ? 413 : 400;
    response
      .status(status)
      .json({ error: `invalid_argument: could not decode request body (${error.type})` });
    return;
  }
  console.error("fly emulator: unexpected error", error);
  response.status(500).json({ error: "internal error" });
};
