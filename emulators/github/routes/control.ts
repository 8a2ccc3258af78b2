import express, { type NextFunction, type Request, type Response, type Router } from "express";
import { z } from "zod";
import { installationRepositories } from "../access.ts";
import {
  ActionError,
  closePullRequest,
  createInstallation,
  deleteBranch,
  deleteInstallation,
  forkRepository,
  mergePullRequest,
  openPull,
  pushCommit,
  reopenPullRequest,
  setInstallationRepositories,
  suspendInstallation,
  unsuspendInstallation,
} from "../actions.ts";
import type { EmulatorContext } from "../context.ts";
import { faultSettingsSchema } from "../faults.ts";
import { seedState } from "../fixture.ts";
import { param } from "../http.ts";
import {
  deployment as deploymentShape,
  deploymentStatus,
  installation,
  issueComment,
} from "../representations.ts";
import type { Delivery, Installation, Repository, User } from "../state.ts";
import { pingPayload } from "../webhook-payloads.ts";
import { deliveryDetail } from "./app.ts";
import { controlPage } from "./control-page.ts";

/** Test-only control API under /_emulator (JSON); never subject to fault injection. */

const login = z.string().min(1);
const files = z.record(z.string(), z.string().nullable());

const pushBody = z.object({
  branch: z.string().min(1),
  message: z.string().min(1).optional(),
  files: files.optional(),
  author: login.optional(),
  force: z.boolean().optional(),
  from: z.string().optional(),
});
const senderBody = z.object({ sender: login.optional() }).default({});
const openPullBody = z.object({
  head: z.string().min(1),
  base: z.string().optional(),
  title: z.string().optional(),
  body: z.string().optional(),
  user: login.optional(),
  /** Owner of a fork holding the head branch (the fork is created on first use). */
  headOwner: login.optional(),
});
const synchronizeBody = pushBody.omit({ branch: true, from: true });
const installationBody = z.object({
  account: login,
  repositories: z.union([z.literal("all"), z.array(z.string().min(1)).min(1)]),
  sender: login.optional(),
});
const installationReposBody = z.object({
  add: z.array(z.string()).default([]),
  remove: z.array(z.string()).default([]),
  sender: login.optional(),
});
const hookBody = z.object({ url: z.string().nullable().optional(), secret: z.string().optional() });

class ControlError extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

function parse<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const result = schema.safeParse(body ?? {});
  if (!result.success) throw new ControlError(400, z.prettifyError(result.error));
  return result.data;
}

function userOrThrow(ctx: EmulatorContext, value: string | undefined): User {
  const user = ctx.state.user(value ?? "octocat");
  if (!user) throw new ControlError(404, `Unknown user ${value}`);
  return user;
}

function repoOrThrow(ctx: EmulatorContext, req: Request): Repository {
  const repo = ctx.state.findRepository(param(req, "owner"), param(req, "repo"));
  if (!repo) throw new ControlError(404, `Unknown repository ${param(req, "owner")}/${param(req, "repo")}`);
  return repo;
}

function installationOrThrow(ctx: EmulatorContext, req: Request): Installation {
  const found = ctx.state.installations.get(Number(param(req, "id")));
  if (!found) throw new ControlError(404, `Unknown installation ${param(req, "id")}`);
  return found;
}

/** Repositories named "name" or "owner/name", all belonging to the installation's account. */
function accountRepos(ctx: EmulatorContext, accountLogin: string, names: string[]): Repository[] {
  return names.map((name) => {
    const repoName = name.includes("/") ? (name.split("/")[1] ?? "") : name;
    const repo = ctx.state.findRepository(accountLogin, repoName);
    if (!repo) throw new ControlError(404, `Unknown repository ${accountLogin}/${repoName}`);
    return repo;
  });
}

function deliveryIds(deliveries: Delivery[]) {
  return {
    deliveryId: deliveries[0]?.guid ?? null,
    deliveries: deliveries.map((delivery) => ({
      id: delivery.id,
      guid: delivery.guid,
      event: delivery.event,
      action: delivery.action,
    })),
  };
}

function controlErrors(error: unknown, _req: Request, res: Response, next: NextFunction): void {
  if (error instanceof ControlError || error instanceof ActionError) {
    res.status(error.status).json({ error: error.message });
    return;
  }
  next(error);
}

