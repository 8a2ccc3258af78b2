// The only initTRPC call: base procedures, error formatting and the AppError → TRPCError mapping.
import { TRPCError, initTRPC } from "@trpc/server";
import superjson from "superjson";
import * as z from "zod";
import { AppError, type ErrorCode } from "../errors.ts";
import { currentCorrelation } from "../observability/context.ts";
import { type Role, organizationIdInput } from "../organizations/organization.schema.ts";
import type { Context } from "./context.ts";

const INTERNAL_MESSAGE =
  "Something went wrong on our side. Try again; if it keeps happening, quote the request id.";

function summariseZodError(error: z.ZodError): string {
  const first = error.issues[0];
  if (!first) return "Invalid input.";
  const where = first.path.length > 0 ? `${first.path.join(".")}: ` : "";
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more)` : "";
  return `Invalid input: ${where}${first.message}${more}`;
}

const t = initTRPC.context<Context>().create({
  transformer: superjson,
  isDev: false,
  errorFormatter({ shape, error, ctx }) {
    const cause = error.cause;
    const appError = cause instanceof AppError ? cause : undefined;
    const zodError = cause instanceof z.ZodError ? cause : undefined;
    const showInternal = ctx?.showInternalErrors ?? false;
    const internal = error.code === "INTERNAL_SERVER_ERROR";
    const message = zodError
      ? summariseZodError(zodError)
      : internal && !showInternal
        ? INTERNAL_MESSAGE
        : shape.message;
    return {
      message,
      code: shape.code,
      data: {
        code: error.code,
        httpStatus: shape.data.httpStatus,
        path: shape.data.path,
        requestId: ctx?.requestId ?? currentCorrelation()?.requestId ?? null,
        reason: appError?.reason ?? null,
        fieldErrors: appError?.fieldErrors ?? (zodError ? fieldErrorsOf(zodError) : null),
        retryAfterSeconds: appError?.retryAfterSeconds ?? null,
        stack: showInternal ? error.stack : undefined,
      },
    };
  },
});

function fieldErrorsOf(error: z.ZodError): Record<string, string[]> {
  const fields: Record<string, string[]> = {};
  for (const issue of error.issues) {
    const key = issue.path.join(".") || "_";
    (fields[key] ??= []).push(issue.message);
  }
  return fields;
}

/** tRPC has the same code names as AppError, so the mapping keeps the code and the cause. */
export function toTRPCError(error: AppError): TRPCError {
  const code: ErrorCode = error.code;
  return new TRPCError({ code, message: error.message, cause: error });
}

const mapDomainErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.cause instanceof AppError) throw toTRPCError(result.error.cause);
  return result;
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

export const publicProcedure = t.procedure.use(mapDomainErrors);

/** A signed-in user, within their per-user API rate limit. */
export const authedProcedure = publicProcedure.use(async ({ ctx, next }) => {
  if (!ctx.session) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in to continue." });
  const limiter = ctx.services.limiters.api;
  const decision = await limiter.consume(ctx.session.user.id);
  if (!decision.allowed) {
    throw toTRPCError(
      new AppError(
        "TOO_MANY_REQUESTS",
        `API rate limit of ${limiter.points} requests per minute reached; it resets in ${decision.retryAfterSeconds} seconds.`,
        { reason: "API_RATE_LIMITED", retryAfterSeconds: decision.retryAfterSeconds },
      ),
    );
  }
  return next({ ctx: { session: ctx.session, user: ctx.session.user } });
});

/**
 * Procedures on one organisation: the input names it, and the caller must be a member with at least
 * `minimum` role. Unknown organisations are NOT_FOUND, non-members and lower roles FORBIDDEN.
 */
export function organizationProcedure(minimum: Role) {
  return authedProcedure.input(organizationIdInput).use(async ({ ctx, input, next }) => {
    const role = await ctx.services.organizations.requireRole(input.organizationId, ctx.user.id, minimum);
    return next({ ctx: { organization: { id: input.organizationId, role } } });
  });
}
