import { Router } from "express";
import { randomBytes } from "node:crypto";
import { z } from "zod";
import { appJson, assertValidAppName, newApp } from "../apps.ts";
import { assertOrgAccess, authorizedApp, currentToken } from "../auth.ts";
import { appNameTaken, invalidArgument, unauthorized } from "../errors.ts";
import { parseBody, queryValue } from "../http.ts";
import { destroyAppMachines } from "../machines.ts";
import { addToken, type EmulatorContext } from "../state.ts";

// The spec names the field `name`; the docs and older clients send `app_name`. Both are accepted.
const createAppBody = z.looseObject({
  name: z.string().optional(),
  app_name: z.string().optional(),
  org_slug: z.string().optional(),
  network: z.string().optional(),
  enable_subdomains: z.boolean().optional(),
});

const deployTokenBody = z.looseObject({ expiry: z.string().optional() });

export function appsRoutes(ctx: EmulatorContext): Router {
  const { state, clock } = ctx;
  const router = Router();

  router.get("/apps", (request, response) => {
    const token = currentToken(response);
    const orgSlug = queryValue(request.query, "org_slug");
    if (!orgSlug) throw invalidArgument("org_slug is required");
    assertOrgAccess(token, orgSlug);
    const apps = [...state.apps.values()]
      .filter((app) => app.orgSlug === orgSlug && (token.appName === undefined || app.name === token.appName))
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((app) => appJson(state, app));
    response.json({ total_apps: apps.length, apps });
  });

  router.post("/apps", (request, response) => {
    const token = currentToken(response);
    // A deploy token is scoped to one existing app and cannot create others.
    if (token.appName !== undefined) throw unauthorized();
    const body = parseBody(createAppBody, request.body);
    if (!body.org_slug) throw invalidArgument("org_slug is required");
    assertOrgAccess(token, body.org_slug);
    const name = body.name ?? body.app_name ?? "";
    assertValidAppName(name);
    // App names are global across Fly, not per organization.
    if (state.apps.has(name)) throw appNameTaken();
    const app = newApp(name, body.org_slug, clock.now());
    if (body.network) app.network = body.network;
    state.apps.set(name, app);
    response.status(201).json({ ...appJson(state, app), created_at: app.createdAt });
  });

  router.get("/apps/:appName", (request, response) => {
    const app = authorizedApp(state, currentToken(response), request.params.appName);
    response.json(appJson(state, app));
  });

  router.delete("/apps/:appName", (request, response) => {
    const app = authorizedApp(state, currentToken(response), request.params.appName);
    destroyAppMachines(ctx, app);
    state.apps.delete(app.name);
    response.status(202).end();
  });

  /** Mints a deploy token: it opens this app only. The `FlyV1 ` prefix is part of the returned header value. */
  router.post("/apps/:appName/deploy_token", (request, response) => {
    const app = authorizedApp(state, currentToken(response), request.params.appName);
    parseBody(deployTokenBody, request.body);
    const minted = addToken(state, {
      token: `fm2_${randomBytes(32).toString("base64url")}`,
      orgSlug: app.orgSlug,
      appName: app.name,
    });
    response.json({ token: `FlyV1 ${minted.token}` });
  });

  return router;
}
