// The one resilience layer every external call (GitHub, Fly.io, the builder) goes through (SPEC §3).
// Per call: retry (exponential backoff, full jitter, Retry-After honoured) around the service's shared
// circuit breaker, around a per-attempt timeout whose AbortSignal the operation hands to fetch.
import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  type IBackoff,
  type IBackoffFactory,
  type IRetryBackoffContext,
  IsolatedCircuitError,
  TaskCancelledError,
  TimeoutStrategy,
  circuitBreaker,
  fullJitterGenerator,
  handleWhen,
  retry,
  timeout,
  wrap,
  type CircuitBreakerPolicy,
} from "cockatiel";
import { AppError } from "../errors.ts";
import type { Metrics } from "../observability/metrics.ts";

export type ExternalService = "github" | "fly" | "builder";

export type ServicePolicy = {
  /** Per attempt; the attempt's fetch is aborted when it runs out. */
  timeoutMs: number;
  /** Attempts after the first. */
  maxRetries: number;
  initialDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited for: the call fails and reports when to try again. */
  maxRetryAfterMs: number;
  /** Consecutive retryable failures that open the circuit. */
  breakerThreshold: number;
  /** How long an open circuit refuses calls before letting one test call through (half-open). */
  halfOpenAfterMs: number;
};

export const DEFAULT_POLICY: ServicePolicy = {
  timeoutMs: 10_000,
  maxRetries: 3,
  initialDelayMs: 200,
  maxDelayMs: 5_000,
  maxRetryAfterMs: 30_000,
  breakerThreshold: 5,
  halfOpenAfterMs: 15_000,
};

export type CallOptions = {
  /**
   * Whether repeating the request is harmless (default true: reads, PUT-like writes). A non-idempotent
   * call is retried only when the request certainly did not take effect: a 429 or a refused connection.
   */
  idempotent?: boolean;
  /** Overrides the service's per-attempt timeout, e.g. for long polls. */
  timeoutMs?: number;
  /** Cancels the call (and any wait before a retry) from outside. */
  signal?: AbortSignal;
};

/**
 * What an operation's error may say about the upstream answer. Errors without `upstreamStatus` but with
 * `retryable: true` count as retryable network-level failures.
 */
export type UpstreamFailure = {
  /** The HTTP status; 0 when no answer arrived. */
  upstreamStatus: number;
  retryAfterSeconds?: number | undefined;
};

export type CircuitStatus = "closed" | "open" | "half-open" | "isolated";

/** The circuit is open: the service failed repeatedly and calls are refused for a while. */
export class CircuitOpenError extends AppError {
  readonly service: ExternalService;

  constructor(service: ExternalService, retryAfterSeconds: number) {
    super(
      "SERVICE_UNAVAILABLE",
      `${SERVICE_NAMES[service]} is failing repeatedly; Hangar pauses calls to it for a short while. Try again in ${retryAfterSeconds} seconds.`,
      { reason: "CIRCUIT_OPEN", retryAfterSeconds },
    );
    this.service = service;
    this.name = "CircuitOpenError";
  }
}

/** No answer within the per-attempt timeout (after any retries the call was allowed). */
export class ExternalTimeoutError extends AppError {
  readonly service: ExternalService;

  constructor(service: ExternalService, timeoutMs: number) {
    super("GATEWAY_TIMEOUT", `${SERVICE_NAMES[service]} did not answer within ${timeoutMs / 1000} seconds.`, {
      reason: "EXTERNAL_TIMEOUT",
    });
    this.service = service;
    this.name = "ExternalTimeoutError";
  }
}

const SERVICE_NAMES: Record<ExternalService, string> = {
  github: "GitHub",
  fly: "Fly.io",
  builder: "The image builder",
};

const CIRCUIT_GAUGE: Record<CircuitStatus, number> = { closed: 0, "half-open": 1, open: 2, isolated: 2 };

/** Node/undici codes for failures where the request may or may not have reached the server. */
const NETWORK_ERROR_CODES = new Set([
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
]);

type Failure =
  /** Retryable; `certainlyNotApplied` when the server cannot have acted on the request. */
  { retryable: true; certainlyNotApplied: boolean; retryAfterMs: number | undefined } | { retryable: false };

function errorCodes(error: unknown): string[] {
  const codes: string[] = [];
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    if (typeof current !== "object") break;
    const { code, errors, cause } = current as { code?: unknown; errors?: unknown; cause?: unknown };
    if (typeof code === "string") codes.push(code);
    // Happy eyeballs: undici reports each address's failure in an AggregateError.
    if (Array.isArray(errors)) codes.push(...errors.flatMap((inner) => errorCodes(inner)));
    current = cause;
  }
  return codes;
}

function isUpstreamFailure(error: unknown): error is UpstreamFailure {
  return typeof (error as Partial<UpstreamFailure> | null)?.upstreamStatus === "number";
}

export function classifyFailure(error: unknown): Failure {
  if (error instanceof TaskCancelledError) {
    return { retryable: true, certainlyNotApplied: false, retryAfterMs: undefined };
  }
  const codes = errorCodes(error);
  if (codes.length > 0 && codes.every((code) => code === "ECONNREFUSED")) {
    return { retryable: true, certainlyNotApplied: true, retryAfterMs: undefined };
  }
  if (isUpstreamFailure(error) && error.upstreamStatus > 0) {
    const status = error.upstreamStatus;
    if (status !== 408 && status !== 429 && status < 500) return { retryable: false };
    const retryAfterMs = error.retryAfterSeconds === undefined ? undefined : error.retryAfterSeconds * 1000;
    return { retryable: true, certainlyNotApplied: status === 429, retryAfterMs };
  }
  if (codes.some((code) => NETWORK_ERROR_CODES.has(code))) {
    return { retryable: true, certainlyNotApplied: false, retryAfterMs: undefined };
  }
  if ((error as { retryable?: unknown } | null)?.retryable === true) {
    const retryAfterSeconds = (error as { retryAfterSeconds?: unknown }).retryAfterSeconds;
    const retryAfterMs = typeof retryAfterSeconds === "number" ? retryAfterSeconds * 1000 : undefined;
    return { retryable: true, certainlyNotApplied: false, retryAfterMs };
  }
  return { retryable: false };
}

