import express, { type Request, type Response, type Router } from "express";
import { z } from "zod";
import { permissionsForRole, repoRole } from "../access.ts";
import { mergeInto } from "../actions.ts";
import type { EmulatorContext } from "../context.ts";
import { blobSha, treeSha } from "../git.ts";
import { ApiError, notFound, paginate, param, queryString, validationFailed } from "../http.ts";
import { repoAccess, requirePermission, type RepoAccess } from "../repo-access.ts";
import {
  commit as commitShape,
  deployment as deploymentShape,
  deploymentStatus as deploymentStatusShape,
  fullRepository,
  issueComment as issueCommentShape,
  simpleUser,
} from "../representations.ts";
import {
  ancestors,
  mergeBase,
  resolveRef,
  type Commit,
  type Deployment,
  type DeploymentStatus,
  type Repository,
} from "../state.ts";
import { isoTime } from "../time.ts";
import { newDownloadToken } from "../tokens.ts";

const DOCS = {
  repo: "https://docs.github.com/rest/repos/repos#get-a-repository",
  permission:
    "https://docs.github.com/rest/collaborators/collaborators#get-repository-permissions-for-a-user",
  branch: "https://docs.github.com/rest/branches/branches#get-a-branch",
  commit: "https://docs.github.com/rest/commits/commits#get-a-commit",
  contents: "https://docs.github.com/rest/repos/contents#get-repository-content",
  tarball: "https://docs.github.com/rest/repos/contents#download-a-repository-archive-tar",
  createDeployment: "https://docs.github.com/rest/deployments/deployments#create-a-deployment",
  deployment: "https://docs.github.com/rest/deployments/deployments#get-a-deployment",
  createStatus: "https://docs.github.com/rest/deployments/statuses#create-a-deployment-status",
  createComment: "https://docs.github.com/rest/issues/comments#create-an-issue-comment",
  updateComment: "https://docs.github.com/rest/issues/comments#update-an-issue-comment",
  listComments: "https://docs.github.com/rest/issues/comments#list-issue-comments",
};

/** Download links from GET …/tarball stay valid this long (GitHub's codeload tokens are short-lived). */
const TARBALL_LINK_TTL_MS = 5 * 60_000;
const DESCRIPTION_LIMIT = 140;

const deploymentBody = z.object({
  ref: z.string().min(1),
  task: z.string().default("deploy"),
  auto_merge: z.boolean().default(true),
  required_contexts: z.array(z.string()).optional(),
  payload: z.union([z.record(z.string(), z.unknown()), z.string()]).default({}),
  environment: z.string().default("production"),
  description: z.string().nullable().default(""),
  transient_environment: z.boolean().default(false),
  production_environment: z.boolean().optional(),
});

const STATUS_STATES = [
  "error",
  "failure",
  "inactive",
  "in_progress",
  "queued",
  "pending",
  "success",
] as const;

const deploymentStatusBody = z.object({
  state: z.enum(STATUS_STATES),
  target_url: z.string().default(""),
  log_url: z.string().optional(),
  description: z.string().default(""),
  environment: z.string().optional(),
  environment_url: z.string().default(""),
  auto_inactive: z.boolean().default(true),
});

const commentBody = z.object({ body: z.string() });

/** Base64 wrapped at 60 characters per line, as GitHub's contents API sends it. */
function wrappedBase64(content: string): string {
  const encoded = Buffer.from(content, "utf8").toString("base64");
  return `${encoded.match(/.{1,60}/g)?.join("\n") ?? ""}\n`;
}

function commitForRef(repo: Repository, ref: string | undefined): Commit {
  const resolved = resolveRef(repo, ref ?? repo.defaultBranch);
  if (!resolved)
    throw new ApiError(404, `No commit found for the ref ${ref ?? repo.defaultBranch}`, DOCS.contents);
  return resolved;
}

function repoPath(repo: Repository): string {
  return `${repo.ownerLogin}/${repo.name}`;
}

