// Fly.io's failures as AppErrors: a code the API maps to an HTTP status, a message naming what Fly said,
// and Fly's status and message for callers that branch on them. `upstreamStatus` is what the
// resilience layer reads to decide on retries.
import { AppError, type ErrorCode } from "../errors.ts";
import { parseRetryAfter } from "../resilience/resilience.ts";
import { sanitizeText } from "../webhooks/sanitize.ts";

/** What Fly said about a failed call. */
export type FlyApiErrorDetails = {
  /** Fly's HTTP status; 0 when no answer arrived. */
  upstreamStatus: number;
  /** Fly's `error` (or `message`) text. */
  flyMessage: string;
  /** Fly's machine-readable `status`, e.g. `name_taken`, `insufficient_capacity`. */
  flyStatus?: string | undefined;
  retryAfterSeconds?: number | undefined;
  cause?: unknown;
};

export class FlyApiError extends AppError {
  readonly details: FlyApiErrorDetails;

  constructor(code: ErrorCode, message: string, details: FlyApiErrorDetails) {
    super(code, message, {
      reason: "FLY_API_ERROR",
      retryAfterSeconds: details.retryAfterSeconds,
      cause: details.cause,
    });
    this.details = details;
    this.name = "FlyApiError";
  }

  get upstreamStatus(): number {
    return this.details.upstreamStatus;
  }

  get flyMessage(): string {
    return this.details.flyMessage;
  }

  get flyStatus(): string | undefined {
    return this.details.flyStatus;
  }
}

function codeFor(status: number): ErrorCode {
  if (status === 400 || status === 422) return "UNPROCESSABLE_CONTENT";
  if (status === 401 || status === 403) return "FORBIDDEN";
  if (status === 404) return "NOT_FOUND";
  if (status === 409) return "CONFLICT";
  if (status === 412) return "PRECONDITION_FAILED";
  if (status === 429) return "TOO_MANY_REQUESTS";
  return "BAD_GATEWAY";
}

/** One non-2xx answer. Fly's body is `{"error": "...", "status"?: "..."}`; fly-go also reads `message`. */
export async function flyErrorFromResponse(what: string, response: Response): Promise<FlyApiError> {
  const text = await response.text().catch(() => "");
  let flyMessage = text.slice(0, 300);
  let flyStatus: string | undefined;
  try {
    const body = JSON.parse(text) as { error?: unknown; message?: unknown; status?: unknown };
    const message = typeof body.message === "string" ? body.message : body.error;
    if (typeof message === "string") flyMessage = message;
    if (typeof body.status === "string") flyStatus = body.status;
  } catch {
    // Not JSON (a proxy's error page): keep the text.
  }
  flyMessage = sanitizeText(flyMessage || response.statusText, 300);
  return new FlyApiError(
    codeFor(response.status),
    `Fly.io refused ${what} (${response.status}): ${flyMessage}`,
    {
      upstreamStatus: response.status,
      flyMessage,
      flyStatus,
      retryAfterSeconds: parseRetryAfter(response.headers.get("retry-after")),
    },
  );
}

/** No answer at all: refused, reset or dropped connection, DNS failure. */
export function flyUnreachable(what: string, cause: unknown): FlyApiError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new FlyApiError(
    "SERVICE_UNAVAILABLE",
    `Fly.io could not be reached for ${what}. Try again shortly.`,
    {
      upstreamStatus: 0,
      flyMessage: sanitizeText(detail, 300),
      cause,
    },
  );
}

export function flyUnexpectedBody(what: string, status: number, problem: string): FlyApiError {
  return new FlyApiError("BAD_GATEWAY", `Fly.io answered ${what} with an unexpected body.`, {
    upstreamStatus: status,
    flyMessage: sanitizeText(problem, 300),
  });
}
