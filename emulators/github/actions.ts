import { installationCovering, installationRepositories } from "./access.ts";
import { APP_EVENTS, APP_PERMISSIONS } from "./app-definition.ts";
import type { EmulatorContext } from "./context.ts";
import { ZERO_SHA } from "./git.ts";
import {
  buildCommit,
  commitsBetween,
  resolveRef,
  type Account,
  type Commit,
  type Delivery,
  type Installation,
  type PullRequest,
  type Repository,
  type User,
} from "./state.ts";
import { isoTime } from "./time.ts";
import {
  installationPayload,
  installationRepositoriesPayload,
  pullRequestPayload,
  pushPayload,
} from "./webhook-payloads.ts";

/** State changes a person makes on "GitHub" (through the control API or web pages), with their webhooks. */

export class ActionError extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** Events for a repository reach the App only through an active installation covering it. */
function activeInstallation(ctx: EmulatorContext, repo: Repository): Installation | undefined {
  const installation = installationCovering(ctx.state, repo);
  return installation && installation.suspendedAt === null ? installation : undefined;
}

export interface PushInput {
  branch: string;
  message?: string;
  /** path → new content; null deletes the file. Without files, a line is appended to CHANGELOG.md. */
  files?: Record<string, string | null>;
  author: User;
  /** Replace the branch head instead of building on it (a force-push rewriting the last commit). */
  force?: boolean;
  /** Where a new branch starts; defaults to the default branch. */
  from?: string;
}

export interface PushResult {
  commit: Commit;
  deliveries: Delivery[];
}

export function pushCommit(ctx: EmulatorContext, repo: Repository, input: PushInput): PushResult {
  const head = repo.branches.get(input.branch);
  let parent: Commit | undefined;
  if (head === undefined) {
    parent = resolveRef(repo, input.from ?? repo.defaultBranch);
    if (!parent)
      throw new ActionError(
        422,
        `Cannot create ${input.branch}: ${input.from ?? "the default branch"} not found`,
      );
  } else {
    const current = repo.commits.get(head);
    parent = input.force && current?.parents[0] ? repo.commits.get(current.parents[0]) : current;
  }
  // Numbered so that two default pushes never produce the same commit object.
  const message = input.message ?? `Emulated push #${ctx.state.nextId("push", 1)}`;
  const files = new Map(parent?.files);
  const changes = input.files ?? {
    "CHANGELOG.md": `${files.get("CHANGELOG.md") ?? "# Changelog\n\n"}- ${message.split("\n")[0]}\n`,
  };
  for (const [path, content] of Object.entries(changes)) {
    const normalised = normalisePath(path);
    if (content === null) files.delete(normalised);
    else files.set(normalised, content);
  }
  const now = isoTime();
  const author = { name: input.author.name, email: input.author.email, login: input.author.login, date: now };
  const commit = buildCommit(repo, { message, author, parents: parent ? [parent.sha] : [], files });
  repo.commits.set(commit.sha, commit);
  repo.branches.set(input.branch, commit.sha);
  repo.pushedAt = now;
  repo.updatedAt = now;

  const deliveries: Delivery[] = [];
  const installation = activeInstallation(ctx, repo);
  if (installation) {
    const payload = pushPayload(ctx, {
      repo,
      ref: `refs/heads/${input.branch}`,
      before: head ?? ZERO_SHA,
      after: commit.sha,
      forced: input.force === true && head !== undefined,
      commits: [commit],
      pusher: input.author,
      installation,
    });
    deliveries.push(sendRepoEvent(ctx, "push", null, payload, installation, repo));
  }
  deliveries.push(...synchronizePulls(ctx, repo, input.branch, head ?? ZERO_SHA, commit.sha, input.author));
  return { commit, deliveries };
}

