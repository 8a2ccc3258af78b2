// GitHub rules: linking an installation to an organisation (only one the user's own GitHub account
// can see), listing an organisation's installations with the user's permissions, and the repository
// access check that project creation relies on.
import type { AuditService } from "../audit/audit.service.ts";
import type { Database } from "../db/prisma.ts";
import { AppError } from "../errors.ts";
import type { Logger } from "../observability/logger.ts";
import type { OrganizationService } from "../organizations/organization.service.ts";
import type {
  GitHubClient,
  GitHubInstallationInfo,
  GitHubPermissions,
  GitHubRepository,
} from "./github-client.ts";
import { GitHubError } from "./github-errors.ts";
import type { GitHubUserTokenService } from "./github-user-tokens.ts";
import type { InstallationRepository, RepositoryFacts } from "./github.repository.ts";
import type { GitHubConnection, RepositoryPermission } from "./github.schema.ts";
import { createInstallationHandlers } from "./installation-handlers.ts";

export function permissionOf(permissions: GitHubPermissions | undefined): RepositoryPermission {
  if (!permissions) return "none";
  if (permissions.admin) return "admin";
  if (permissions.maintain) return "maintain";
  if (permissions.push) return "write";
  if (permissions.triage) return "triage";
  return permissions.pull ? "read" : "none";
}

function factsOf(installation: GitHubInstallationInfo) {
  return {
    id: installation.id,
    accountId: installation.account.id,
    accountLogin: installation.account.login,
    accountType: installation.account.type === "Organization" ? "Organization" : "User",
    repositorySelection: installation.repository_selection,
    suspendedAt: installation.suspended_at ? new Date(installation.suspended_at) : null,
  };
}

function repositoryFacts(repository: GitHubRepository): RepositoryFacts {
  return { id: repository.id, fullName: repository.full_name, private: repository.private };
}

function repositoryError(
  reason: string,
  code: "NOT_FOUND" | "PRECONDITION_FAILED" | "FORBIDDEN",
  message: string,
) {
  return new AppError(code, message, { reason, fieldErrors: { repository: [message] } });
}

export type RepositoryAccess = {
  repositoryId: number;
  fullName: string;
  defaultBranch: string | undefined;
  private: boolean;
  installationId: number;
  permission: RepositoryPermission;
};

