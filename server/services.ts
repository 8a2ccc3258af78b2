// Builds the domain services from their dependencies. main.ts and the tests both use it, so tests run
// the same wiring as production with their own database.
import type pg from "pg";
import { createAuditRepository } from "./audit/audit.repository.ts";
import { createAuditService } from "./audit/audit.service.ts";
import type { Database } from "./db/prisma.ts";
import type { FlyClient } from "./fly/fly-client.ts";
import { createFlyCredentialRepository } from "./fly/fly-credential.repository.ts";
import { createFlyCredentialService } from "./fly/fly-credential.service.ts";
import type { GitHubClient } from "./github/github-client.ts";
import { createGitHubUserTokens } from "./github/github-user-tokens.ts";
import { createInstallationRepository } from "./github/github.repository.ts";
import { createGitHubService } from "./github/github.service.ts";
import type { Encryption } from "./crypto/encryption.ts";
import type { Logger } from "./observability/logger.ts";
import { createOrganizationRepository } from "./organizations/organization.repository.ts";
import { createOrganizationService } from "./organizations/organization.service.ts";
import { createEnvironmentVariableRepository } from "./projects/environment-variable.repository.ts";
import { createEnvironmentVariableService } from "./projects/environment-variable.service.ts";
import { createProjectRepository } from "./projects/project.repository.ts";
import { createProjectService } from "./projects/project.service.ts";
import { createDeploymentEvents, createDeploymentLogStore } from "./deployments/deployment-log.ts";
import { createDeploymentRepository } from "./deployments/deployment.repository.ts";
import { createDeploymentService } from "./deployments/deployment.service.ts";
import { createLimiters, type LimitSettings } from "./rate-limit/limiters.ts";
import type { Queue } from "./queue/queue.ts";
import type { Services } from "./trpc/context.ts";
import { createWebhookInboxService } from "./webhooks/webhook-inbox.service.ts";
import { createWebhookRepository } from "./webhooks/webhook.repository.ts";

export function createServices(deps: {
  db: Database;
  pool: pg.Pool;
  limits: LimitSettings;
  logger: Logger;
  /** Seals environment variable values (purpose "environment-variable"). */
  environmentEncryption: Encryption;
  /** For jobs that services enqueue inside their own transactions (webhook replay). */
  queue: Pick<Queue, "insertInTransaction">;
  /** The GitHub App's client and the encryption for users' GitHub tokens; absent when none is configured. */
  github?: { client: GitHubClient; encryption: Encryption; logger: Logger };
  /** The one Fly client and the encryption for Fly tokens (purpose "fly-credential"). */
  fly?: { client: FlyClient; encryption: Encryption };
}): Services {
  const audit = createAuditService({ repository: createAuditRepository() });
  const organizations = createOrganizationService({
    db: deps.db,
    repository: createOrganizationRepository(),
    audit,
  });
  const github = deps.github
    ? createGitHubService({
        db: deps.db,
        client: deps.github.client,
        userTokens: createGitHubUserTokens({ db: deps.db, ...deps.github }),
        repository: createInstallationRepository(),
        organizations,
        audit,
        logger: deps.github.logger,
      })
    : undefined;
  const flyCredentials = deps.fly
    ? createFlyCredentialService({
        db: deps.db,
        repository: createFlyCredentialRepository(),
        fly: deps.fly.client,
        encryption: deps.fly.encryption,
        audit,
      })
    : undefined;
  const webhookInbox = createWebhookInboxService({
    db: deps.db,
    repository: createWebhookRepository(deps.pool),
    audit,
  });
  const projectRepository = createProjectRepository();
  const projects = createProjectService({
    db: deps.db,
    repository: projectRepository,
    github,
    flyCredentials,
    audit,
    logger: deps.logger,
  });
  const environmentVariables = createEnvironmentVariableService({
    db: deps.db,
    repository: createEnvironmentVariableRepository(),
    projects: projectRepository,
    encryption: deps.environmentEncryption,
    audit,
  });
  const deploymentLogs = createDeploymentLogStore(deps.pool);
  const deployments = createDeploymentService({
    db: deps.db,
    repository: createDeploymentRepository(),
    projects: projectRepository,
    logs: deploymentLogs,
    queue: deps.queue,
    github: deps.github?.client,
    audit,
  });
  return {
    audit,
    organizations,
    limiters: createLimiters(deps.pool, deps.limits),
    github,
    flyCredentials,
    webhookInbox,
    projects,
    environmentVariables,
    deployments,
    deploymentLogs,
    deploymentEvents: createDeploymentEvents({ pool: deps.pool, logger: deps.logger }),
  };
}