function normalisePath(path: string): string {
  const normalised = path.replace(/^\/+/, "");
  if (
    normalised === "" ||
    normalised.split("/").some((part) => part === "" || part === "." || part === "..")
  ) {
    throw new ActionError(422, `Invalid file path: ${path}`);
  }
  return normalised;
}

function sendRepoEvent(
  ctx: EmulatorContext,
  event: string,
  action: string | null,
  payload: object,
  installation: Installation,
  repo: Repository,
): Delivery {
  return ctx.webhooks.send(event, payload, {
    action,
    installationId: installation.id,
    repositoryId: repo.id,
  });
}

/** Open pull requests whose head is this branch move with it (`synchronize`). */
function synchronizePulls(
  ctx: EmulatorContext,
  headRepo: Repository,
  branch: string,
  before: string,
  after: string,
  sender: User,
): Delivery[] {
  const deliveries: Delivery[] = [];
  for (const baseRepo of ctx.state.repositories.values()) {
    for (const pull of baseRepo.pulls.values()) {
      if (pull.state !== "open" || pull.headRepoId !== headRepo.id || pull.headRef !== branch) continue;
      pull.headSha = after;
      pull.updatedAt = isoTime();
      const installation = activeInstallation(ctx, baseRepo);
      if (!installation) continue;
      const payload = pullRequestPayload(ctx, "synchronize", baseRepo, pull, sender, installation, {
        before,
        after,
      });
      deliveries.push(sendRepoEvent(ctx, "pull_request", "synchronize", payload, installation, baseRepo));
    }
  }
  return deliveries;
}

export function deleteBranch(
  ctx: EmulatorContext,
  repo: Repository,
  branch: string,
  sender: User,
): Delivery[] {
  const head = repo.branches.get(branch);
  if (head === undefined) throw new ActionError(404, `Branch ${branch} not found`);
  if (branch === repo.defaultBranch) throw new ActionError(422, "Cannot delete the default branch");
  repo.branches.delete(branch);
  const deliveries: Delivery[] = [];
  const installation = activeInstallation(ctx, repo);
  if (installation) {
    const payload = pushPayload(ctx, {
      repo,
      ref: `refs/heads/${branch}`,
      before: head,
      after: ZERO_SHA,
      forced: false,
      commits: [],
      pusher: sender,
      installation,
    });
    deliveries.push(sendRepoEvent(ctx, "push", null, payload, installation, repo));
  }
  // GitHub closes pull requests whose head or base branch disappears.
  for (const baseRepo of ctx.state.repositories.values()) {
    for (const pull of baseRepo.pulls.values()) {
      const headGone = pull.headRepoId === repo.id && pull.headRef === branch;
      const baseGone = baseRepo.id === repo.id && pull.baseRef === branch;
      if (pull.state === "open" && (headGone || baseGone)) {
        deliveries.push(...closePull(ctx, baseRepo, pull, sender));
      }
    }
  }
  return deliveries;
}

function requirePull(repo: Repository, number: number): PullRequest {
  const pull = repo.pulls.get(number);
  if (!pull)
    throw new ActionError(404, `Pull request #${number} not found in ${repo.ownerLogin}/${repo.name}`);
  return pull;
}

function pullEvent(
  ctx: EmulatorContext,
  action: "opened" | "closed" | "reopened",
  repo: Repository,
  pull: PullRequest,
  sender: User,
): Delivery[] {
  const installation = activeInstallation(ctx, repo);
  if (!installation) return [];
  const payload = pullRequestPayload(ctx, action, repo, pull, sender, installation);
  return [sendRepoEvent(ctx, "pull_request", action, payload, installation, repo)];
}

export interface OpenPullInput {
  head: string;
  base?: string;
  title?: string;
  body?: string;
  user: User;
  /** Repository holding the head branch when it is a fork. */
  headRepo?: Repository;
}

