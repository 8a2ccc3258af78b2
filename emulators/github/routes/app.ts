import express, { type Request, type Router } from "express";
import { z } from "zod";
import { installationRepositories } from "../access.ts";
import { requireApp } from "../auth.ts";
import type { EmulatorContext } from "../context.ts";
import { ApiError, notFound, paginate, param, perPage, queryString, validationFailed } from "../http.ts";
import { app, installation as installationShape, repository } from "../representations.ts";
import type { Delivery, Installation, Permissions } from "../state.ts";
import { isoTime } from "../time.ts";
import { newInstallationToken } from "../tokens.ts";

const DOCS = {
  accessToken: "https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app",
  installation: "https://docs.github.com/rest/apps/apps#get-an-installation-for-the-authenticated-app",
  deliveries: "https://docs.github.com/rest/apps/webhooks#list-deliveries-for-an-app-webhook",
  delivery: "https://docs.github.com/rest/apps/webhooks#get-a-delivery-for-an-app-webhook",
  redeliver: "https://docs.github.com/rest/apps/webhooks#redeliver-a-delivery-for-an-app-webhook",
  hookConfig: "https://docs.github.com/rest/apps/webhooks#update-a-webhook-configuration-for-an-app",
};

/** GitHub lets a delivery be redelivered for 3 days (7 on GHES). */
const REDELIVERY_WINDOW_MS = 3 * 24 * 3_600_000;

const accessTokenBody = z
  .object({
    repositories: z.array(z.string()).max(500).optional(),
    repository_ids: z.array(z.number().int()).max(500).optional(),
    permissions: z.record(z.string(), z.enum(["read", "write"])).optional(),
  })
  .optional();

const hookConfigBody = z.object({
  url: z.url().optional(),
  secret: z.string().optional(),
  content_type: z.string().optional(),
  insecure_ssl: z.union([z.string(), z.number()]).optional(),
});

function findInstallation(ctx: EmulatorContext, req: Request): Installation {
  const id = Number(param(req, "installation_id"));
  const found = ctx.state.installations.get(id);
  if (!found) throw notFound(DOCS.installation);
  return found;
}

function deliveryItem(delivery: Delivery) {
  return {
    id: delivery.id,
    guid: delivery.guid,
    delivered_at: delivery.deliveredAt,
    redelivery: delivery.redelivery,
    duration: delivery.durationSeconds,
    status: delivery.status,
    status_code: delivery.statusCode,
    event: delivery.event,
    action: delivery.action,
    installation_id: delivery.installationId,
    repository_id: delivery.repositoryId,
    throttled_at: null,
  };
}

export function deliveryDetail(delivery: Delivery) {
  return {
    ...deliveryItem(delivery),
    url: delivery.url ?? "",
    request: { headers: delivery.requestHeaders, payload: JSON.parse(delivery.body) as unknown },
    response: { headers: delivery.responseHeaders, payload: delivery.responseBody },
  };
}

function hookConfig(ctx: EmulatorContext) {
  return {
    content_type: "json",
    insecure_ssl: "0",
    ...(ctx.hook.url ? { url: ctx.hook.url } : {}),
    ...(ctx.hook.secret ? { secret: "********" } : {}),
  };
}

