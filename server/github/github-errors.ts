// GitHub's failures as AppErrors: a code the API maps to an HTTP status, a reason a client can branch
// on, a message safe to show, and what GitHub said for logs and for callers that branch on its status.
import { AppError, type AppErrorOptions, type ErrorCode } from "../errors.ts";
import { sanitizeText } from "../webhooks/sanitize.ts";

export class GitHubError extends AppError {
  /** GitHub's HTTP status; 0 when no answer arrived. */
  readonly githubStatus: number;
  readonly githubMessage: string;
  /** GitHub's `Date` header, to correct for clock skew on JWT errors. */
  readonly serverDate: Date | undefined;
  /** Worth another attempt: network errors, timeouts, 408, 429, 5xx and secondary rate limits. */
  readonly retryable: boolean;

  constructor(
    code: ErrorCode,
    message: string,
    options: AppErrorOptions & {
      reason: string;
      githubStatus: number;
      githubMessage: string;
      serverDate?: Date;
      retryable?: boolean;
    },
  ) {
    super(code, message, options);
    this.name = "GitHubError";
    this.githubStatus = options.githubStatus;
    this.githubMessage = options.githubMessage;
    this.serverDate = options.serverDate;
    this.retryable = options.retryable ?? false;
  }

  /**
   * What server/resilience classifies retries by. GitHub's secondary rate limits come as 403; they
   * count as the 429 they mean, so they are retried after Retry-After like any rate limit.
   */
  get upstreamStatus(): number {
    return this.reason === "GITHUB_RATE_LIMITED" ? 429 : this.githubStatus;
  }
}

function describeTarget(method: string, url: string): string {
  return `${method} ${new URL(url).pathname}`;
}

export function gitHubUnreachable(method: string, url: string, cause: unknown): GitHubError {
  const timedOut = cause instanceof Error && (cause.name === "TimeoutError" || cause.name === "AbortError");
  return new GitHubError(
    timedOut ? "GATEWAY_TIMEOUT" : "SERVICE_UNAVAILABLE",
    timedOut
      ? "GitHub did not answer in time. Try again shortly."
      : "GitHub cannot be reached. Try again shortly.",
    {
      reason: "GITHUB_UNREACHABLE",
      githubStatus: 0,
      githubMessage: `${describeTarget(method, url)}: ${cause instanceof Error ? cause.message : String(cause)}`,
      retryable: true,
      cause,
    },
  );
}

function retryAfterSeconds(response: Response): number | undefined {
  const retryAfter = Number(response.headers.get("retry-after"));
  if (Number.isFinite(retryAfter) && retryAfter > 0) return Math.ceil(retryAfter);
  if (response.headers.get("x-ratelimit-remaining") === "0") {
    const reset = Number(response.headers.get("x-ratelimit-reset"));
    if (Number.isFinite(reset)) return Math.max(1, Math.ceil(reset - Date.now() / 1000));
  }
  return undefined;
}

/** Maps one non-2xx GitHub answer (body `{message, documentation_url}`) to a typed error. */
export async function gitHubErrorFromResponse(
  method: string,
  url: string,
  response: Response,
): Promise<GitHubError> {
  const text = await response.text().catch(() => "");
  let message = text.slice(0, 300);
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === "string") message = parsed.message;
  } catch {
    // Not JSON (GitHub's HTML 403 for a missing User-Agent, a proxy's error page): keep the text.
  }
  const githubMessage = sanitizeText(message || response.statusText, 300);
  const status = response.status;
  const dateHeader = response.headers.get("date");
  const common = {
    githubStatus: status,
    githubMessage,
    serverDate: dateHeader ? new Date(dateHeader) : undefined,
  };
  const target = describeTarget(method, url);

  const rateLimited =
    status === 429 ||
    (status === 403 &&
      (response.headers.get("x-ratelimit-remaining") === "0" || /rate limit/i.test(githubMessage)));
  if (rateLimited) {
    const seconds = retryAfterSeconds(response);
    return new GitHubError(
      "TOO_MANY_REQUESTS",
      `GitHub's rate limit was reached${seconds ? `; it resets in ${seconds} seconds` : ""}. Try again later.`,
      { ...common, reason: "GITHUB_RATE_LIMITED", retryAfterSeconds: seconds, retryable: true },
    );
  }
  if (status >= 500 || status === 408) {
    return new GitHubError("BAD_GATEWAY", `GitHub answered ${status} to ${target}. Try again shortly.`, {
      ...common,
      reason: "GITHUB_UNAVAILABLE",
      retryable: true,
    });
  }
  if (status === 401) {
    return new GitHubError("UNAUTHORIZED", `GitHub refused the credentials for ${target}: ${githubMessage}`, {
      ...common,
      reason: "GITHUB_BAD_CREDENTIALS",
    });
  }
  if (status === 403 && /suspended/i.test(githubMessage)) {
    return new GitHubError(
      "FORBIDDEN",
      "The GitHub App installation is suspended; an owner of the account can unsuspend it on GitHub.",
      { ...common, reason: "INSTALLATION_SUSPENDED" },
    );
  }
  if (status === 403) {
    return new GitHubError("FORBIDDEN", `GitHub refused ${target}: ${githubMessage}`, {
      ...common,
      reason: "GITHUB_FORBIDDEN",
    });
  }
  if (status === 404) {
    return new GitHubError("NOT_FOUND", `GitHub has nothing at ${target}.`, {
      ...common,
      reason: "GITHUB_NOT_FOUND",
    });
  }
  if (status === 422) {
    return new GitHubError("UNPROCESSABLE_CONTENT", `GitHub rejected ${target}: ${githubMessage}`, {
      ...common,
      reason: "GITHUB_VALIDATION_FAILED",
    });
  }
  return new GitHubError("BAD_GATEWAY", `GitHub answered ${status} to ${target}: ${githubMessage}`, {
    ...common,
    reason: "GITHUB_UNEXPECTED_RESPONSE",
  });
}
