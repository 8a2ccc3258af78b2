import type { RepoPermissions } from "./access.ts";
import {
  APP_CREATED_AT,
  APP_DESCRIPTION,
  APP_EVENTS,
  APP_NAME,
  APP_OWNER_LOGIN,
  APP_PERMISSIONS,
  botUserId,
} from "./app-definition.ts";
import type { EmulatorContext } from "./context.ts";
import type {
  Account,
  Commit,
  Deployment,
  DeploymentStatus,
  Installation,
  IssueComment,
  Repository,
} from "./state.ts";

/** REST JSON shapes, field for field as in GitHub's OpenAPI description. */

export function nodeId(type: string, id: number): string {
  return Buffer.from(`0${type.length}:${type}${id}`).toString("base64");
}

export function simpleUser(ctx: EmulatorContext, account: Account) {
  const { apiUrl: api, webUrl: web } = ctx;
  const base = `${api}/users/${account.login}`;
  return {
    login: account.login,
    id: account.id,
    node_id: nodeId(account.type, account.id),
    avatar_url: `${web}/avatars/u/${account.id}?v=4`,
    gravatar_id: "",
    url: base,
    html_url: `${web}/${account.login}`,
    followers_url: `${base}/followers`,
    following_url: `${base}/following{/other_user}`,
    gists_url: `${base}/gists{/gist_id}`,
    starred_url: `${base}/starred{/owner}{/repo}`,
    subscriptions_url: `${base}/subscriptions`,
    organizations_url: `${base}/orgs`,
    repos_url: `${base}/repos`,
    events_url: `${base}/events{/privacy}`,
    received_events_url: `${base}/received_events`,
    type: account.type,
    user_view_type: "public",
    site_admin: false,
  };
}

/** The `<slug>[bot]` user that authors what an installation token creates. */
function botUser(ctx: EmulatorContext) {
  const login = `${ctx.options.appSlug}[bot]`;
  const id = botUserId(ctx.options.appId);
  const base = `${ctx.apiUrl}/users/${encodeURIComponent(login)}`;
  return {
    login,
    id,
    node_id: nodeId("Bot", id),
    avatar_url: `${ctx.webUrl}/avatars/in/${ctx.options.appId}?v=4`,
    gravatar_id: "",
    url: base,
    html_url: `${ctx.webUrl}/apps/${ctx.options.appSlug}`,
    followers_url: `${base}/followers`,
    following_url: `${base}/following{/other_user}`,
    gists_url: `${base}/gists{/gist_id}`,
    starred_url: `${base}/starred{/owner}{/repo}`,
    subscriptions_url: `${base}/subscriptions`,
    organizations_url: `${base}/orgs`,
    repos_url: `${base}/repos`,
    events_url: `${base}/events{/privacy}`,
    received_events_url: `${base}/received_events`,
    type: "Bot",
    user_view_type: "public",
    site_admin: false,
  };
}

/** A user by login, or the App's bot for things an installation created. */
function actor(ctx: EmulatorContext, login: string, viaApp: boolean) {
  if (viaApp) return botUser(ctx);
  const account = ctx.state.account(login);
  if (!account) throw new Error(`unknown account ${login}`);
  return simpleUser(ctx, account);
}

export function ownerOf(ctx: EmulatorContext, repo: Repository): Account {
  const owner = ctx.state.account(repo.ownerLogin);
  if (!owner) throw new Error(`repository ${repo.name} has no owner ${repo.ownerLogin}`);
  return owner;
}

