// better-auth: email + password sessions in HTTP-only cookies, organisations with four roles, and
// Hangar's own rules around it (personal organisation, failed sign-in limits, audit records).
import { betterAuth } from "better-auth";
import { prismaAdapter } from "better-auth/adapters/prisma";
import { APIError, createAuthMiddleware, getSessionFromCtx } from "better-auth/api";
import { type GenericOAuthConfig, genericOAuth, organization } from "better-auth/plugins";
import { createAccessControl } from "better-auth/plugins/access";
import { adminAc, defaultStatements, memberAc, ownerAc } from "better-auth/plugins/organization/access";
import type { AuditService } from "../audit/audit.service.ts";
import type { Database } from "../db/prisma.ts";
import type { Logger } from "../observability/logger.ts";
import type { OrganizationService } from "../organizations/organization.service.ts";
import type { Limiters } from "../rate-limit/limiters.ts";
import { currentCorrelation } from "../observability/context.ts";

export type AuthDeps = {
  publicUrl: string;
  secret: string;
  trustedOrigins: string[];
  db: Database;
  limiters: Limiters;
  audit: AuditService;
  organizations: OrganizationService;
  logger: Logger;
  /** "Sign in with GitHub": the provider from server/github/github-auth.ts, when a GitHub App is configured. */
  github?: GenericOAuthConfig;
};

/** Viewers may look but not change anything; better-auth's defaults cover the other three roles. */
const ac = createAccessControl(defaultStatements);
const viewerAc = ac.newRole({ organization: [], member: [], invitation: [], team: [], ac: ["read"] });

/** The organization plugin adds this field; the hook context's session type does not know it. */
function activeOrganizationOf(session: object): string | null {
  return (session as { activeOrganizationId?: string | null }).activeOrganizationId ?? null;
}

function signInKey(email: unknown): string {
  const ip = currentCorrelation()?.ipAddress ?? "unknown";
  return `${ip}|${typeof email === "string" ? email.trim().toLowerCase() : ""}`;
}

function tooMany(message: string, retryAfterSeconds: number, code: string): APIError {
  return new APIError(
    "TOO_MANY_REQUESTS",
    { message: `${message} Try again in ${retryAfterSeconds} seconds.`, code, retryAfterSeconds },
    { "Retry-After": String(retryAfterSeconds) },
  );
}

export function createAuth(deps: AuthDeps) {
  const { db, limiters, audit, organizations, logger } = deps;

  return betterAuth({
    appName: "Hangar",
    baseURL: deps.publicUrl,
    basePath: "/api/auth",
    secret: deps.secret,
    trustedOrigins: deps.trustedOrigins,
    database: prismaAdapter(db, { provider: "postgresql", transaction: true }),
    telemetry: { enabled: false },
    // better-auth's own messages go through pino, as JSON with the request id, like every other line.
    logger: {
      log: (level, message) => {
        const log = logger.child({ component: "better-auth" });
        if (level === "error") log.error(message);
        else if (level === "warn") log.warn(message);
        else log.debug(message);
      },
    },
    // Hangar's limiters below live in PostgreSQL and hold across instances; better-auth's own is per process.
    rateLimit: { enabled: false },
    emailAndPassword: { enabled: true, minPasswordLength: 10, maxPasswordLength: 128, autoSignIn: true },
    session: { expiresIn: 60 * 60 * 24 * 7, updateAge: 60 * 60 * 24 },
    // Connecting GitHub while signed in is an explicit act of the account's owner, so the GitHub
    // account's email need not match the Hangar one.
    account: { accountLinking: { allowDifferentEmails: true } },
    advanced: {
      cookiePrefix: "hangar",
      useSecureCookies: deps.publicUrl.startsWith("https://"),
      // The client IP is resolved by Express (honouring TRUST_PROXY) and carried in the request context.
      ipAddress: { disableIpTracking: true },
    },
    plugins: [
      organization({
        ac,
        roles: { owner: ownerAc, admin: adminAc, member: memberAc, viewer: viewerAc },
        creatorRole: "owner",
      }),
      ...(deps.github ? [genericOAuth({ config: [deps.github] })] : []),
    ],
    databaseHooks: {
      user: {
        create: {
          after: async (user) => {
            await organizations.createPersonal(user);
          },
        },
      },
      session: {
        create: {
          before: async (session) => {
            const correlation = currentCorrelation();
            const [firstOrganization] = await organizations.listForUser(session.userId);
            return {
              data: {
                ...session,
                activeOrganizationId: firstOrganization?.id ?? null,
                ipAddress: correlation?.ipAddress ?? null,
                userAgent: correlation?.userAgent ?? null,
              },
            };
          },
        },
      },
    },
    hooks: {
      before: createAuthMiddleware(async (ctx) => {
        if (ctx.path === "/sign-in/email") {
          const decision = await limiters.signInFailures.check(
            signInKey((ctx.body as { email?: unknown })?.email),
          );
          if (!decision.allowed) {
            throw tooMany(
              "Too many failed sign-in attempts.",
              decision.retryAfterSeconds,
              "SIGN_IN_RATE_LIMITED",
            );
          }
        }
        if (ctx.path === "/sign-up/email") {
          const decision = await limiters.signUps.consume(currentCorrelation()?.ipAddress ?? "unknown");
          if (!decision.allowed) {
            throw tooMany(
              "Too many sign-ups from this address.",
              decision.retryAfterSeconds,
              "SIGN_UP_RATE_LIMITED",
            );
          }
        }
        if (ctx.path === "/sign-out") {
          const session = await getSessionFromCtx(ctx).catch(() => null);
          if (session) {
            await audit.record(db, {
              action: "auth.sign_out",
              actorUserId: session.user.id,
              organizationId: activeOrganizationOf(session.session),
            });
          }
        }
      }),
      after: createAuthMiddleware(async (ctx) => {
        if (ctx.path.startsWith("/callback/") && ctx.context.newSession) {
          const { session, user } = ctx.context.newSession;
          await audit.record(db, {
            action: "auth.sign_in",
            actorUserId: user.id,
            organizationId: activeOrganizationOf(session),
            metadata: { method: "github" },
          });
          return;
        }
        if (ctx.path !== "/sign-in/email") return;
        const email = (ctx.body as { email?: unknown })?.email;
        const key = signInKey(email);
        const returned = ctx.context.returned;
        if (returned instanceof APIError) {
          if (returned.statusCode === 401) {
            await limiters.signInFailures.consume(key);
            await audit.record(db, {
              action: "auth.sign_in_failed",
              actorLabel: typeof email === "string" ? email.slice(0, 320) : null,
              metadata: { reason: returned.body?.code ?? "UNAUTHORIZED" },
            });
            logger.info({ event: "auth.sign_in_failed" }, "failed sign-in");
          }
          return;
        }
        const session = ctx.context.newSession;
        if (session) {
          await limiters.signInFailures.reset(key);
          await audit.record(db, {
            action: "auth.sign_in",
            actorUserId: session.user.id,
            organizationId: activeOrganizationOf(session.session),
          });
        }
      }),
    },
  });
}

export type Auth = ReturnType<typeof createAuth>;
export type AuthSession = NonNullable<Awaited<ReturnType<Auth["api"]["getSession"]>>>;
