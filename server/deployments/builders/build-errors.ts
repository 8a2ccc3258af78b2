// Why a build stopped before it finished, as the AppError the deployment records.
import { AppError } from "../../errors.ts";

/**
 * An AppError given as the abort reason is the error itself (e.g. "superseded by a newer push");
 * `AbortSignal.timeout` means the step ran out of time; anything else is a cancel.
 */
export function buildStoppedError(signal: AbortSignal): AppError {
  const reason: unknown = signal.reason;
  if (reason instanceof AppError) return reason;
  if (reason instanceof DOMException && reason.name === "TimeoutError") {
    return new AppError("GATEWAY_TIMEOUT", "The build took too long and was stopped.", {
      reason: "BUILD_TIMED_OUT",
    });
  }
  return new AppError("CONFLICT", "The build was cancelled.", { reason: "BUILD_CANCELLED" });
}

export function throwIfStopped(signal: AbortSignal): void {
  if (signal.aborted) throw buildStoppedError(signal);
}
