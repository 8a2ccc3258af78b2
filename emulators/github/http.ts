import type { ErrorRequestHandler, Request, Response } from "express";
import type { EmulatorContext } from "./context.ts";

export const REST_DOCS = "https://docs.github.com/rest";

export interface ValidationErrorItem {
  resource: string;
  field?: string;
  code: string;
  message?: string;
}

/** An error GitHub would answer with `{message, documentation_url, status}` (plus `errors` on 422). */
export class ApiError extends Error {
  readonly status: number;
  readonly documentationUrl: string;
  readonly errors?: ValidationErrorItem[];
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    message: string,
    documentationUrl: string = REST_DOCS,
    errors?: ValidationErrorItem[],
    headers: Record<string, string> = {},
  ) {
    super(message);
    this.status = status;
    this.documentationUrl = documentationUrl;
    this.errors = errors;
    this.headers = headers;
  }
}

export function notFound(documentationUrl: string = REST_DOCS): ApiError {
  return new ApiError(404, "Not Found", documentationUrl);
}

export function validationFailed(documentationUrl: string, errors: ValidationErrorItem[]): ApiError {
  return new ApiError(422, "Validation Failed", documentationUrl, errors);
}

export function sendApiError(res: Response, error: ApiError): void {
  res.set(error.headers);
  res.status(error.status).json({
    message: error.message,
    documentation_url: error.documentationUrl,
    ...(error.errors ? { errors: error.errors } : {}),
    status: String(error.status),
  });
}

/** Turns thrown ApiErrors and body-parser failures into GitHub-shaped responses. */
export const apiErrorHandler: ErrorRequestHandler = (error: unknown, _req, res, next) => {
  if (res.headersSent) {
    next(error);
    return;
  }
  if (error instanceof ApiError) {
    sendApiError(res, error);
    return;
  }
  if (isBodyParserError(error)) {
    sendApiError(res, new ApiError(400, "Problems parsing JSON", REST_DOCS));
    return;
  }
  console.error("github emulator: unhandled error", error);
  sendApiError(res, new ApiError(500, "Server Error"));
};

function isBodyParserError(error: unknown): boolean {
  return (
    typeof error === "object" && error !== null && "type" in error && error.type === "entity.parse.failed"
  );
}

/** Route parameter as a string; wildcard parameters (arrays of segments) are joined with "/". */
export function param(req: Request, name: string): string {
  const value: unknown = (req.params as Record<string, unknown>)[name];
  if (Array.isArray(value)) return value.join("/");
  return typeof value === "string" ? value : "";
}

export function queryString(req: Request, name: string): string | undefined {
  const value: unknown = req.query[name];
  return typeof value === "string" ? value : undefined;
}

export function positiveInt(value: string | undefined, fallback: number): number {
  if (value === undefined || !/^\d+$/.test(value)) return fallback;
  const parsed = Number(value);
  return parsed > 0 ? parsed : fallback;
}

export function perPage(req: Request): number {
  return Math.min(positiveInt(queryString(req, "per_page"), 30), 100);
}

/** Page-number pagination with GitHub's `Link` header (prev/next/first/last). */
export function paginate<T>(ctx: EmulatorContext, req: Request, res: Response, items: readonly T[]): T[] {
  const size = perPage(req);
  const page = positiveInt(queryString(req, "page"), 1);
  const lastPage = Math.max(1, Math.ceil(items.length / size));
  const pageUrl = (n: number) => {
    const url = new URL(`${ctx.webUrl}${req.originalUrl}`);
    url.searchParams.set("per_page", String(size));
    url.searchParams.set("page", String(n));
    return url.toString();
  };
  const links: string[] = [];
  if (page > 1) links.push(`<${pageUrl(Math.min(page - 1, lastPage))}>; rel="prev"`);
  if (page < lastPage) links.push(`<${pageUrl(page + 1)}>; rel="next"`, `<${pageUrl(lastPage)}>; rel="last"`);
  if (page > 1) links.push(`<${pageUrl(1)}>; rel="first"`);
  if (links.length > 0) res.set("Link", links.join(", "));
  return items.slice((page - 1) * size, page * size);
}
