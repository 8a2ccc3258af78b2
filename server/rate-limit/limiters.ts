// Rate limits kept in PostgreSQL (rate-limiter-flexible) so they hold across every Hangar instance.
import type pg from "pg";
import { RateLimiterPostgres, RateLimiterRes } from "rate-limiter-flexible";

export type LimitDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export type Limiter = {
  readonly points: number;
  readonly windowSeconds: number;
  /** Spends one point for `key`; refused once the window's points are spent. */
  consume(key: string): Promise<LimitDecision>;
  /** Whether `key` is currently blocked, without spending a point. */
  check(key: string): Promise<LimitDecision>;
  reset(key: string): Promise<void>;
};

function createLimiter(pool: pg.Pool, keyPrefix: string, points: number, windowSeconds: number): Limiter {
  const limiter = new RateLimiterPostgres({
    storeClient: pool,
    storeType: "pool",
    tableName: "rate_limit",
    tableCreated: true, // created by the migrations, never at run time
    keyPrefix,
    points,
    duration: windowSeconds,
  });
  const refused = (res: RateLimiterRes): LimitDecision => ({
    allowed: false,
    retryAfterSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)),
  });
  return {
    points,
    windowSeconds,
    async consume(key) {
      try {
        await limiter.consume(key);
        return { allowed: true };
      } catch (error) {
        if (error instanceof RateLimiterRes) return refused(error);
        throw error;
      }
    },
    async check(key) {
      const res = await limiter.get(key);
      return res && res.consumedPoints >= points ? refused(res) : { allowed: true };
    },
    async reset(key) {
      await limiter.delete(key);
    },
  };
}

export type LimitSettings = {
  apiRequestsPerMinute: number;
  signInFailuresAllowed: number;
  signInFailureWindowSeconds: number;
  webhookFailuresPerMinutePerIp: number;
};

export function createLimiters(pool: pg.Pool, settings: LimitSettings) {
  return {
    /** tRPC requests per signed-in user. */
    api: createLimiter(pool, "api", settings.apiRequestsPerMinute, 60),
    /** Failed sign-ins per (IP, email); a success clears it. */
    signInFailures: createLimiter(
      pool,
      "signin-fail",
      settings.signInFailuresAllowed,
      settings.signInFailureWindowSeconds,
    ),
    /** Webhook requests that fail verification or are malformed, per IP. */
    webhookFailures: createLimiter(pool, "webhook-fail", settings.webhookFailuresPerMinutePerIp, 60),
    /** New accounts per IP, against scripted sign-up floods. */
    signUps: createLimiter(pool, "signup", 20, 60 * 60),
  };
}

export type Limiters = ReturnType<typeof createLimiters>;
