import { Router } from "express";
import { z } from "zod";
import { authorizedApp, currentToken } from "../auth.ts";
import { notFound } from "../errors.ts";
import { parseBody, queryBoolean } from "../http.ts";
import { secretJson, writeSecrets } from "../secrets.ts";
import type { App, EmulatorContext } from "../state.ts";

// `null` unsets a key in the bulk endpoint (the spec types values as strings only).
const updateSecretsBody = z.looseObject({ values: z.record(z.string(), z.string().nullable()) });
const setSecretBody = z.looseObject({ value: z.string() });

function listSecrets(app: App, showValues: boolean): Record<string, string>[] {
  return [...app.secrets.current.values()]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((record) => secretJson(record, showValues));
}

/**
 * App secrets, versioned: every write returns the new version, which deploys pass on as
 * `min_secrets_version`. `min_version` (spec) and `version` (fly-go) are read-your-writes hints;
 * the emulator is always consistent for reads, so both are accepted and need no waiting.
 */
export function secretsRoutes(ctx: EmulatorContext): Router {
  const { state, clock } = ctx;
  const router = Router();

  router.get("/apps/:appName/secrets", (request, response) => {
    const app = authorizedApp(state, currentToken(response), request.params.appName);
    response.json({ secrets: listSecrets(app, queryBoolean(request.query, "show_secrets") ?? false) });
  });

  router.post("/apps/:appName/secrets", (request, response) => {
    const app = authorizedApp(state, currentToken(response), request.params.appName);
    const body = parseBody(updateSecretsBody, request.body);
    const version = writeSecrets(app.secrets, body.values, clock.now());
    response.json({ version, Version: version, secrets: listSecrets(app, false) });
  });

  router.get("/apps/:appName/secrets/:secretName", (request, response) => {
    const app = authorizedApp(state, currentToken(response), request.params.appName);
    const record = app.secrets.current.get(request.params.secretName);
    if (!record) throw notFound("secret");
    response.json(secretJson(record, queryBoolean(request.query, "show_secrets") ?? false));
  });

  router.post("/apps/:appName/secrets/:secretName", (request, response) => {
    const app = authorizedApp(state, currentToken(response), request.params.appName);
    const body = parseBody(setSecretBody, request.body);
    const version = writeSecrets(app.secrets, { [request.params.secretName]: body.value }, clock.now());
    const record = app.secrets.current.get(request.params.secretName);
    if (!record) throw notFound("secret");
    response.status(201).json({ ...secretJson(record, true), version, Version: version });
  });

  router.delete("/apps/:appName/secrets/:secretName", (request, response) => {
    const app = authorizedApp(state, currentToken(response), request.params.appName);
    if (!app.secrets.current.has(request.params.secretName)) throw notFound("secret");
    const version = writeSecrets(app.secrets, { [request.params.secretName]: null }, clock.now());
    response.json({ version, Version: version });
  });

  return router;
}