export function openPull(
  ctx: EmulatorContext,
  repo: Repository,
  input: OpenPullInput,
): { pull: PullRequest; deliveries: Delivery[] } {
  const headRepo = input.headRepo ?? repo;
  const base = input.base ?? repo.defaultBranch;
  const headSha = headRepo.branches.get(input.head);
  const baseSha = repo.branches.get(base);
  if (!headSha)
    throw new ActionError(
      422,
      `Head branch ${input.head} not found in ${headRepo.ownerLogin}/${headRepo.name}`,
    );
  if (!baseSha) throw new ActionError(422, `Base branch ${base} not found`);
  const duplicate = [...repo.pulls.values()].find(
    (pull) =>
      pull.state === "open" &&
      pull.headRepoId === headRepo.id &&
      pull.headRef === input.head &&
      pull.baseRef === base,
  );
  if (duplicate)
    throw new ActionError(422, `A pull request already exists for ${headRepo.ownerLogin}:${input.head}.`);
  const now = isoTime();
  const pull: PullRequest = {
    id: ctx.state.nextId("pull", 2_100_000_001),
    number: repo.nextIssueNumber++,
    title: input.title ?? `Merge ${input.head} into ${base}`,
    body: input.body ?? null,
    userLogin: input.user.login,
    headRepoId: headRepo.id,
    headRef: input.head,
    headSha,
    baseRef: base,
    baseSha,
    state: "open",
    merged: false,
    mergedAt: null,
    mergedByLogin: null,
    mergeCommitSha: null,
    closedAt: null,
    createdAt: now,
    updatedAt: now,
  };
  repo.pulls.set(pull.number, pull);
  return { pull, deliveries: pullEvent(ctx, "opened", repo, pull, input.user) };
}

function closePull(ctx: EmulatorContext, repo: Repository, pull: PullRequest, sender: User): Delivery[] {
  const now = isoTime();
  Object.assign(pull, { state: "closed", closedAt: now, updatedAt: now });
  return pullEvent(ctx, "closed", repo, pull, sender);
}

export function closePullRequest(
  ctx: EmulatorContext,
  repo: Repository,
  number: number,
  sender: User,
): Delivery[] {
  const pull = requirePull(repo, number);
  if (pull.state !== "open") throw new ActionError(422, `Pull request #${number} is not open`);
  return closePull(ctx, repo, pull, sender);
}

export function reopenPullRequest(
  ctx: EmulatorContext,
  repo: Repository,
  number: number,
  sender: User,
): Delivery[] {
  const pull = requirePull(repo, number);
  if (pull.state !== "closed" || pull.merged)
    throw new ActionError(422, `Pull request #${number} cannot be reopened`);
  const headRepo = ctx.state.repositories.get(pull.headRepoId);
  const headSha = headRepo?.branches.get(pull.headRef);
  if (!headSha) throw new ActionError(422, `Head branch ${pull.headRef} no longer exists`);
  Object.assign(pull, { state: "open", closedAt: null, updatedAt: isoTime(), headSha });
  return pullEvent(ctx, "reopened", repo, pull, sender);
}

