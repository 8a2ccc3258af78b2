import type { Request } from "express";
import { installationCovering, installationRepositories, permissionsForRole, repoRole } from "./access.ts";
import type { RepoPermissions } from "./access.ts";
import { APP_PERMISSIONS } from "./app-definition.ts";
import { principalOf, type Principal } from "./auth.ts";
import type { EmulatorContext } from "./context.ts";
import { ApiError, notFound, param } from "./http.ts";
import type { Permissions, Repository } from "./state.ts";

export interface RepoAccess {
  repo: Repository;
  principal: Principal;
  /** The signed-in user's permissions (user tokens only), as `GET /repos/{owner}/{repo}` reports them. */
  userPermissions: RepoPermissions | undefined;
  /** Whether the caller reaches the repository through the App (installation or user token). */
  throughApp: boolean;
}

function tokenRepositoryIds(ctx: EmulatorContext, principal: Principal & { kind: "installation" }): number[] {
  return (
    principal.token.repositoryIds ??
    installationRepositories(ctx.state, principal.installation).map((repo) => repo.id)
  );
}

/**
 * Finds `:owner/:repo` and checks the caller may see it. Private repositories the caller cannot see are
 * reported as 404, never 403, so their existence does not leak.
 */
export function repoAccess(ctx: EmulatorContext, req: Request, documentationUrl: string): RepoAccess {
  const repo = ctx.state.findRepository(param(req, "owner"), param(req, "repo"));
  if (!repo) throw notFound(documentationUrl);
  const principal = principalOf(req);
  switch (principal.kind) {
    case "installation": {
      const covered = tokenRepositoryIds(ctx, principal).includes(repo.id);
      if (!covered && repo.private) throw notFound(documentationUrl);
      return { repo, principal, userPermissions: undefined, throughApp: covered };
    }
    case "user": {
      const role = repoRole(ctx.state, principal.user.login, repo);
      // A user-to-server token only reaches repositories an active installation of the App covers.
      const installation = installationCovering(ctx.state, repo);
      const throughApp = role !== null && installation !== undefined && installation.suspendedAt === null;
      if (!throughApp && repo.private) throw notFound(documentationUrl);
      return { repo, principal, userPermissions: permissionsForRole(role), throughApp };
    }
    case "app":
    case "anonymous":
      if (repo.private) throw notFound(documentationUrl);
      return { repo, principal, userPermissions: undefined, throughApp: false };
  }
}

function grants(permissions: Permissions, scope: string, level: "read" | "write"): boolean {
  const granted = permissions[scope];
  return granted === "write" || (granted === "read" && level === "read");
}

/** Checks the App permission `scope` (and, for user tokens, the user's own role) for this call. */
export function requirePermission(access: RepoAccess, scopes: string[], level: "read" | "write"): void {
  const { principal } = access;
  // Anyone may read a public repository, with or without the App.
  if (level === "read" && !access.repo.private) return;
  if (principal.kind === "anonymous") throw new ApiError(401, "Requires authentication");
  const forbidden = new ApiError(403, "Resource not accessible by integration");
  if (!access.throughApp) throw forbidden;
  if (principal.kind === "installation") {
    if (!scopes.some((scope) => grants(principal.token.permissions, scope, level))) throw forbidden;
    return;
  }
  if (principal.kind === "user") {
    const userAllows = level === "read" ? access.userPermissions?.pull : access.userPermissions?.push;
    if (!userAllows || !scopes.some((scope) => grants(APP_PERMISSIONS, scope, level))) throw forbidden;
    return;
  }
  throw forbidden;
}