export function controlRoutes(ctx: EmulatorContext): Router {
  const router = express.Router();
  router.use(express.json({ limit: "25mb" }));

  router.get("/", (_req, res) => {
    res.send(controlPage(ctx));
  });

  router.get("/state", (_req, res) => {
    res.json({
      app: { id: ctx.options.appId, slug: ctx.options.appSlug, webhookUrl: ctx.hook.url ?? null },
      users: [...ctx.state.users.values()].map((user) => ({
        login: user.login,
        id: user.id,
        email: user.email,
      })),
      repositories: [...ctx.state.repositories.values()].map((repo) => ({
        id: repo.id,
        fullName: `${repo.ownerLogin}/${repo.name}`,
        private: repo.private,
        defaultBranch: repo.defaultBranch,
        branches: Object.fromEntries(repo.branches),
        pulls: [...repo.pulls.values()].map((pull) => ({
          number: pull.number,
          title: pull.title,
          state: pull.state,
          merged: pull.merged,
          head: pull.headRef,
          headSha: pull.headSha,
          base: pull.baseRef,
        })),
      })),
      installations: [...ctx.state.installations.values()].map((value) => ({
        ...installation(ctx, value),
        repositories: installationRepositories(ctx.state, value).map(
          (repo) => `${repo.ownerLogin}/${repo.name}`,
        ),
      })),
      faults: ctx.faults,
    });
  });

  router.post("/reset", async (_req, res) => {
    await ctx.webhooks.idle();
    ctx.state = seedState();
    ctx.faults = null;
    ctx.hook.url = ctx.options.webhookUrl;
    ctx.hook.secret = ctx.options.webhookSecret;
    res.json({ ok: true });
  });

  router.post("/repos/:owner/:repo/push", (req, res) => {
    const body = parse(pushBody, req.body);
    const repo = repoOrThrow(ctx, req);
    const result = pushCommit(ctx, repo, { ...body, author: userOrThrow(ctx, body.author) });
    res.status(201).json({ sha: result.commit.sha, ...deliveryIds(result.deliveries) });
  });

  router.delete("/repos/:owner/:repo/branches/*branch", (req, res) => {
    const body = parse(senderBody, req.body);
    const deliveries = deleteBranch(
      ctx,
      repoOrThrow(ctx, req),
      param(req, "branch"),
      userOrThrow(ctx, body.sender),
    );
    res.json(deliveryIds(deliveries));
  });

  router.post("/repos/:owner/:repo/pulls", (req, res) => {
    const body = parse(openPullBody, req.body);
    const repo = repoOrThrow(ctx, req);
    const user = userOrThrow(ctx, body.user ?? body.headOwner);
    let headRepo: Repository | undefined;
    if (body.headOwner && body.headOwner.toLowerCase() !== repo.ownerLogin.toLowerCase()) {
      const owner = ctx.state.account(body.headOwner);
      if (!owner) throw new ControlError(404, `Unknown account ${body.headOwner}`);
      headRepo = forkRepository(ctx, repo, owner);
    }
    const { pull, deliveries } = openPull(ctx, repo, { ...body, user, headRepo });
    res.status(201).json({
      number: pull.number,
      headRepository: `${(headRepo ?? repo).ownerLogin}/${(headRepo ?? repo).name}`,
      ...deliveryIds(deliveries),
    });
  });

  router.post("/repos/:owner/:repo/pulls/:number/:action", (req, res) => {
    const repo = repoOrThrow(ctx, req);
    const number = Number(param(req, "number"));
    const action = param(req, "action");
    if (action === "synchronize") {
      const body = parse(synchronizeBody, req.body);
      const pull = repo.pulls.get(number);
      if (!pull || pull.state !== "open") throw new ControlError(422, `Pull request #${number} is not open`);
      const headRepo = ctx.state.repositories.get(pull.headRepoId);
      if (!headRepo) throw new ControlError(422, "The head repository no longer exists");
      const result = pushCommit(ctx, headRepo, {
        ...body,
        branch: pull.headRef,
        author: userOrThrow(ctx, body.author),
      });
      res.json({ sha: result.commit.sha, ...deliveryIds(result.deliveries) });
      return;
    }
    const sender = userOrThrow(ctx, parse(senderBody, req.body).sender);
    switch (action) {
      case "close":
        res.json(deliveryIds(closePullRequest(ctx, repo, number, sender)));
        return;
      case "reopen":
        res.json(deliveryIds(reopenPullRequest(ctx, repo, number, sender)));
        return;
      case "merge": {
        const result = mergePullRequest(ctx, repo, number, sender);
        res.json({ sha: result.commit.sha, ...deliveryIds(result.deliveries) });
        return;
      }
      default:
        throw new ControlError(404, `Unknown pull request action ${action}`);
    }
  });

  router.post("/installations", (req, res) => {
    const body = parse(installationBody, req.body);
    const account = ctx.state.account(body.account);
    if (!account) throw new ControlError(404, `Unknown account ${body.account}`);
    const repositories =
      body.repositories === "all" ? "all" : accountRepos(ctx, account.login, body.repositories);
    const result = createInstallation(ctx, account, repositories, userOrThrow(ctx, body.sender));
    res.status(201).json({ id: result.installation.id, ...deliveryIds(result.deliveries) });
  });

  router.post("/installations/:id/repositories", (req, res) => {
    const body = parse(installationReposBody, req.body);
    const found = installationOrThrow(ctx, req);
    const current = installationRepositories(ctx.state, found);
    const add = accountRepos(ctx, found.accountLogin, body.add);
    const remove = new Set(accountRepos(ctx, found.accountLogin, body.remove).map((repo) => repo.id));
    const next = [...current, ...add.filter((repo) => !current.includes(repo))].filter(
      (repo) => !remove.has(repo.id),
    );
    if (next.length === 0) throw new ControlError(422, "An installation must keep at least one repository");
    const selection = found.repositorySelection === "all" && remove.size === 0 ? "all" : next;
    res.json(deliveryIds(setInstallationRepositories(ctx, found, selection, userOrThrow(ctx, body.sender))));
  });

  router.post("/installations/:id/suspend", (req, res) => {
    const sender = userOrThrow(ctx, parse(senderBody, req.body).sender);
    res.json(deliveryIds(suspendInstallation(ctx, installationOrThrow(ctx, req), sender)));
  });

  router.post("/installations/:id/unsuspend", (req, res) => {
    const sender = userOrThrow(ctx, parse(senderBody, req.body).sender);
    res.json(deliveryIds(unsuspendInstallation(ctx, installationOrThrow(ctx, req), sender)));
  });

  router.delete("/installations/:id", (req, res) => {
    const sender = userOrThrow(ctx, parse(senderBody, req.body).sender);
    res.json(deliveryIds(deleteInstallation(ctx, installationOrThrow(ctx, req), sender)));
  });

  router.get("/deliveries", (_req, res) => {
    const newestFirst = [...ctx.state.deliveries].sort((a, b) => b.id - a.id);
    res.json(newestFirst.map((delivery) => ({ ...deliveryDetail(delivery), state: delivery.state })));
  });

  /** Waits until every queued delivery has been attempted (handy in tests). */
  router.post("/deliveries/wait", async (_req, res) => {
    await ctx.webhooks.idle();
    res.json({ ok: true });
  });

  router.post("/deliveries/:id/redeliver", (req, res) => {
    const original = ctx.state.deliveries.find((delivery) => delivery.id === Number(param(req, "id")));
    if (!original) throw new ControlError(404, `Unknown delivery ${param(req, "id")}`);
    res.status(202).json(deliveryIds([ctx.webhooks.redeliver(original)]));
  });

  router.post("/ping", (_req, res) => {
    const delivery = ctx.webhooks.send("ping", pingPayload(ctx), {
      action: null,
      installationId: null,
      repositoryId: null,
    });
    res.status(201).json(deliveryIds([delivery]));
  });

  router.patch("/hook", (req, res) => {
    const body = parse(hookBody, req.body);
    if (body.url !== undefined) ctx.hook.url = body.url ?? undefined;
    if (body.secret !== undefined) ctx.hook.secret = body.secret;
    res.json({ url: ctx.hook.url ?? null, hasSecret: ctx.hook.secret !== "" });
  });

  router.get("/deployments", (_req, res) => {
    const all = [...ctx.state.deployments.values()].map((value) => {
      const repo = ctx.state.repositories.get(value.repoId);
      if (!repo) throw new ControlError(500, `Deployment ${value.id} has no repository`);
      const statuses = [...ctx.state.deploymentStatuses.values()]
        .filter((status) => status.deploymentId === value.id)
        .sort((a, b) => a.id - b.id)
        .map((status) => deploymentStatus(ctx, repo, status));
      return {
        ...deploymentShape(ctx, repo, value),
        repository: `${repo.ownerLogin}/${repo.name}`,
        statuses,
      };
    });
    res.json(all);
  });

  router.get("/comments", (_req, res) => {
    const all = [...ctx.state.comments.values()].map((value) => {
      const repo = ctx.state.repositories.get(value.repoId);
      if (!repo) throw new ControlError(500, `Comment ${value.id} has no repository`);
      return {
        ...issueComment(ctx, repo, value),
        repository: `${repo.ownerLogin}/${repo.name}`,
        issue_number: value.issueNumber,
      };
    });
    res.json(all);
  });

  router.get("/faults", (_req, res) => {
    res.json(ctx.faults);
  });

  router.post("/faults", (req, res) => {
    ctx.faults = parse(faultSettingsSchema, req.body);
    res.json(ctx.faults);
  });

  router.delete("/faults", (_req, res) => {
    ctx.faults = null;
    res.status(204).end();
  });

  /** Like a user revoking the App's authorization: every user token and refresh token stops working. */
  router.post("/users/:login/revoke-tokens", (req, res) => {
    const user = userOrThrow(ctx, param(req, "login"));
    let revoked = 0;
    for (const [token, value] of ctx.state.userTokens) {
      if (value.login === user.login) revoked += Number(ctx.state.userTokens.delete(token));
    }
    for (const [token, value] of ctx.state.refreshTokens) {
      if (value.login === user.login) revoked += Number(ctx.state.refreshTokens.delete(token));
    }
    res.json({ revoked });
  });

  router.use(controlErrors);
  return router;
}