/** Merge commit on the base branch (push event), then `closed` with `merged: true` (there is no "merged" action). */
export function mergePullRequest(
  ctx: EmulatorContext,
  repo: Repository,
  number: number,
  sender: User,
): { commit: Commit; deliveries: Delivery[] } {
  const pull = requirePull(repo, number);
  if (pull.state !== "open") throw new ActionError(405, "Pull Request is not mergeable");
  const headRepo = ctx.state.repositories.get(pull.headRepoId);
  const baseHead = repo.branches.get(pull.baseRef);
  const headCommit = headRepo?.commits.get(pull.headSha);
  const baseCommit = baseHead ? repo.commits.get(baseHead) : undefined;
  if (!headRepo || !headCommit || !baseCommit) throw new ActionError(405, "Pull Request is not mergeable");
  // Bring the fork's commits along so the merge commit's parents resolve in the base repository.
  for (const commit of commitsBetween(headRepo, pull.baseSha, pull.headSha))
    repo.commits.set(commit.sha, commit);

  const merge = mergeInto(repo, {
    targetBranch: pull.baseRef,
    theirs: headCommit,
    mergeBaseSha: pull.baseSha,
    message: `Merge pull request #${pull.number} from ${headRepo.ownerLogin}/${pull.headRef}\n\n${pull.title}`,
    author: sender,
  });
  const now = merge.author.date;

  const deliveries: Delivery[] = [];
  const installation = activeInstallation(ctx, repo);
  if (installation) {
    const payload = pushPayload(ctx, {
      repo,
      ref: `refs/heads/${pull.baseRef}`,
      before: baseCommit.sha,
      after: merge.sha,
      forced: false,
      commits: [...commitsBetween(repo, baseCommit.sha, headCommit.sha), merge],
      pusher: sender,
      installation,
    });
    deliveries.push(sendRepoEvent(ctx, "push", null, payload, installation, repo));
  }
  Object.assign(pull, {
    state: "closed",
    merged: true,
    mergedAt: now,
    mergedByLogin: sender.login,
    mergeCommitSha: merge.sha,
    closedAt: now,
    updatedAt: now,
  });
  deliveries.push(...pullEvent(ctx, "closed", repo, pull, sender));
  return { commit: merge, deliveries };
}

/**
 * Creates a merge commit of `theirs` onto `targetBranch` (their changes since the merge base win, the
 * rest of the target is kept) and moves the branch to it.
 */
export function mergeInto(
  repo: Repository,
  input: { targetBranch: string; theirs: Commit; mergeBaseSha: string; message: string; author: User },
): Commit {
  const targetSha = repo.branches.get(input.targetBranch);
  const target = targetSha ? repo.commits.get(targetSha) : undefined;
  if (!target) throw new ActionError(422, `Branch ${input.targetBranch} not found`);
  const mergeBase = repo.commits.get(input.mergeBaseSha)?.files ?? new Map<string, string>();
  const files = new Map(target.files);
  for (const path of new Set([...mergeBase.keys(), ...input.theirs.files.keys()])) {
    const theirs = input.theirs.files.get(path);
    if (theirs === mergeBase.get(path)) continue;
    if (theirs === undefined) files.delete(path);
    else files.set(path, theirs);
  }
  const now = isoTime();
  const { author } = input;
  const merge = buildCommit(repo, {
    message: input.message,
    author: { name: author.name, email: author.email, login: author.login, date: now },
    parents: [target.sha, input.theirs.sha],
    files,
  });
  repo.commits.set(merge.sha, merge);
  repo.branches.set(input.targetBranch, merge.sha);
  repo.pushedAt = now;
  repo.updatedAt = now;
  return merge;
}

/** A fork of `source` owned by `owner` (created on first use, sharing the source's history). */
export function forkRepository(ctx: EmulatorContext, source: Repository, owner: Account): Repository {
  const existing = ctx.state.findRepository(owner.login, source.name);
  if (existing) return existing;
  const now = isoTime();
  const fork: Repository = {
    id: ctx.state.nextId("repository", 702_200_001),
    ownerLogin: owner.login,
    name: source.name,
    private: source.private,
    description: source.description,
    language: source.language,
    defaultBranch: source.defaultBranch,
    createdAt: now,
    updatedAt: now,
    pushedAt: source.pushedAt,
    branches: new Map(source.branches),
    commits: new Map(source.commits),
    collaborators: new Map(),
    pulls: new Map(),
    nextIssueNumber: 1,
    forkOfId: source.id,
  };
  ctx.state.repositories.set(fork.id, fork);
  return fork;
}

function sendInstallationEvent(
  ctx: EmulatorContext,
  event: "installation" | "installation_repositories",
  action: string,
  installation: Installation,
  payload: object,
): Delivery {
  return ctx.webhooks.send(event, payload, { action, installationId: installation.id, repositoryId: null });
}

