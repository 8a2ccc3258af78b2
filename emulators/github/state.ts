import { commitSha, treeSha, type GitSignature } from "./git.ts";

export type RepoRole = "admin" | "write" | "read";
export type OrgRole = "admin" | "member";

export interface User {
  type: "User";
  id: number;
  login: string;
  name: string;
  email: string;
  createdAt: string;
}

export interface Organization {
  type: "Organization";
  id: number;
  login: string;
  name: string;
  members: Map<string, OrgRole>;
  createdAt: string;
}

export type Account = User | Organization;

export interface CommitAuthor extends GitSignature {
  /** GitHub login when the email belongs to a known user. */
  login: string | undefined;
}

export interface Commit {
  sha: string;
  treeSha: string;
  message: string;
  author: CommitAuthor;
  committer: CommitAuthor;
  parents: string[];
  /** Full snapshot of the tree at this commit: path → UTF-8 content. */
  files: ReadonlyMap<string, string>;
  added: string[];
  removed: string[];
  modified: string[];
}

export interface PullRequest {
  id: number;
  number: number;
  title: string;
  body: string | null;
  userLogin: string;
  /** Repository id holding the head branch (differs from the base repository for forks). */
  headRepoId: number;
  headRef: string;
  headSha: string;
  baseRef: string;
  /** Base branch head when the pull request was opened or last merged against. */
  baseSha: string;
  state: "open" | "closed";
  merged: boolean;
  mergedAt: string | null;
  mergedByLogin: string | null;
  mergeCommitSha: string | null;
  closedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface Repository {
  id: number;
  ownerLogin: string;
  name: string;
  private: boolean;
  description: string | null;
  language: string | null;
  defaultBranch: string;
  createdAt: string;
  updatedAt: string;
  pushedAt: string;
  branches: Map<string, string>;
  commits: Map<string, Commit>;
  /** Explicit collaborator roles; the owner and org members get theirs from elsewhere (see access.ts). */
  collaborators: Map<string, RepoRole>;
  pulls: Map<number, PullRequest>;
  nextIssueNumber: number;
  forkOfId: number | null;
}

export type Permissions = Record<string, "read" | "write">;

export interface Installation {
  id: number;
  accountLogin: string;
  repositorySelection: "all" | "selected";
  repositoryIds: Set<number>;
  permissions: Permissions;
  events: string[];
  createdAt: string;
  updatedAt: string;
  suspendedAt: string | null;
  suspendedByLogin: string | null;
}

export interface InstallationToken {
  token: string;
  installationId: number;
  expiresAt: number;
  /** null: every repository the installation covers, now and later. */
  repositoryIds: number[] | null;
  permissions: Permissions;
}

export interface UserToken {
  token: string;
  login: string;
  expiresAt: number;
}

export interface RefreshToken {
  token: string;
  login: string;
  expiresAt: number;
  /** The access token issued with it; both stop working when the refresh token is used. */
  accessToken: string;
}

export interface OAuthCode {
  code: string;
  login: string;
  redirectUri: string;
  expiresAt: number;
}

export interface Deployment {
  id: number;
  repoId: number;
  sha: string;
  ref: string;
  task: string;
  payload: Record<string, unknown> | string;
  environment: string;
  originalEnvironment: string;
  description: string | null;
  transientEnvironment: boolean;
  productionEnvironment: boolean;
  creatorLogin: string;
  viaApp: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface DeploymentStatus {
  id: number;
  deploymentId: number;
  state: "error" | "failure" | "inactive" | "in_progress" | "queued" | "pending" | "success";
  description: string;
  environment: string;
  targetUrl: string;
  logUrl: string;
  environmentUrl: string;
  creatorLogin: string;
  viaApp: boolean;
  createdAt: string;
}

export interface IssueComment {
  id: number;
  repoId: number;
  issueNumber: number;
  body: string;
  userLogin: string;
  viaApp: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface Delivery {
  /** One per attempt. */
  id: number;
  /** X-GitHub-Delivery; shared by an original delivery and its redeliveries. */
  guid: string;
  event: string;
  action: string | null;
  installationId: number | null;
  repositoryId: number | null;
  redelivery: boolean;
  /** The exact bytes sent, so a redelivery repeats them. */
  body: string;
  url: string | null;
  /** ISO time the attempt was made; set when queued. */
  deliveredAt: string;
  state: "pending" | "done";
  durationSeconds: number;
  status: string;
  statusCode: number;
  requestHeaders: Record<string, string>;
  responseHeaders: Record<string, string> | null;
  responseBody: string | null;
}

export interface TarballGrant {
  repoId: number;
  sha: string;
  expiresAt: number;
}

export class EmulatorState {
  users = new Map<string, User>();
  organizations = new Map<string, Organization>();
  repositories = new Map<number, Repository>();
  installations = new Map<number, Installation>();
  installationTokens = new Map<string, InstallationToken>();
  userTokens = new Map<string, UserToken>();
  refreshTokens = new Map<string, RefreshToken>();
  oauthCodes = new Map<string, OAuthCode>();
  deployments = new Map<number, Deployment>();
  deploymentStatuses = new Map<number, DeploymentStatus>();
  comments = new Map<number, IssueComment>();
  deliveries: Delivery[] = [];
  tarballGrants = new Map<string, TarballGrant>();
  /** Primary rate-limit windows per caller bucket (see auth.ts rateLimitKey). */
  rateLimitWindows = new Map<string, { resetAt: number; used: number }>();
  private counters = new Map<string, number>();