export function repository(ctx: EmulatorContext, repo: Repository, permissions?: RepoPermissions) {
  const fullName = `${repo.ownerLogin}/${repo.name}`;
  const api = `${ctx.apiUrl}/repos/${fullName}`;
  const html = `${ctx.webUrl}/${fullName}`;
  const host = new URL(ctx.webUrl).host;
  const openIssues = [...repo.pulls.values()].filter((pull) => pull.state === "open").length;
  return {
    id: repo.id,
    node_id: nodeId("Repository", repo.id),
    name: repo.name,
    full_name: fullName,
    private: repo.private,
    owner: simpleUser(ctx, ownerOf(ctx, repo)),
    html_url: html,
    description: repo.description,
    fork: repo.forkOfId !== null,
    url: api,
    forks_url: `${api}/forks`,
    keys_url: `${api}/keys{/key_id}`,
    collaborators_url: `${api}/collaborators{/collaborator}`,
    teams_url: `${api}/teams`,
    hooks_url: `${api}/hooks`,
    issue_events_url: `${api}/issues/events{/number}`,
    events_url: `${api}/events`,
    assignees_url: `${api}/assignees{/user}`,
    branches_url: `${api}/branches{/branch}`,
    tags_url: `${api}/tags`,
    blobs_url: `${api}/git/blobs{/sha}`,
    git_tags_url: `${api}/git/tags{/sha}`,
    git_refs_url: `${api}/git/refs{/sha}`,
    trees_url: `${api}/git/trees{/sha}`,
    statuses_url: `${api}/statuses/{sha}`,
    languages_url: `${api}/languages`,
    stargazers_url: `${api}/stargazers`,
    contributors_url: `${api}/contributors`,
    subscribers_url: `${api}/subscribers`,
    subscription_url: `${api}/subscription`,
    commits_url: `${api}/commits{/sha}`,
    git_commits_url: `${api}/git/commits{/sha}`,
    comments_url: `${api}/comments{/number}`,
    issue_comment_url: `${api}/issues/comments{/number}`,
    contents_url: `${api}/contents/{+path}`,
    compare_url: `${api}/compare/{base}...{head}`,
    merges_url: `${api}/merges`,
    archive_url: `${api}/{archive_format}{/ref}`,
    downloads_url: `${api}/downloads`,
    issues_url: `${api}/issues{/number}`,
    pulls_url: `${api}/pulls{/number}`,
    milestones_url: `${api}/milestones{/number}`,
    notifications_url: `${api}/notifications{?since,all,participating}`,
    labels_url: `${api}/labels{/name}`,
    releases_url: `${api}/releases{/id}`,
    deployments_url: `${api}/deployments`,
    created_at: repo.createdAt,
    updated_at: repo.updatedAt,
    pushed_at: repo.pushedAt,
    git_url: `git://${host}/${fullName}.git`,
    ssh_url: `git@${host}:${fullName}.git`,
    clone_url: `${html}.git`,
    svn_url: html,
    homepage: null,
    size: 0,
    stargazers_count: 0,
    watchers_count: 0,
    language: repo.language,
    has_issues: true,
    has_projects: true,
    has_downloads: true,
    has_wiki: true,
    has_pages: false,
    has_discussions: false,
    forks_count: 0,
    mirror_url: null,
    archived: false,
    disabled: false,
    open_issues_count: openIssues,
    license: null,
    allow_forking: true,
    is_template: false,
    web_commit_signoff_required: false,
    topics: [],
    visibility: repo.private ? "private" : "public",
    forks: 0,
    open_issues: openIssues,
    watchers: 0,
    default_branch: repo.defaultBranch,
    ...(permissions ? { permissions } : {}),
  };
}

export function fullRepository(ctx: EmulatorContext, repo: Repository, permissions?: RepoPermissions) {
  const owner = ownerOf(ctx, repo);
  const parent = repo.forkOfId === null ? undefined : ctx.state.repositories.get(repo.forkOfId);
  return {
    ...repository(ctx, repo, permissions),
    allow_squash_merge: true,
    allow_merge_commit: true,
    allow_rebase_merge: true,
    allow_auto_merge: false,
    delete_branch_on_merge: false,
    allow_update_branch: false,
    use_squash_pr_title_as_default: false,
    squash_merge_commit_title: "COMMIT_OR_PR_TITLE",
    squash_merge_commit_message: "COMMIT_MESSAGES",
    merge_commit_title: "MERGE_MESSAGE",
    merge_commit_message: "PR_TITLE",
    custom_properties: {},
    network_count: 0,
    subscribers_count: 1,
    ...(owner.type === "Organization" ? { organization: simpleUser(ctx, owner) } : {}),
    ...(parent ? { parent: repository(ctx, parent), source: repository(ctx, parent) } : {}),
  };
}

export function app(ctx: EmulatorContext) {
  const owner = ctx.state.account(APP_OWNER_LOGIN);
  if (!owner) throw new Error("the App owner is missing from the fixture");
  return {
    id: ctx.options.appId,
    slug: ctx.options.appSlug,
    node_id: nodeId("Integration", ctx.options.appId),
    client_id: ctx.options.clientId,
    owner: simpleUser(ctx, owner),
    name: APP_NAME,
    description: APP_DESCRIPTION,
    external_url: ctx.options.setupUrl ? new URL(ctx.options.setupUrl).origin : ctx.webUrl,
    html_url: `${ctx.webUrl}/apps/${ctx.options.appSlug}`,
    created_at: APP_CREATED_AT,
    updated_at: APP_CREATED_AT,
    permissions: APP_PERMISSIONS,
    events: APP_EVENTS,
    installations_count: ctx.state.installations.size,
  };
}

export function installation(ctx: EmulatorContext, inst: Installation) {
  const account = ctx.state.account(inst.accountLogin);
  if (!account) throw new Error(`installation ${inst.id} has no account`);
  const suspendedBy = inst.suspendedByLogin ? ctx.state.account(inst.suspendedByLogin) : undefined;
  const settings =
    account.type === "Organization"
      ? `${ctx.webUrl}/organizations/${account.login}/settings/installations/${inst.id}`
      : `${ctx.webUrl}/settings/installations/${inst.id}`;
  return {
    id: inst.id,
    client_id: ctx.options.clientId,
    account: simpleUser(ctx, account),
    repository_selection: inst.repositorySelection,
    access_tokens_url: `${ctx.apiUrl}/app/installations/${inst.id}/access_tokens`,
    repositories_url: `${ctx.apiUrl}/installation/repositories`,
    html_url: settings,
    app_id: ctx.options.appId,
    app_slug: ctx.options.appSlug,
    target_id: account.id,
    target_type: account.type,
    permissions: inst.permissions,
    events: inst.events,
    created_at: inst.createdAt,
    updated_at: inst.updatedAt,
    single_file_name: null,
    has_multiple_single_files: false,
    single_file_paths: [],
    suspended_by: suspendedBy ? simpleUser(ctx, suspendedBy) : null,
    suspended_at: inst.suspendedAt,
  };
}

