/** An error answered the way the Machines API answers it: `{"error": "...", "status"?: "..."}`. */
export class FlyApiError extends Error {
  readonly httpStatus: number;
  readonly flyStatus?: string;

  constructor(httpStatus: number, message: string, flyStatus?: string) {
    super(message);
    this.httpStatus = httpStatus;
    this.flyStatus = flyStatus;
  }

  toBody(): { error: string; status?: string } {
    return this.flyStatus ? { error: this.message, status: this.flyStatus } : { error: this.message };
  }
}

export function unauthenticated(): FlyApiError {
  return new FlyApiError(401, "Authenticate: token validation error");
}

export function unauthorized(): FlyApiError {
  return new FlyApiError(403, "unauthorized");
}

export function appNotFound(): FlyApiError {
  return new FlyApiError(404, "app not found");
}

export function machineNotFound(): FlyApiError {
  return new FlyApiError(404, "machine not found");
}

export function notFound(what: string): FlyApiError {
  return new FlyApiError(404, `${what} not found`);
}

export function invalidArgument(detail: string): FlyApiError {
  return new FlyApiError(400, `invalid_argument: ${detail}`);
}

export function failedPrecondition(detail: string): FlyApiError {
  return new FlyApiError(412, `failed_precondition: ${detail}`);
}

export function appNameTaken(): FlyApiError {
  return new FlyApiError(422, "Validation failed: Name has already been taken", "name_taken");
}

export function appNameInvalid(): FlyApiError {
  return new FlyApiError(
    422,
    "Validation failed: Name under 63 chars using numbers, lowercase letters and dashes",
  );
}

/** Go-style RFC 3339 without fractional seconds, as in Fly's lease conflict message. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function leaseConflict(machineId: string, owner: string, expiresAtMs: number): FlyApiError {
  return new FlyApiError(
    409,
    `aborted: machine ID ${machineId} lease currently held by ${owner}, expires at ${rfc3339(expiresAtMs)}`,
  );
}

export function waitDeadlineExceeded(wanted: string, current: string): FlyApiError {
  return new FlyApiError(
    408,
    `deadline_exceeded: machine failed to reach desired state, ${wanted}, currently ${current}`,
  );
}