export function createGitHubService(deps: {
  db: Database;
  client: GitHubClient;
  userTokens: GitHubUserTokenService;
  repository: InstallationRepository;
  organizations: OrganizationService;
  audit: AuditService;
  logger: Logger;
}) {
  const { db, client, userTokens, repository, audit } = deps;
  const logger = deps.logger.child({ component: "github" });

  /** The installation's repositories, or none when its token cannot be had (suspended): the webhook fills them in. */
  async function currentRepositories(
    installation: GitHubInstallationInfo,
  ): Promise<RepositoryFacts[] | undefined> {
    if (installation.suspended_at) return undefined;
    try {
      return (await client.installation.listRepositories(installation.id)).map(repositoryFacts);
    } catch (error) {
      if (error instanceof GitHubError && error.githubStatus === 403) return undefined;
      throw error;
    }
  }

  return {
    installUrl: client.installUrl,
    /** For the webhook processor: keeps installations current from GitHub's events. */
    installationHandlers: createInstallationHandlers({
      repository,
      audit,
      onAccessRevoked: (installationId) => client.installation.forgetToken(installationId),
    }),

    /**
     * The setup callback: links `installationId` to the organisation only if GitHub lists it among the
     * installations the user's own GitHub account can access — the id in the URL alone can be forged.
     */
    async linkInstallation(input: { userId: string; organizationId: string; installationId: number }) {
      await deps.organizations.requireRole(input.organizationId, input.userId, "admin");
      const visible = await userTokens.withToken(input.userId, (token) =>
        client.user.listInstallations(token),
      );
      const installation = visible.find((candidate) => candidate.id === input.installationId);
      if (!installation) {
        throw new AppError(
          "FORBIDDEN",
          `GitHub does not list installation ${input.installationId} among those your GitHub account can access, so it was not connected.`,
          { reason: "INSTALLATION_NOT_VISIBLE" },
        );
      }
      const repositories = await currentRepositories(installation);
      return db.$transaction(async (tx) => {
        const existing = await repository.find(tx, installation.id);
        if (existing?.organizationId && existing.organizationId !== input.organizationId) {
          throw new AppError(
            "CONFLICT",
            `The GitHub App installation on ${installation.account.login} is already connected to another Hangar organization.`,
            { reason: "INSTALLATION_LINKED_ELSEWHERE" },
          );
        }
        await repository.upsert(tx, factsOf(installation));
        const linked = await repository.update(tx, installation.id, {
          organizationId: input.organizationId,
          linkedByUserId: input.userId,
          linkedAt: existing?.linkedAt ?? new Date(),
        });
        if (repositories) await repository.replaceRepositories(tx, installation.id, repositories);
        if (existing?.organizationId !== input.organizationId) {
          await audit.record(tx, {
            action: "github.installation_linked",
            actorUserId: input.userId,
            organizationId: input.organizationId,
            targetType: "github_installation",
            targetId: String(installation.id),
            metadata: { account: installation.account.login, repositories: repositories?.length ?? null },
          });
        }
        return {
          installationId: installation.id,
          accountLogin: linked.accountLogin,
          alreadyLinked: existing?.organizationId === input.organizationId,
        };
      });
    },

    /** The organisation's installations and repositories, with the caller's permission on each when GitHub can tell. */
    async listForOrganization(input: { organizationId: string; userId: string }) {
      const installations = await repository.listForOrganization(db, input.organizationId);
      let connection: GitHubConnection = await userTokens.connection(input.userId);
      let permissionsProblem: string | null = null;
      const permissions = new Map<number, RepositoryPermission>();
      if (connection === "connected") {
        for (const installation of installations) {
          if (installation.suspendedAt) continue;
          try {
            const repositories = await userTokens.withToken(input.userId, (token) =>
              client.user.listInstallationRepositories(token, Number(installation.id)),
            );
            for (const repo of repositories) permissions.set(repo.id, permissionOf(repo.permissions));
          } catch (error) {
            if (error instanceof AppError && error.reason === "GITHUB_RECONNECT_REQUIRED") {
              connection = "reconnect_required";
              break;
            }
            // The user's GitHub account cannot see this installation: no permission on its repositories.
            if (error instanceof GitHubError && error.githubStatus === 404) continue;
            if (!(error instanceof AppError)) throw error;
            logger.warn({ err: error }, "could not read repository permissions from GitHub");
            permissionsProblem = error.message;
            break;
          }
        }
      }
      const known = connection === "connected" && permissionsProblem === null;
      return {
        connection,
        permissionsProblem,
        installUrl: client.installUrl,
        installations: installations.map((installation) => ({
          id: Number(installation.id),
          accountLogin: installation.accountLogin,
          accountType: installation.accountType,
          repositorySelection: installation.repositorySelection,
          suspended: installation.suspendedAt !== null,
          linkedAt: installation.linkedAt,
          repositories: installation.repositories.map((repo) => ({
            id: Number(repo.repositoryId),
            fullName: repo.fullName,
            private: repo.private,
            permission: known ? (permissions.get(Number(repo.repositoryId)) ?? "none") : null,
          })),
        })),
      };
    },

    /**
     * What creating a project from `repository` requires, each failure with its own reason: the
     * repository exists, an active installation of this organisation covers it, the user can push.
     */
    async checkRepositoryAccess(input: {
      organizationId: string;
      userId: string;
      repository: string;
    }): Promise<RepositoryAccess> {
      const [owner = "", name = ""] = input.repository.split("/");
      const seenByUser = () =>
        userTokens.withToken(input.userId, (token) => client.user.getRepository(token, owner, name));
      const notFound = () =>
        repositoryError(
          "REPOSITORY_NOT_FOUND",
          "NOT_FOUND",
          `GitHub has no repository ${input.repository} that your GitHub account can see.`,
        );

      // Every answer below needs the user's GitHub account: say first if it is missing or revoked.
      await userTokens.accessToken(input.userId);
      const installation = await client.app.findRepositoryInstallation(owner, name);
      if (!installation) {
        if (!(await seenByUser())) throw notFound();
        throw repositoryError(
          "NO_INSTALLATION",
          "PRECONDITION_FAILED",
          `Hangar's GitHub App is not installed on ${input.repository}. Connect GitHub and give the App access to it.`,
        );
      }
      const stored = await repository.find(db, installation.id);
      if (!stored || stored.deletedAt || stored.organizationId !== input.organizationId) {
        throw repositoryError(
          "NO_INSTALLATION",
          "PRECONDITION_FAILED",
          `The GitHub App installation on ${installation.account.login} covers ${input.repository}, but it is not connected to this organization. Connect it from the GitHub page.`,
        );
      }
      if (installation.suspended_at || stored.suspendedAt) {
        throw repositoryError(
          "INSTALLATION_SUSPENDED",
          "PRECONDITION_FAILED",
          `The GitHub App installation on ${installation.account.login} is suspended; an owner of that account can unsuspend it on GitHub.`,
        );
      }
      const repo = await seenByUser();
      if (!repo) throw notFound();
      const permission = permissionOf(repo.permissions);
      if (!repo.permissions?.push) {
        throw repositoryError(
          "NO_PUSH_PERMISSION",
          "FORBIDDEN",
          `Your GitHub account has ${permission} access to ${repo.full_name}; creating a project needs write (push) access.`,
        );
      }
      return {
        repositoryId: repo.id,
        fullName: repo.full_name,
        defaultBranch: repo.default_branch,
        private: repo.private,
        installationId: installation.id,
        permission,
      };
    },
  };
}

export type GitHubService = ReturnType<typeof createGitHubService>;