export function createInstallation(
  ctx: EmulatorContext,
  account: Account,
  selection: "all" | Repository[],
  sender: User,
): { installation: Installation; deliveries: Delivery[] } {
  if (ctx.state.installationForAccount(account.login)) {
    throw new ActionError(422, `The App is already installed on ${account.login}`);
  }
  const now = isoTime();
  const installation: Installation = {
    id: ctx.state.nextId("installation", 51_000_001),
    accountLogin: account.login,
    repositorySelection: selection === "all" ? "all" : "selected",
    repositoryIds: new Set(selection === "all" ? [] : selection.map((repo) => repo.id)),
    permissions: { ...APP_PERMISSIONS },
    events: [...APP_EVENTS],
    createdAt: now,
    updatedAt: now,
    suspendedAt: null,
    suspendedByLogin: null,
  };
  ctx.state.installations.set(installation.id, installation);
  const payload = installationPayload(
    ctx,
    "created",
    installation,
    sender,
    installationRepositories(ctx.state, installation),
  );
  return {
    installation,
    deliveries: [sendInstallationEvent(ctx, "installation", "created", installation, payload)],
  };
}

/** Changes which repositories an installation covers; one `added` and/or one `removed` event. */
export function setInstallationRepositories(
  ctx: EmulatorContext,
  installation: Installation,
  selection: "all" | Repository[],
  sender: User,
): Delivery[] {
  const before = installationRepositories(ctx.state, installation);
  installation.repositorySelection = selection === "all" ? "all" : "selected";
  installation.repositoryIds = new Set(selection === "all" ? [] : selection.map((repo) => repo.id));
  installation.updatedAt = isoTime();
  const after = installationRepositories(ctx.state, installation);
  const added = after.filter((repo) => !before.some((old) => old.id === repo.id));
  const removed = before.filter((repo) => !after.some((now) => now.id === repo.id));
  const deliveries: Delivery[] = [];
  for (const [action, changed] of [
    ["added", added],
    ["removed", removed],
  ] as const) {
    if (changed.length === 0) continue;
    const payload = installationRepositoriesPayload(ctx, action, installation, changed, sender);
    deliveries.push(sendInstallationEvent(ctx, "installation_repositories", action, installation, payload));
  }
  return deliveries;
}

export function suspendInstallation(
  ctx: EmulatorContext,
  installation: Installation,
  sender: User,
): Delivery[] {
  if (installation.suspendedAt) throw new ActionError(422, "Installation is already suspended");
  installation.suspendedAt = isoTime();
  installation.suspendedByLogin = sender.login;
  installation.updatedAt = installation.suspendedAt;
  const payload = installationPayload(ctx, "suspend", installation, sender, []);
  return [sendInstallationEvent(ctx, "installation", "suspend", installation, payload)];
}

export function unsuspendInstallation(
  ctx: EmulatorContext,
  installation: Installation,
  sender: User,
): Delivery[] {
  if (!installation.suspendedAt) throw new ActionError(422, "Installation is not suspended");
  installation.suspendedAt = null;
  installation.suspendedByLogin = null;
  installation.updatedAt = isoTime();
  const payload = installationPayload(ctx, "unsuspend", installation, sender, []);
  return [sendInstallationEvent(ctx, "installation", "unsuspend", installation, payload)];
}

/** Uninstall: the installation and all its tokens stop existing. */
export function deleteInstallation(
  ctx: EmulatorContext,
  installation: Installation,
  sender: User,
): Delivery[] {
  const repositories = installationRepositories(ctx.state, installation);
  ctx.state.installations.delete(installation.id);
  for (const [token, value] of ctx.state.installationTokens) {
    if (value.installationId === installation.id) ctx.state.installationTokens.delete(token);
  }
  const payload = installationPayload(ctx, "deleted", installation, sender, repositories);
  return [sendInstallationEvent(ctx, "installation", "deleted", installation, payload)];
}
