import type { Account, EmulatorState, Installation, Repository, RepoRole, User } from "./state.ts";

/** Who may see what, as GitHub decides it (simplified: no teams, no custom roles). */

export function repoRole(state: EmulatorState, login: string, repo: Repository): RepoRole | null {
  const key = login.toLowerCase();
  if (repo.ownerLogin.toLowerCase() === key) return "admin";
  for (const [collaborator, role] of repo.collaborators) if (collaborator.toLowerCase() === key) return role;
  const org = state.organizations.get(repo.ownerLogin);
  // Organisation members get the base permission ("read") on every organisation repository.
  if (org && [...org.members.keys()].some((member) => member.toLowerCase() === key)) return "read";
  return repo.private ? null : "read";
}

export interface RepoPermissions {
  admin: boolean;
  maintain: boolean;
  push: boolean;
  triage: boolean;
  pull: boolean;
}

export function permissionsForRole(role: RepoRole | null): RepoPermissions {
  return {
    admin: role === "admin",
    maintain: role === "admin",
    push: role === "admin" || role === "write",
    triage: role === "admin" || role === "write",
    pull: role !== null,
  };
}

/** Accounts on which `user` may install the App: itself and the organisations it administers. */
export function installableAccounts(state: EmulatorState, user: User): Account[] {
  const orgs = [...state.organizations.values()].filter((org) => org.members.get(user.login) === "admin");
  return [user, ...orgs];
}

export function accountRepositories(state: EmulatorState, login: string): Repository[] {
  return [...state.repositories.values()].filter(
    (repo) => repo.ownerLogin.toLowerCase() === login.toLowerCase(),
  );
}

export function installationRepositories(state: EmulatorState, installation: Installation): Repository[] {
  return accountRepositories(state, installation.accountLogin).filter(
    (repo) => installation.repositorySelection === "all" || installation.repositoryIds.has(repo.id),
  );
}

export function installationCovering(state: EmulatorState, repo: Repository): Installation | undefined {
  const installation = state.installationForAccount(repo.ownerLogin);
  if (!installation) return undefined;
  return installationRepositories(state, installation).some((covered) => covered.id === repo.id)
    ? installation
    : undefined;
}

/**
 * Installations listed by GET /user/installations: the user's own, and those covering a repository the
 * user has explicit access to (owner, collaborator or organisation member; public visibility is not enough).
 */
export function installationVisibleToUser(
  state: EmulatorState,
  user: User,
  installation: Installation,
): boolean {
  if (installation.accountLogin.toLowerCase() === user.login.toLowerCase()) return true;
  return installationRepositories(state, installation).some((repo) => hasExplicitAccess(state, user, repo));
}

export function hasExplicitAccess(state: EmulatorState, user: User, repo: Repository): boolean {
  return (
    repo.ownerLogin.toLowerCase() === user.login.toLowerCase() ||
    repo.collaborators.has(user.login) ||
    (state.organizations.get(repo.ownerLogin)?.members.has(user.login) ?? false)
  );
}
