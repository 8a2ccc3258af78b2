// Typed domain errors. Services throw AppError; server/http/errors.ts and server/trpc/init.ts are the
// only places that turn them into HTTP or tRPC responses (SPEC §6).

export const ERROR_STATUS = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_SUPPORTED: 405,
  CONFLICT: 409,
  PRECONDITION_FAILED: 412,
  PAYLOAD_TOO_LARGE: 413,
  UNPROCESSABLE_CONTENT: 422,
  TOO_MANY_REQUESTS: 429,
  INTERNAL_SERVER_ERROR: 500,
  BAD_GATEWAY: 502,
  SERVICE_UNAVAILABLE: 503,
  GATEWAY_TIMEOUT: 504,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** Field name → messages, for validation failures a form can show next to its inputs. */
export type FieldErrors = Record<string, string[]>;

export type AppErrorOptions = {
  /** A stable, specific reason a client can branch on, e.g. "SIGN_IN_RATE_LIMITED". */
  reason?: string;
  fieldErrors?: FieldErrors;
  retryAfterSeconds?: number;
  cause?: unknown;
};

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly reason: string | undefined;
  readonly fieldErrors: FieldErrors | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(
    code: ErrorCode,
    /** Safe to show to the user: never include internal details or secrets. */
    message: string,
    options: AppErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.code = code;
    this.name = "AppError";
    this.reason = options.reason;
    this.fieldErrors = options.fieldErrors;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

/** The JSON body of every failed plain-HTTP response. */
export type ErrorBody = {
  /** An ErrorCode, or a more specific one passed through from better-auth (e.g. INVALID_EMAIL_OR_PASSWORD). */
  code: string;
  message: string;
  requestId: string;
  reason?: string;
  fieldErrors?: FieldErrors;
  retryAfterSeconds?: number;
};
