import { fromNodeHeaders } from "better-auth/node";
import type { Request } from "express";
import type { Auth, AuthSession } from "../auth/auth.ts";
import type { AuditService } from "../audit/audit.service.ts";
import type { FlyCredentialService } from "../fly/fly-credential.service.ts";
import type { GitHubService } from "../github/github.service.ts";
import type { OrganizationService } from "../organizations/organization.service.ts";
import type { DeploymentEvents, DeploymentLogStore } from "../deployments/deployment-log.ts";
import type { DeploymentService } from "../deployments/deployment.service.ts";
import type { EnvironmentVariableService } from "../projects/environment-variable.service.ts";
import type { ProjectService } from "../projects/project.service.ts";
import type { Limiters } from "../rate-limit/limiters.ts";
import type { WebhookInboxService } from "../webhooks/webhook-inbox.service.ts";

/** Everything procedures may use, built once at start-up (tests hand in their own). */
export type Services = {
  organizations: OrganizationService;
  audit: AuditService;
  limiters: Limiters;
  /** Undefined only when no GitHub App is configured (some tests). */
  github: GitHubService | undefined;
  /** Undefined only when no Fly API URL is known (main.ts always has one: FLY_API_URL, the default or the emulator). */
  flyCredentials: FlyCredentialService | undefined;
  webhookInbox: WebhookInboxService;
  projects: ProjectService;
  environmentVariables: EnvironmentVariableService;
  deployments: DeploymentService;
  deploymentLogs: DeploymentLogStore;
  /** Wakes live log viewers; main.ts starts and stops its LISTEN connection. */
  deploymentEvents: DeploymentEvents;
};

export type Context = {
  services: Services;
  session: AuthSession | null;
  requestId: string;
  showInternalErrors: boolean;
};

/** The request-independent part: what tests build directly for `createCaller`. */
export function createContextInner(input: {
  services: Services;
  session: AuthSession | null;
  requestId?: string;
  showInternalErrors?: boolean;
}): Context {
  return {
    services: input.services,
    session: input.session,
    requestId: input.requestId ?? "test",
    showInternalErrors: input.showInternalErrors ?? false,
  };
}

export function createContextFactory(deps: { auth: Auth; services: Services; showInternalErrors: boolean }) {
  return async ({ req }: { req: Request }): Promise<Context> => {
    // A forged, expired or revoked cookie simply yields no session.
    const session = await deps.auth.api
      .getSession({ headers: fromNodeHeaders(req.headers) })
      .catch(() => null);
    return createContextInner({
      services: deps.services,
      session,
      requestId: String(req.res?.locals.requestId ?? "unknown"),
      showInternalErrors: deps.showInternalErrors,
    });
  };
}