function contentEntry(ctx: EmulatorContext, repo: Repository, commit: Commit, ref: string, path: string) {
  const content = commit.files.get(path);
  const isFile = content !== undefined;
  const sha = isFile ? blobSha(content) : treeSha(commit.files, `${path}/`);
  const api = `${ctx.apiUrl}/repos/${repoPath(repo)}`;
  const self = `${api}/contents/${path}?ref=${encodeURIComponent(ref)}`;
  const git = `${api}/git/${isFile ? "blobs" : "trees"}/${sha}`;
  const html = `${ctx.webUrl}/${repoPath(repo)}/${isFile ? "blob" : "tree"}/${ref}/${path}`;
  return {
    name: path.split("/").at(-1) ?? path,
    path,
    sha,
    size: isFile ? Buffer.byteLength(content) : 0,
    url: self,
    html_url: html,
    git_url: git,
    download_url: isFile ? `${ctx.webUrl}/${repoPath(repo)}/raw/${ref}/${path}` : null,
    type: isFile ? "file" : "dir",
    _links: { self, git, html },
  };
}

function sendContents(ctx: EmulatorContext, req: Request, res: Response, access: RepoAccess): void {
  const { repo } = access;
  const ref = queryString(req, "ref");
  const commit = commitForRef(repo, ref);
  const displayRef = ref ?? repo.defaultBranch;
  const path = param(req, "path").replace(/^\/+|\/+$/g, "");
  const content = commit.files.get(path);
  if (content !== undefined) {
    if (/application\/vnd\.github(\.v3)?\.raw/.test(req.get("accept") ?? "")) {
      res.type("text/plain").send(content);
      return;
    }
    res.json({
      ...contentEntry(ctx, repo, commit, displayRef, path),
      content: wrappedBase64(content),
      encoding: "base64",
    });
    return;
  }
  const prefix = path === "" ? "" : `${path}/`;
  const children = new Set<string>();
  for (const filePath of commit.files.keys()) {
    if (!filePath.startsWith(prefix)) continue;
    const child = filePath.slice(prefix.length).split("/")[0];
    if (child) children.add(`${prefix}${child}`);
  }
  if (children.size === 0) throw notFound(DOCS.contents);
  res.json([...children].sort().map((child) => contentEntry(ctx, repo, commit, displayRef, child)));
}

function findDeployment(ctx: EmulatorContext, repo: Repository, req: Request): Deployment {
  const found = ctx.state.deployments.get(Number(param(req, "deployment_id")));
  if (!found || found.repoId !== repo.id) throw notFound(DOCS.deployment);
  return found;
}

function actorOf(access: RepoAccess): { login: string; viaApp: boolean } {
  if (access.principal.kind === "user") return { login: access.principal.user.login, viaApp: false };
  return { login: "", viaApp: true };
}

