import type { EmulatorContext } from "./context.ts";
import { ZERO_SHA } from "./git.ts";
import {
  installation as installationShape,
  nodeId,
  ownerOf,
  repository,
  simpleUser,
} from "./representations.ts";
import {
  commitsBetween,
  type Account,
  type Commit,
  type Installation,
  type PullRequest,
  type Repository,
  type User,
} from "./state.ts";
import { isoTime, unixSeconds } from "./time.ts";

/** Webhook bodies shaped like GitHub's (see @octokit/webhooks-examples), including their quirks. */

const ZENS = [
  "Design for failure.",
  "Keep it logically awesome.",
  "Speak like a human.",
  "Non-blocking is better than blocking.",
  "Favor focus over features.",
  "Approachable is better than simple.",
  "Mind your words, they are important.",
];

/** Repository as in non-push events: ISO timestamps and the API url. */
function eventRepository(ctx: EmulatorContext, repo: Repository) {
  return { ...repository(ctx, repo), custom_properties: {} };
}

/**
 * Repository as in push events: `created_at`/`pushed_at` are Unix seconds, `url` is the HTML url, the owner
 * carries `name`/`email`, and `stargazers`/`master_branch` are present.
 */
function pushRepository(ctx: EmulatorContext, repo: Repository) {
  const base = eventRepository(ctx, repo);
  const owner = ownerOf(ctx, repo);
  return {
    ...base,
    owner: {
      name: owner.login,
      email: owner.type === "User" ? owner.email : null,
      ...base.owner,
    },
    url: base.html_url,
    created_at: unixSeconds(repo.createdAt),
    pushed_at: unixSeconds(repo.pushedAt),
    stargazers: 0,
    master_branch: repo.defaultBranch,
    ...(owner.type === "Organization" ? { organization: owner.login } : {}),
  };
}

function simpleInstallation(installation: Installation) {
  return { id: installation.id, node_id: nodeId("IntegrationInstallation", installation.id) };
}

function organization(ctx: EmulatorContext, org: Account) {
  const api = `${ctx.apiUrl}/orgs/${org.login}`;
  return {
    login: org.login,
    id: org.id,
    node_id: nodeId("Organization", org.id),
    url: api,
    repos_url: `${api}/repos`,
    events_url: `${api}/events`,
    hooks_url: `${api}/hooks`,
    issues_url: `${api}/issues`,
    members_url: `${api}/members{/member}`,
    public_members_url: `${api}/public_members{/member}`,
    avatar_url: `${ctx.webUrl}/avatars/u/${org.id}?v=4`,
    description: "",
  };
}

/** `organization` is present when the repository belongs to an organisation. */
function organizationOf(ctx: EmulatorContext, repo: Repository) {
  const owner = ownerOf(ctx, repo);
  return owner.type === "Organization" ? { organization: organization(ctx, owner) } : {};
}

function pushCommit(ctx: EmulatorContext, repo: Repository, commit: Commit) {
  const person = (author: Commit["author"]) => ({
    name: author.name,
    email: author.email,
    ...(author.login ? { username: author.login } : {}),
  });
  return {
    id: commit.sha,
    tree_id: commit.treeSha,
    distinct: true,
    message: commit.message,
    timestamp: commit.author.date,
    url: `${ctx.webUrl}/${repo.ownerLogin}/${repo.name}/commit/${commit.sha}`,
    author: person(commit.author),
    committer: person(commit.committer),
    added: commit.added,
    removed: commit.removed,
    modified: commit.modified,
  };
}

export interface PushEvent {
  repo: Repository;
  ref: string;
  before: string;
  after: string;
  forced: boolean;
  /** New commits, oldest first. */
  commits: Commit[];
  pusher: User;
  installation: Installation;
}