/** `Retry-After` as seconds: either delay-seconds or an HTTP date. */
export function parseRetryAfter(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

/** Full-jitter exponential backoff, stretched to at least what the server asked for in Retry-After. */
function retryAfterAwareBackoff(
  base: IBackoffFactory<unknown>,
): IBackoffFactory<IRetryBackoffContext<unknown>> {
  const step = (inner: IBackoff<unknown>, context: IRetryBackoffContext<unknown>) => {
    const failure: Failure =
      "error" in context.result ? classifyFailure(context.result.error) : { retryable: false };
    const asked = failure.retryable ? (failure.retryAfterMs ?? 0) : 0;
    const backoff: IBackoff<IRetryBackoffContext<unknown>> = {
      duration: Math.max(inner.duration, asked),
      next: (nextContext) => step(inner.next(nextContext), nextContext),
    };
    return backoff;
  };
  return { next: (context) => step(base.next(context), context) };
}

function circuitStatus(state: CircuitState): CircuitStatus {
  switch (state) {
    case CircuitState.Closed:
      return "closed";
    case CircuitState.HalfOpen:
      return "half-open";
    case CircuitState.Open:
      return "open";
    case CircuitState.Isolated:
      return "isolated";
  }
}

type ResilienceMetrics = Pick<Metrics, "externalCallDuration" | "externalCallRetries" | "circuitState">;

export function createResilience(deps: {
  metrics: ResilienceMetrics;
  policies?: Partial<Record<ExternalService, Partial<ServicePolicy>>>;
}) {
  const { metrics } = deps;
  const breakers = new Map<ExternalService, { policy: ServicePolicy; breaker: CircuitBreakerPolicy }>();

  function serviceFor(service: ExternalService) {
    let entry = breakers.get(service);
    if (!entry) {
      const policy = { ...DEFAULT_POLICY, ...deps.policies?.[service] };
      // Only failures that say "the service is unwell" count; a 404 or 422 is a healthy answer.
      const breaker = circuitBreaker(
        handleWhen((error) => classifyFailure(error).retryable),
        {
          halfOpenAfter: policy.halfOpenAfterMs,
          breaker: new ConsecutiveBreaker(policy.breakerThreshold),
        },
      );
      breaker.onStateChange((state) =>
        metrics.circuitState.set({ service }, CIRCUIT_GAUGE[circuitStatus(state)]),
      );
      metrics.circuitState.set({ service }, CIRCUIT_GAUGE.closed);
      entry = { policy, breaker };
      breakers.set(service, entry);
    }
    return entry;
  }

  return {
    /**
     * Runs `operation` with the service's policy. The operation must pass `signal` to fetch and throw
     * for failed answers (ideally an error carrying `upstreamStatus` and `retryAfterSeconds`).
     */
    async execute<T>(
      service: ExternalService,
      operation: (signal: AbortSignal) => Promise<T>,
      options: CallOptions = {},
    ): Promise<T> {
      const { policy, breaker } = serviceFor(service);
      const idempotent = options.idempotent ?? true;
      const timeoutMs = options.timeoutMs ?? policy.timeoutMs;
      const retryPolicy = retry(
        handleWhen((error) => {
          const failure = classifyFailure(error);
          if (!failure.retryable) return false;
          if (!idempotent && !failure.certainlyNotApplied) return false;
          return (failure.retryAfterMs ?? 0) <= policy.maxRetryAfterMs;
        }),
        {
          maxAttempts: policy.maxRetries,
          backoff: retryAfterAwareBackoff(
            new ExponentialBackoff({
              generator: fullJitterGenerator,
              initialDelay: policy.initialDelayMs,
              maxDelay: policy.maxDelayMs,
            }),
          ),
        },
      );
      retryPolicy.onRetry(() => metrics.externalCallRetries.inc({ service }));
      const attempt = wrap(breaker, timeout(timeoutMs, TimeoutStrategy.Aggressive));

      try {
        return await retryPolicy.execute(async ({ signal }) => {
          const stopTimer = metrics.externalCallDuration.startTimer({ service });
          try {
            const result = await attempt.execute(
              ({ signal: attemptSignal }) => operation(attemptSignal),
              signal,
            );
            stopTimer({ outcome: "success" });
            return result;
          } catch (error) {
            stopTimer({ outcome: outcomeLabel(error) });
            throw error;
          }
        }, options.signal);
      } catch (error) {
        if (options.signal?.aborted) throw options.signal.reason;
        if (error instanceof BrokenCircuitError || error instanceof IsolatedCircuitError) {
          throw new CircuitOpenError(service, Math.ceil(policy.halfOpenAfterMs / 1000));
        }
        if (error instanceof TaskCancelledError) throw new ExternalTimeoutError(service, timeoutMs);
        throw error;
      }
    },

    circuitState(service: ExternalService): CircuitStatus {
      return circuitStatus(serviceFor(service).breaker.state);
    },
  };
}

function outcomeLabel(error: unknown): string {
  if (error instanceof BrokenCircuitError || error instanceof IsolatedCircuitError) return "circuit_open";
  if (error instanceof TaskCancelledError) return "timeout";
  return classifyFailure(error).retryable ? "retryable_error" : "error";
}

export type Resilience = ReturnType<typeof createResilience>;