export function repositoryRoutes(ctx: EmulatorContext): Router {
  const router = express.Router();

  router.get("/repos/:owner/:repo", (req, res) => {
    const access = repoAccess(ctx, req, DOCS.repo);
    res.json(fullRepository(ctx, access.repo, access.userPermissions));
  });

  router.get("/repos/:owner/:repo/collaborators/:username/permission", (req, res) => {
    const access = repoAccess(ctx, req, DOCS.permission);
    requirePermission(access, ["metadata"], "read");
    const username = param(req, "username");
    const user = ctx.state.user(username);
    if (!user) throw new ApiError(404, `${username} is not a user`, DOCS.permission);
    const role = repoRole(ctx.state, user.login, access.repo);
    const permission = role ?? "none";
    res.json({
      permission,
      role_name: permission,
      user: { ...simpleUser(ctx, user), permissions: permissionsForRole(role), role_name: permission },
    });
  });

  router.get("/repos/:owner/:repo/branches/*branch", (req, res) => {
    const access = repoAccess(ctx, req, DOCS.branch);
    requirePermission(access, ["contents", "metadata"], "read");
    const { repo } = access;
    const name = param(req, "branch");
    const head = repo.branches.get(name);
    const commit = head ? repo.commits.get(head) : undefined;
    if (!commit) throw new ApiError(404, "Branch not found", DOCS.branch);
    const api = `${ctx.apiUrl}/repos/${repoPath(repo)}/branches/${name}`;
    res.json({
      name,
      commit: commitShape(ctx, repo, commit),
      _links: { self: api, html: `${ctx.webUrl}/${repoPath(repo)}/tree/${name}` },
      protected: false,
      protection: {
        enabled: false,
        required_status_checks: { enforcement_level: "off", contexts: [], checks: [] },
      },
      protection_url: `${api}/protection`,
    });
  });

  // `ref` is a sha (7–40 hex digits), a branch name (slashes allowed) or `heads/<branch>`. GitHub answers
  // an unknown ref with 422, not 404. `stats` and `files` (the diff against the parent) are left out.
  router.get("/repos/:owner/:repo/commits/*ref", (req, res) => {
    const access = repoAccess(ctx, req, DOCS.commit);
    requirePermission(access, ["contents"], "read");
    const { repo } = access;
    const ref = param(req, "ref");
    const commit = resolveRef(repo, ref) ?? resolveRef(repo, ref.replace(/^heads\//, ""));
    if (!commit) throw new ApiError(422, `No commit found for SHA: ${ref}`, DOCS.commit);
    res.json(commitShape(ctx, repo, commit));
  });

  router.get("/repos/:owner/:repo/contents{/*path}", (req, res) => {
    const access = repoAccess(ctx, req, DOCS.contents);
    requirePermission(access, ["contents"], "read");
    sendContents(ctx, req, res, access);
  });

  router.get("/repos/:owner/:repo/tarball{/*ref}", (req, res) => {
    const access = repoAccess(ctx, req, DOCS.tarball);
    requirePermission(access, ["contents"], "read");
    const { repo } = access;
    const ref = param(req, "ref") || repo.defaultBranch;
    const commit = resolveRef(repo, ref);
    if (!commit) throw notFound(DOCS.tarball);
    const token = newDownloadToken();
    ctx.state.tarballGrants.set(token, {
      repoId: repo.id,
      sha: commit.sha,
      expiresAt: Date.now() + TARBALL_LINK_TTL_MS,
    });
    const refPath = repo.branches.has(ref) ? `refs/heads/${ref}` : commit.sha;
    res.redirect(302, `${ctx.webUrl}/codeload/${repoPath(repo)}/legacy.tar.gz/${refPath}?token=${token}`);
  });

  router.post("/repos/:owner/:repo/deployments", (req, res) => {
    const access = repoAccess(ctx, req, DOCS.createDeployment);
    requirePermission(access, ["deployments"], "write");
    const { repo } = access;
    const parsed = deploymentBody.safeParse(req.body ?? {});
    if (!parsed.success) {
      const missingRef = typeof (req.body as { ref?: unknown } | undefined)?.ref !== "string";
      if (missingRef)
        throw new ApiError(422, 'Invalid request.\n\n"ref" wasn\'t supplied.', DOCS.createDeployment);
      throw validationFailed(DOCS.createDeployment, [{ resource: "Deployment", code: "invalid" }]);
    }
    const body = parsed.data;
    let target = resolveRef(repo, body.ref);
    if (!target) throw new ApiError(422, `No ref found for: ${body.ref}`, DOCS.createDeployment);

    // auto_merge (default true): a branch behind the default branch gets it merged in, and no deployment.
    const defaultHead = repo.branches.get(repo.defaultBranch);
    const isOtherBranch = repo.branches.has(body.ref) && body.ref !== repo.defaultBranch;
    if (body.auto_merge && isOtherBranch && defaultHead && !ancestors(repo, target.sha).has(defaultHead)) {
      const theirs = repo.commits.get(defaultHead);
      const base = mergeBase(repo, target.sha, defaultHead);
      const author = access.principal.kind === "user" ? access.principal.user : ctx.state.user("octocat");
      if (theirs && base && author) {
        mergeInto(repo, {
          targetBranch: body.ref,
          theirs,
          mergeBaseSha: base,
          message: `Merge ${repo.defaultBranch} into ${body.ref}`,
          author,
        });
      }
      res.status(202).json({ message: `Auto-merged ${repo.defaultBranch} into ${body.ref} on deployment.` });
      return;
    }
    // The emulator records no commit statuses, so any required context is missing.
    if (body.required_contexts && body.required_contexts.length > 0) {
      throw new ApiError(
        409,
        `Conflict: Commit status checks failed for ${body.ref}.`,
        DOCS.createDeployment,
        [{ resource: "Deployment", field: "required_contexts", code: "invalid" }],
      );
    }
    target = resolveRef(repo, body.ref) ?? target;
    const now = isoTime();
    const { login, viaApp } = actorOf(access);
    const created: Deployment = {
      id: ctx.state.nextId("deployment", 1_800_000_001),
      repoId: repo.id,
      sha: target.sha,
      ref: body.ref,
      task: body.task,
      payload: body.payload,
      environment: body.environment,
      originalEnvironment: body.environment,
      description: body.description,
      transientEnvironment: body.transient_environment,
      productionEnvironment: body.production_environment ?? body.environment === "production",
      creatorLogin: login,
      viaApp,
      createdAt: now,
      updatedAt: now,
    };
    ctx.state.deployments.set(created.id, created);
    res.status(201).json(deploymentShape(ctx, repo, created));
  });

  router.get("/repos/:owner/:repo/deployments", (req, res) => {
    const access = repoAccess(ctx, req, DOCS.deployment);
    requirePermission(access, ["deployments"], "read");
    const filters = ["sha", "ref", "task", "environment"] as const;
    const matching = [...ctx.state.deployments.values()]
      .filter((value) => value.repoId === access.repo.id)
      .filter((value) =>
        filters.every((key) => {
          const wanted = queryString(req, key);
          return wanted === undefined || value[key] === wanted;
        }),
      )
      .sort((a, b) => b.id - a.id);
    res.json(paginate(ctx, req, res, matching).map((value) => deploymentShape(ctx, access.repo, value)));
  });

  router.get("/repos/:owner/:repo/deployments/:deployment_id", (req, res) => {
    const access = repoAccess(ctx, req, DOCS.deployment);
    requirePermission(access, ["deployments"], "read");
    res.json(deploymentShape(ctx, access.repo, findDeployment(ctx, access.repo, req)));
  });

  router.post("/repos/:owner/:repo/deployments/:deployment_id/statuses", (req, res) => {
    const access = repoAccess(ctx, req, DOCS.createStatus);
    requirePermission(access, ["deployments"], "write");
    const { repo } = access;
    const target = findDeployment(ctx, repo, req);
    const parsed = deploymentStatusBody.safeParse(req.body ?? {});
    if (!parsed.success) {
      const field = String(parsed.error.issues[0]?.path[0] ?? "state");
      throw validationFailed(DOCS.createStatus, [{ resource: "DeploymentStatus", field, code: "invalid" }]);
    }
    const body = parsed.data;
    if (body.description.length > DESCRIPTION_LIMIT) {
      throw validationFailed(DOCS.createStatus, [
        {
          resource: "DeploymentStatus",
          field: "description",
          code: "custom",
          message: `description is too long (maximum is ${DESCRIPTION_LIMIT} characters)`,
        },
      ]);
    }
    const now = isoTime();
    if (body.environment) target.environment = body.environment;
    target.updatedAt = now;
    const { login, viaApp } = actorOf(access);
    // log_url is the newer name of target_url; setting it sets both.
    const targetUrl = body.log_url ?? body.target_url;
    const status: DeploymentStatus = {
      id: ctx.state.nextId("deployment-status", 3_900_000_001),
      deploymentId: target.id,
      state: body.state,
      description: body.description,
      environment: target.environment,
      targetUrl,
      logUrl: targetUrl,
      environmentUrl: body.environment_url,
      creatorLogin: login,
      viaApp,
      createdAt: now,
    };
    ctx.state.deploymentStatuses.set(status.id, status);
    if (body.state === "success" && body.auto_inactive) markEarlierDeploymentsInactive(ctx, target, status);
    const shape = deploymentStatusShape(ctx, repo, status);
    res.status(201).location(shape.url).json(shape);
  });

  router.get("/repos/:owner/:repo/deployments/:deployment_id/statuses", (req, res) => {
    const access = repoAccess(ctx, req, DOCS.deployment);
    requirePermission(access, ["deployments"], "read");
    const target = findDeployment(ctx, access.repo, req);
    const statuses = [...ctx.state.deploymentStatuses.values()]
      .filter((status) => status.deploymentId === target.id)
      .sort((a, b) => b.id - a.id);
    res.json(
      paginate(ctx, req, res, statuses).map((status) => deploymentStatusShape(ctx, access.repo, status)),
    );
  });

  router.post("/repos/:owner/:repo/issues/:issue_number/comments", (req, res) => {
    const access = repoAccess(ctx, req, DOCS.createComment);
    requirePermission(access, ["issues", "pull_requests"], "write");
    const { repo } = access;
    const number = Number(param(req, "issue_number"));
    if (!repo.pulls.has(number)) throw notFound(DOCS.createComment);
    const parsed = commentBody.safeParse(req.body ?? {});
    if (!parsed.success) {
      throw validationFailed(DOCS.createComment, [
        { resource: "IssueComment", field: "body", code: "missing_field" },
      ]);
    }
    const now = isoTime();
    const { login, viaApp } = actorOf(access);
    const created = {
      id: ctx.state.nextId("comment", 2_400_000_001),
      repoId: repo.id,
      issueNumber: number,
      body: parsed.data.body,
      userLogin: login,
      viaApp,
      createdAt: now,
      updatedAt: now,
    };
    ctx.state.comments.set(created.id, created);
    const shape = issueCommentShape(ctx, repo, created);
    res.status(201).location(shape.url).json(shape);
  });

  router.get("/repos/:owner/:repo/issues/:issue_number/comments", (req, res) => {
    const access = repoAccess(ctx, req, DOCS.listComments);
    requirePermission(access, ["issues", "pull_requests"], "read");
    const number = Number(param(req, "issue_number"));
    if (!access.repo.pulls.has(number)) throw notFound(DOCS.listComments);
    const since = queryString(req, "since");
    const comments = [...ctx.state.comments.values()]
      .filter((comment) => comment.repoId === access.repo.id && comment.issueNumber === number)
      .filter((comment) => since === undefined || comment.updatedAt >= since)
      .sort((a, b) => a.id - b.id);
    res.json(
      paginate(ctx, req, res, comments).map((comment) => issueCommentShape(ctx, access.repo, comment)),
    );
  });

  router.patch("/repos/:owner/:repo/issues/comments/:comment_id", (req, res) => {
    const access = repoAccess(ctx, req, DOCS.updateComment);
    requirePermission(access, ["issues", "pull_requests"], "write");
    const found = ctx.state.comments.get(Number(param(req, "comment_id")));
    if (!found || found.repoId !== access.repo.id) throw notFound(DOCS.updateComment);
    const parsed = commentBody.safeParse(req.body ?? {});
    if (!parsed.success) {
      throw validationFailed(DOCS.updateComment, [
        { resource: "IssueComment", field: "body", code: "missing_field" },
      ]);
    }
    found.body = parsed.data.body;
    found.updatedAt = isoTime();
    res.json(issueCommentShape(ctx, access.repo, found));
  });

  return router;
}

/**
 * auto_inactive: earlier successful deployments to the same environment that are neither transient nor
 * production get an `inactive` status.
 */
function markEarlierDeploymentsInactive(
  ctx: EmulatorContext,
  current: Deployment,
  trigger: DeploymentStatus,
): void {
  const statuses = [...ctx.state.deploymentStatuses.values()];
  for (const earlier of ctx.state.deployments.values()) {
    if (earlier.id === current.id || earlier.repoId !== current.repoId) continue;
    if (
      earlier.environment !== current.environment ||
      earlier.transientEnvironment ||
      earlier.productionEnvironment
    )
      continue;
    const latest = statuses
      .filter((status) => status.deploymentId === earlier.id)
      .sort((a, b) => b.id - a.id)[0];
    if (latest?.state !== "success") continue;
    const inactive: DeploymentStatus = {
      ...trigger,
      id: ctx.state.nextId("deployment-status", 3_900_000_001),
      deploymentId: earlier.id,
      state: "inactive",
      description: "",
      environment: earlier.environment,
      targetUrl: latest.targetUrl,
      logUrl: latest.logUrl,
      environmentUrl: latest.environmentUrl,
    };
    ctx.state.deploymentStatuses.set(inactive.id, inactive);
  }
}
