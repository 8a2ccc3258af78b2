// The one place plain-HTTP failures become the SPEC §6 body: { code, message, requestId, ... }.
import type { ErrorRequestHandler, Response } from "express";
import { AppError, type ErrorBody, type ErrorCode } from "../errors.ts";
import type { Logger } from "../observability/logger.ts";

const STATUS_CODES: Record<number, ErrorCode> = {
  400: "BAD_REQUEST",
  401: "UNAUTHORIZED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  405: "METHOD_NOT_SUPPORTED",
  409: "CONFLICT",
  413: "PAYLOAD_TOO_LARGE",
  415: "BAD_REQUEST",
  422: "UNPROCESSABLE_CONTENT",
  429: "TOO_MANY_REQUESTS",
};

export function sendError(res: Response, error: AppError): void {
  const body: ErrorBody = {
    code: error.code,
    message: error.message,
    requestId: String(res.locals.requestId ?? "unknown"),
    ...(error.reason ? { reason: error.reason } : {}),
    ...(error.fieldErrors ? { fieldErrors: error.fieldErrors } : {}),
    ...(error.retryAfterSeconds ? { retryAfterSeconds: error.retryAfterSeconds } : {}),
  };
  if (error.retryAfterSeconds) res.setHeader("Retry-After", String(error.retryAfterSeconds));
  res.status(error.status).json(body);
}

/** Errors thrown by Express and body parsers carry `status` and `type`; anything else is a 500. */
function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const status = (error as { status?: unknown }).status;
  const type = (error as { type?: unknown }).type;
  if (type === "entity.too.large") return new AppError("PAYLOAD_TOO_LARGE", "The request body is too large.");
  if (type === "entity.parse.failed")
    return new AppError("BAD_REQUEST", "The request body is not valid JSON.");
  if (typeof status === "number" && status >= 400 && status < 500) {
    return new AppError(STATUS_CODES[status] ?? "BAD_REQUEST", "The request could not be processed.");
  }
  return new AppError(
    "INTERNAL_SERVER_ERROR",
    "Something went wrong on our side. Quote the request id if it persists.",
    {
      cause: error,
    },
  );
}

export function createErrorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, _req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const appError = toAppError(error);
    if (appError.status >= 500) logger.error({ err: error }, "unhandled error");
    sendError(res, appError);
  };
}
