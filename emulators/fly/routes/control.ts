import { Router } from "express";
import { z } from "zod";
import { FlyApiError, rfc3339 } from "../errors.ts";
import { faultProfileSchema } from "../faults.ts";
import { parseBody } from "../http.ts";
import { registerImage } from "../images.ts";
import { eventJson } from "../machine-view.ts";
import { propagatedVersion } from "../secrets.ts";
import {
  addOrganization,
  addToken,
  resetEmulatorState,
  type EmulatorContext,
  type Machine,
} from "../state.ts";

const orgBody = z.strictObject({
  slug: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
  name: z.string().min(1).optional(),
});
const tokenBody = z.strictObject({
  token: z.string().min(1),
  orgSlug: z.string().min(1),
  appName: z.string().min(1).optional(),
});
const imageBody = z.strictObject({
  ref: z.string().min(1),
  healthy: z.boolean().default(true),
  crashLoop: z.boolean().default(false),
});
const clockBody = z.strictObject({ timeScale: z.number().positive().max(100_000) });

function machineDump(ctx: EmulatorContext, machine: Machine): Record<string, unknown> {
  return {
    id: machine.id,
    app: machine.appName,
    name: machine.name,
    region: machine.region,
    state: machine.state,
    instanceId: machine.instanceId,
    image: machine.config.image,
    config: machine.config,
    versions: machine.versions.map((version) => ({
      version: version.version,
      status: version.status,
      image: version.config.image,
      createdAt: rfc3339(version.createdAt),
    })),
    checks: machine.checks,
    events: machine.events.map(eventJson),
    lease: machine.lease && machine.lease.expiresAt > ctx.clock.now() ? machine.lease : null,
    minSecretsVersion: machine.minSecretsVersion ?? null,
    // What the running version booted with: only secrets at or above its min_secrets_version.
    secretsSeen: machine.secretsSeen ?? null,
    restartCount: machine.restartCount,
  };
}

/** Everything, for tests to assert on. */
function stateDump(ctx: EmulatorContext): Record<string, unknown> {
  const { state, clock } = ctx;
  const now = clock.now();
  const machines = [...state.machines.values()];
  return {
    now: rfc3339(now),
    timeScale: clock.timeScale,
    organizations: [...state.organizations.values()],
    tokens: [...state.tokens.values()],
    apps: [...state.apps.values()].map((app) => ({
      id: app.id,
      name: app.name,
      orgSlug: app.orgSlug,
      status: app.status,
      network: app.network,
      createdAt: rfc3339(app.createdAt),
      secrets: {
        version: app.secrets.version,
        propagatedVersion: propagatedVersion(app.secrets, now),
        values: Object.fromEntries(
          [...app.secrets.current.values()].map((record) => [record.name, record.value]),
        ),
      },
      ipAssignments: app.ipAssignments,
    })),
    machines: machines.map((machine) => machineDump(ctx, machine)),
    leases: machines.flatMap((machine) =>
      machine.lease && machine.lease.expiresAt > now
        ? [
            {
              app: machine.appName,
              machineId: machine.id,
              ...machine.lease,
              expiresAt: rfc3339(machine.lease.expiresAt),
            },
          ]
        : [],
    ),
    images: [...state.images.values()],
    faults: state.faults ?? null,
    events: state.activity,
  };
}

/** The test-only control API (`/_emulator/...`); see README.md. */
export function controlRoutes(ctx: EmulatorContext): Router {
  const { state, clock } = ctx;
  const router = Router();

  router.post("/orgs", (request, response) => {
    const body = parseBody(orgBody, request.body);
    if (state.organizations.has(body.slug))
      throw new FlyApiError(409, `organization ${body.slug} already exists`);
    response.status(201).json(addOrganization(state, body));
  });

  router.post("/tokens", (request, response) => {
    const body = parseBody(tokenBody, request.body);
    if (!state.organizations.has(body.orgSlug))
      throw new FlyApiError(404, `organization ${body.orgSlug} not found`);
    if (state.tokens.has(body.token)) throw new FlyApiError(409, "token already exists");
    response.status(201).json(addToken(state, body));
  });

  router.post("/images", (request, response) => {
    const body = parseBody(imageBody, request.body);
    response.status(201).json(registerImage(state, body, clock.now()));
  });

  router.post("/faults", (request, response) => {
    state.faults = parseBody(faultProfileSchema, request.body);
    response.json(state.faults);
  });

  router.delete("/faults", (_request, response) => {
    state.faults = undefined;
    response.status(204).end();
  });

  router.post("/clock", (request, response) => {
    clock.setTimeScale(parseBody(clockBody, request.body).timeScale);
    response.json({ timeScale: clock.timeScale, now: rfc3339(clock.now()) });
  });

  router.post("/reset", (_request, response) => {
    resetEmulatorState(state, ctx.seed);
    clock.cancelAll();
    clock.setTimeScale(ctx.initialTimeScale);
    response.status(204).end();
  });

  router.get("/state", (_request, response) => {
    response.json(stateDump(ctx));
  });

  router.get("/requests", (_request, response) => {
    response.json({ requests: state.requests });
  });

  return router;
}