function gitUser(author: Commit["author"]) {
  return { name: author.name, email: author.email, date: author.date };
}

export function commit(ctx: EmulatorContext, repo: Repository, value: Commit) {
  const fullName = `${repo.ownerLogin}/${repo.name}`;
  const api = `${ctx.apiUrl}/repos/${fullName}`;
  const userOf = (login: string | undefined) => {
    const account = login ? ctx.state.account(login) : undefined;
    return account ? simpleUser(ctx, account) : {};
  };
  return {
    sha: value.sha,
    node_id: Buffer.from(`04:Commit${repo.id}:${value.sha}`).toString("base64"),
    commit: {
      author: gitUser(value.author),
      committer: gitUser(value.committer),
      message: value.message,
      tree: { sha: value.treeSha, url: `${api}/git/trees/${value.treeSha}` },
      url: `${api}/git/commits/${value.sha}`,
      comment_count: 0,
      verification: {
        verified: false,
        reason: "unsigned",
        signature: null,
        payload: null,
        verified_at: null,
      },
    },
    url: `${api}/commits/${value.sha}`,
    html_url: `${ctx.webUrl}/${fullName}/commit/${value.sha}`,
    comments_url: `${api}/commits/${value.sha}/comments`,
    author: userOf(value.author.login),
    committer: userOf(value.committer.login),
    parents: value.parents.map((sha) => ({
      sha,
      url: `${api}/commits/${sha}`,
      html_url: `${ctx.webUrl}/${fullName}/commit/${sha}`,
    })),
  };
}

export function deployment(ctx: EmulatorContext, repo: Repository, value: Deployment) {
  const api = `${ctx.apiUrl}/repos/${repo.ownerLogin}/${repo.name}`;
  return {
    url: `${api}/deployments/${value.id}`,
    id: value.id,
    node_id: nodeId("Deployment", value.id),
    sha: value.sha,
    ref: value.ref,
    task: value.task,
    payload: value.payload,
    original_environment: value.originalEnvironment,
    environment: value.environment,
    description: value.description,
    creator: actor(ctx, value.creatorLogin, value.viaApp),
    created_at: value.createdAt,
    updated_at: value.updatedAt,
    statuses_url: `${api}/deployments/${value.id}/statuses`,
    repository_url: api,
    transient_environment: value.transientEnvironment,
    production_environment: value.productionEnvironment,
    performed_via_github_app: value.viaApp ? app(ctx) : null,
  };
}

export function deploymentStatus(ctx: EmulatorContext, repo: Repository, value: DeploymentStatus) {
  const api = `${ctx.apiUrl}/repos/${repo.ownerLogin}/${repo.name}`;
  return {
    url: `${api}/deployments/${value.deploymentId}/statuses/${value.id}`,
    id: value.id,
    node_id: nodeId("DeploymentStatus", value.id),
    state: value.state,
    creator: actor(ctx, value.creatorLogin, value.viaApp),
    description: value.description,
    environment: value.environment,
    target_url: value.targetUrl,
    created_at: value.createdAt,
    updated_at: value.createdAt,
    deployment_url: `${api}/deployments/${value.deploymentId}`,
    repository_url: api,
    environment_url: value.environmentUrl,
    log_url: value.logUrl,
    performed_via_github_app: value.viaApp ? app(ctx) : null,
  };
}

export function issueComment(ctx: EmulatorContext, repo: Repository, value: IssueComment) {
  const fullName = `${repo.ownerLogin}/${repo.name}`;
  const api = `${ctx.apiUrl}/repos/${fullName}`;
  const isPull = repo.pulls.has(value.issueNumber);
  return {
    id: value.id,
    node_id: nodeId("IssueComment", value.id),
    url: `${api}/issues/comments/${value.id}`,
    html_url: `${ctx.webUrl}/${fullName}/${isPull ? "pull" : "issues"}/${value.issueNumber}#issuecomment-${value.id}`,
    body: value.body,
    user: actor(ctx, value.userLogin, value.viaApp),
    created_at: value.createdAt,
    updated_at: value.updatedAt,
    issue_url: `${api}/issues/${value.issueNumber}`,
    author_association: value.viaApp ? "NONE" : "MEMBER",
    performed_via_github_app: value.viaApp ? app(ctx) : null,
    reactions: {
      url: `${api}/issues/comments/${value.id}/reactions`,
      total_count: 0,
      "+1": 0,
      "-1": 0,
      laugh: 0,
      confused: 0,
      heart: 0,
      hooray: 0,
      eyes: 0,
      rocket: 0,
    },
  };
}