export function pushPayload(ctx: EmulatorContext, event: PushEvent) {
  const { repo, before, after } = event;
  const created = before === ZERO_SHA;
  const deleted = after === ZERO_SHA;
  const web = `${ctx.webUrl}/${repo.ownerLogin}/${repo.name}`;
  const branch = event.ref.replace(/^refs\/heads\//, "");
  const compare = created
    ? `${web}/compare/${encodeURIComponent(branch)}`
    : `${web}/compare/${before.slice(0, 12)}...${after.slice(0, 12)}`;
  const commits = event.commits.map((commit) => pushCommit(ctx, repo, commit));
  return {
    ref: event.ref,
    before,
    after,
    repository: pushRepository(ctx, repo),
    pusher: { name: event.pusher.login, email: event.pusher.email },
    ...organizationOf(ctx, repo),
    sender: simpleUser(ctx, event.pusher),
    installation: simpleInstallation(event.installation),
    created,
    deleted,
    forced: event.forced,
    base_ref: null,
    compare,
    commits,
    head_commit: commits.at(-1) ?? null,
  };
}

function diffStats(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>) {
  let additions = 0;
  let deletions = 0;
  let changedFiles = 0;
  for (const path of new Set([...before.keys(), ...after.keys()])) {
    const oldLines = (before.get(path) ?? "").split("\n").filter(Boolean);
    const newLines = (after.get(path) ?? "").split("\n").filter(Boolean);
    if (before.get(path) === after.get(path)) continue;
    changedFiles += 1;
    additions += newLines.filter((line) => !oldLines.includes(line)).length;
    deletions += oldLines.filter((line) => !newLines.includes(line)).length;
  }
  return { additions, deletions, changedFiles };
}

/** The `pull_request` object of pull_request events. */
function pullRequestObject(ctx: EmulatorContext, repo: Repository, pull: PullRequest) {
  const fullName = `${repo.ownerLogin}/${repo.name}`;
  const api = `${ctx.apiUrl}/repos/${fullName}`;
  const html = `${ctx.webUrl}/${fullName}/pull/${pull.number}`;
  const headRepo = ctx.state.repositories.get(pull.headRepoId);
  const author = ctx.state.account(pull.userLogin);
  if (!author) throw new Error(`pull request author ${pull.userLogin} is unknown`);
  const mergedBy = pull.mergedByLogin ? ctx.state.account(pull.mergedByLogin) : undefined;
  const commits = headRepo ? commitsBetween(headRepo, pull.baseSha, pull.headSha) : [];
  const headFiles = headRepo?.commits.get(pull.headSha)?.files ?? new Map<string, string>();
  const baseFiles = repo.commits.get(pull.baseSha)?.files ?? new Map<string, string>();
  const stats = diffStats(baseFiles, headFiles);
  const side = (sideRepo: Repository | undefined, ref: string, sha: string, ownerLogin: string) => {
    const owner = ctx.state.account(ownerLogin);
    if (!owner) throw new Error(`unknown account ${ownerLogin}`);
    return {
      label: `${ownerLogin}:${ref}`,
      ref,
      sha,
      user: simpleUser(ctx, owner),
      // A deleted fork shows as `repo: null`.
      repo: sideRepo ? eventRepository(ctx, sideRepo) : null,
    };
  };
  return {
    url: `${api}/pulls/${pull.number}`,
    id: pull.id,
    node_id: nodeId("PullRequest", pull.id),
    html_url: html,
    diff_url: `${html}.diff`,
    patch_url: `${html}.patch`,
    issue_url: `${api}/issues/${pull.number}`,
    number: pull.number,
    state: pull.state,
    locked: false,
    title: pull.title,
    user: simpleUser(ctx, author),
    body: pull.body,
    created_at: pull.createdAt,
    updated_at: pull.updatedAt,
    closed_at: pull.closedAt,
    merged_at: pull.mergedAt,
    merge_commit_sha: pull.mergeCommitSha,
    assignee: null,
    assignees: [],
    requested_reviewers: [],
    requested_teams: [],
    labels: [],
    milestone: null,
    draft: false,
    commits_url: `${api}/pulls/${pull.number}/commits`,
    review_comments_url: `${api}/pulls/${pull.number}/comments`,
    review_comment_url: `${api}/pulls/comments{/number}`,
    comments_url: `${api}/issues/${pull.number}/comments`,
    statuses_url: `${api}/statuses/${pull.headSha}`,
    head: side(headRepo, pull.headRef, pull.headSha, headRepo?.ownerLogin ?? pull.userLogin),
    base: side(repo, pull.baseRef, pull.baseSha, repo.ownerLogin),
    _links: {
      self: { href: `${api}/pulls/${pull.number}` },
      html: { href: html },
      issue: { href: `${api}/issues/${pull.number}` },
      comments: { href: `${api}/issues/${pull.number}/comments` },
      review_comments: { href: `${api}/pulls/${pull.number}/comments` },
      review_comment: { href: `${api}/pulls/comments{/number}` },
      commits: { href: `${api}/pulls/${pull.number}/commits` },
      statuses: { href: `${api}/statuses/${pull.headSha}` },
    },
    author_association: repo.ownerLogin === pull.userLogin ? "OWNER" : "CONTRIBUTOR",
    auto_merge: null,
    active_lock_reason: null,
    merged: pull.merged,
    mergeable: pull.state === "open" ? true : null,
    rebaseable: pull.state === "open" ? true : null,
    mergeable_state: pull.state === "open" ? "clean" : "unknown",
    merged_by: mergedBy ? simpleUser(ctx, mergedBy) : null,
    comments: [...ctx.state.comments.values()].filter(
      (comment) => comment.repoId === repo.id && comment.issueNumber === pull.number,
    ).length,
    review_comments: 0,
    maintainer_can_modify: false,
    commits: commits.length,
    additions: stats.additions,
    deletions: stats.deletions,
    changed_files: stats.changedFiles,
  };
}

export function pullRequestPayload(
  ctx: EmulatorContext,
  action: "opened" | "synchronize" | "closed" | "reopened",
  repo: Repository,
  pull: PullRequest,
  sender: User,
  installation: Installation,
  synchronize?: { before: string; after: string },
) {
  return {
    action,
    number: pull.number,
    pull_request: pullRequestObject(ctx, repo, pull),
    ...(synchronize ? { before: synchronize.before, after: synchronize.after } : {}),
    repository: eventRepository(ctx, repo),
    ...organizationOf(ctx, repo),
    installation: simpleInstallation(installation),
    sender: simpleUser(ctx, sender),
  };
}

function shortRepository(repo: Repository) {
  return {
    id: repo.id,
    node_id: nodeId("Repository", repo.id),
    name: repo.name,
    full_name: `${repo.ownerLogin}/${repo.name}`,
    private: repo.private,
  };
}

export function installationPayload(
  ctx: EmulatorContext,
  action: "created" | "deleted" | "suspend" | "unsuspend",
  installation: Installation,
  sender: User,
  repositories: Repository[],
) {
  // GitHub lists the repositories on created/deleted only.
  const withRepositories = action === "created" || action === "deleted";
  return {
    action,
    installation: installationShape(ctx, installation),
    ...(withRepositories ? { repositories: repositories.map(shortRepository) } : {}),
    sender: simpleUser(ctx, sender),
  };
}

export function installationRepositoriesPayload(
  ctx: EmulatorContext,
  action: "added" | "removed",
  installation: Installation,
  changed: Repository[],
  sender: User,
) {
  return {
    action,
    installation: installationShape(ctx, installation),
    repository_selection: installation.repositorySelection,
    repositories_added: action === "added" ? changed.map(shortRepository) : [],
    repositories_removed: action === "removed" ? changed.map(shortRepository) : [],
    requester: null,
    sender: simpleUser(ctx, sender),
  };
}

/** App hook ping (as captured from real Apps: no repository, no sender, no installation). */
export function pingPayload(ctx: EmulatorContext) {
  const createdAt = isoTime();
  return {
    zen: ZENS[Math.floor(Math.random() * ZENS.length)] ?? "Design for failure.",
    hook_id: ctx.hook.id,
    hook: {
      type: "App",
      id: ctx.hook.id,
      name: "web",
      active: true,
      events: ["pull_request", "push"],
      config: {
        content_type: "json",
        insecure_ssl: "0",
        url: ctx.hook.url ?? "",
        ...(ctx.hook.secret ? { secret: "********" } : {}),
      },
      updated_at: createdAt,
      created_at: createdAt,
      app_id: ctx.options.appId,
      deliveries_url: `${ctx.apiUrl}/app/hook/deliveries`,
    },
  };
}