  /** Monotonic ids per kind, starting at a realistic-looking base. */
  nextId(kind: string, start: number): number {
    const next = (this.counters.get(kind) ?? start - 1) + 1;
    this.counters.set(kind, next);
    return next;
  }

  account(login: string): Account | undefined {
    const key = login.toLowerCase();
    for (const user of this.users.values()) if (user.login.toLowerCase() === key) return user;
    for (const org of this.organizations.values()) if (org.login.toLowerCase() === key) return org;
    return undefined;
  }

  user(login: string): User | undefined {
    const account = this.account(login);
    return account?.type === "User" ? account : undefined;
  }

  /** GitHub treats owner and repository names case-insensitively. */
  findRepository(owner: string, name: string): Repository | undefined {
    const fullName = `${owner}/${name}`.toLowerCase();
    for (const repo of this.repositories.values()) {
      if (`${repo.ownerLogin}/${repo.name}`.toLowerCase() === fullName) return repo;
    }
    return undefined;
  }

  installationForAccount(login: string): Installation | undefined {
    const key = login.toLowerCase();
    for (const installation of this.installations.values()) {
      if (installation.accountLogin.toLowerCase() === key) return installation;
    }
    return undefined;
  }
}

export interface NewCommit {
  message: string;
  author: CommitAuthor;
  committer?: CommitAuthor;
  parents: string[];
  files: ReadonlyMap<string, string>;
}

/** Builds a commit object (with real git shas) and the file changes against its first parent. */
export function buildCommit(repo: Repository, input: NewCommit): Commit {
  const parent = input.parents[0] ? repo.commits.get(input.parents[0]) : undefined;
  const before = parent?.files ?? new Map<string, string>();
  const added: string[] = [];
  const modified: string[] = [];
  const removed = [...before.keys()].filter((path) => !input.files.has(path));
  for (const [path, content] of input.files) {
    if (!before.has(path)) added.push(path);
    else if (before.get(path) !== content) modified.push(path);
  }
  const committer = input.committer ?? input.author;
  const tree = treeSha(input.files);
  const sha = commitSha({
    treeSha: tree,
    parents: input.parents,
    author: input.author,
    committer,
    message: input.message,
  });
  return {
    sha,
    treeSha: tree,
    message: input.message,
    author: input.author,
    committer,
    parents: input.parents,
    files: input.files,
    added,
    removed,
    modified,
  };
}

/** Resolves a branch name, full ref, or full/abbreviated sha to a commit. */
export function resolveRef(repo: Repository, ref: string): Commit | undefined {
  const branch = ref.startsWith("refs/heads/") ? ref.slice("refs/heads/".length) : ref;
  const branchHead = repo.branches.get(branch);
  if (branchHead) return repo.commits.get(branchHead);
  if (/^[0-9a-f]{7,40}$/i.test(ref)) {
    const lower = ref.toLowerCase();
    for (const commit of repo.commits.values()) if (commit.sha.startsWith(lower)) return commit;
  }
  return undefined;
}

/** Every commit reachable from `sha` (itself included). */
export function ancestors(repo: Repository, sha: string): Set<string> {
  const seen = new Set<string>();
  const queue = [sha];
  while (queue.length > 0) {
    const current = queue.pop();
    if (current === undefined || seen.has(current)) continue;
    seen.add(current);
    queue.push(...(repo.commits.get(current)?.parents ?? []));
  }
  return seen;
}

/** Nearest common ancestor of two commits (breadth-first from `b`). */
export function mergeBase(repo: Repository, a: string, b: string): string | undefined {
  const ofA = ancestors(repo, a);
  const queue = [b];
  const seen = new Set<string>();
  while (queue.length > 0) {
    const current = queue.shift();
    if (current === undefined || seen.has(current)) continue;
    if (ofA.has(current)) return current;
    seen.add(current);
    queue.push(...(repo.commits.get(current)?.parents ?? []));
  }
  return undefined;
}

/** Commits reachable from `headSha` but not from `baseSha`, oldest first (first-parent walk). */
export function commitsBetween(repo: Repository, baseSha: string, headSha: string): Commit[] {
  const baseAncestors = ancestors(repo, baseSha);
  const commits: Commit[] = [];
  let current = repo.commits.get(headSha);
  while (current && !baseAncestors.has(current.sha)) {
    commits.unshift(current);
    current = current.parents[0] ? repo.commits.get(current.parents[0]) : undefined;
  }
  return commits;
}