/** Endpoints that authenticate as the App itself (JWT). */
export function appRoutes(ctx: EmulatorContext): Router {
  const router = express.Router();

  router.get("/app", (req, res) => {
    requireApp(req);
    res.json(app(ctx));
  });

  router.get("/app/installations", (req, res) => {
    requireApp(req);
    const all = [...ctx.state.installations.values()].map((value) => installationShape(ctx, value));
    res.json(paginate(ctx, req, res, all));
  });

  router.get("/app/installations/:installation_id", (req, res) => {
    requireApp(req);
    res.json(installationShape(ctx, findInstallation(ctx, req)));
  });

  router.post("/app/installations/:installation_id/access_tokens", (req, res) => {
    requireApp(req);
    const found = findInstallation(ctx, req);
    if (found.suspendedAt) throw new ApiError(403, "This installation has been suspended", DOCS.accessToken);
    const parsed = accessTokenBody.safeParse(req.body);
    if (!parsed.success) {
      throw validationFailed(DOCS.accessToken, [{ resource: "Installation", code: "invalid" }]);
    }
    const body = parsed.data ?? {};
    const covered = installationRepositories(ctx.state, found);
    let scoped: typeof covered | null = null;
    if (body.repositories || body.repository_ids) {
      const names = new Set((body.repositories ?? []).map((name) => name.toLowerCase()));
      const ids = new Set(body.repository_ids ?? []);
      scoped = covered.filter((repo) => names.has(repo.name.toLowerCase()) || ids.has(repo.id));
      if (scoped.length !== names.size + ids.size) {
        throw new ApiError(
          422,
          "There is at least one repository that does not exist or is not accessible to the parent installation.",
          DOCS.accessToken,
        );
      }
    }
    let permissions: Permissions = { ...found.permissions };
    if (body.permissions) {
      for (const [scope, level] of Object.entries(body.permissions)) {
        const granted = found.permissions[scope];
        if (!granted || (level === "write" && granted !== "write")) {
          throw new ApiError(
            422,
            "The permissions requested are not granted to this installation.",
            DOCS.accessToken,
          );
        }
      }
      permissions = { ...body.permissions };
    }
    const token = newInstallationToken();
    const expiresAt = Date.now() + ctx.options.installationTokenTtlSeconds * 1000;
    ctx.state.installationTokens.set(token, {
      token,
      installationId: found.id,
      expiresAt,
      repositoryIds: scoped ? scoped.map((repo) => repo.id) : null,
      permissions,
    });
    const listed = scoped ?? (found.repositorySelection === "selected" ? covered : null);
    res.status(201).json({
      token,
      expires_at: isoTime(expiresAt),
      permissions,
      repository_selection: scoped ? "selected" : found.repositorySelection,
      ...(listed ? { repositories: listed.map((repo) => repository(ctx, repo)) } : {}),
    });
  });

  router.get("/repos/:owner/:repo/installation", (req, res) => {
    requireApp(req);
    const repo = ctx.state.findRepository(param(req, "owner"), param(req, "repo"));
    const found = repo ? ctx.state.installationForAccount(repo.ownerLogin) : undefined;
    const coversRepo =
      found && repo && installationRepositories(ctx.state, found).some((r) => r.id === repo.id);
    if (!found || !coversRepo) throw notFound(DOCS.installation);
    res.json(installationShape(ctx, found));
  });

  for (const path of ["/orgs/:account/installation", "/users/:account/installation"]) {
    router.get(path, (req, res) => {
      requireApp(req);
      const found = ctx.state.installationForAccount(param(req, "account"));
      if (!found) throw notFound(DOCS.installation);
      res.json(installationShape(ctx, found));
    });
  }

  router.get("/app/hook/config", (req, res) => {
    requireApp(req);
    res.json(hookConfig(ctx));
  });

  router.patch("/app/hook/config", (req, res) => {
    requireApp(req);
    const parsed = hookConfigBody.safeParse(req.body);
    if (!parsed.success) throw validationFailed(DOCS.hookConfig, [{ resource: "Hook", code: "invalid" }]);
    if (parsed.data.url !== undefined) ctx.hook.url = parsed.data.url;
    if (parsed.data.secret !== undefined) ctx.hook.secret = parsed.data.secret;
    res.json(hookConfig(ctx));
  });

  router.get("/app/hook/deliveries", (req, res) => {
    requireApp(req);
    const size = perPage(req);
    const cursor = queryString(req, "cursor");
    const cursorId = cursor && /^v1_\d+$/.test(cursor) ? Number(cursor.slice(3)) : Number.POSITIVE_INFINITY;
    const status = queryString(req, "status");
    if (status !== undefined && status !== "success" && status !== "failure") {
      throw validationFailed(DOCS.deliveries, [
        { resource: "HookDelivery", field: "status", code: "invalid" },
      ]);
    }
    // Newest first; still-pending attempts are not visible yet, as on GitHub.
    const matching = ctx.state.deliveries
      .filter((delivery) => delivery.state === "done" && delivery.id < cursorId)
      .filter((delivery) => {
        if (status === "success") return delivery.statusCode >= 200 && delivery.statusCode < 400;
        if (status === "failure") return delivery.statusCode >= 400 && delivery.statusCode < 600;
        return true;
      })
      .sort((a, b) => b.id - a.id);
    const page = matching.slice(0, size);
    const last = page.at(-1);
    if (last && matching.length > size) {
      const next = new URL(`${ctx.apiUrl}/app/hook/deliveries`);
      next.searchParams.set("per_page", String(size));
      if (status) next.searchParams.set("status", status);
      next.searchParams.set("cursor", `v1_${last.id}`);
      res.set("Link", `<${next.toString()}>; rel="next"`);
    }
    res.json(page.map(deliveryItem));
  });

  router.get("/app/hook/deliveries/:delivery_id", (req, res) => {
    requireApp(req);
    const delivery = ctx.state.deliveries.find((item) => item.id === Number(param(req, "delivery_id")));
    if (!delivery) throw notFound(DOCS.delivery);
    res.json(deliveryDetail(delivery));
  });

  router.post("/app/hook/deliveries/:delivery_id/attempts", (req, res) => {
    requireApp(req);
    const delivery = ctx.state.deliveries.find((item) => item.id === Number(param(req, "delivery_id")));
    if (!delivery) throw notFound(DOCS.redeliver);
    if (Date.now() - Date.parse(delivery.deliveredAt) > REDELIVERY_WINDOW_MS) {
      throw new ApiError(422, "Validation Failed: the delivery is older than 3 days", DOCS.redeliver);
    }
    ctx.webhooks.redeliver(delivery);
    res.status(202).json({});
  });

  return router;
}
