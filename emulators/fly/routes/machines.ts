import { Router, type Request, type Response } from "express";
import { z } from "zod";
import { authorizedApp, currentToken } from "../auth.ts";
import { parseGoDuration } from "../checks.ts";
import { invalidArgument, machineNotFound, waitDeadlineExceeded } from "../errors.ts";
import { leaseNonce, parseBody, queryBoolean, queryInteger, queryValue, queryValues } from "../http.ts";
import { assertLeaseHolder } from "../leases.ts";
import { guestProblem, machineConfigSchema } from "../machine-config.ts";
import { eventJson, machineJson } from "../machine-view.ts";
import {
  createMachine,
  destroyMachine,
  findAppMachine,
  restartMachine,
  startMachine,
  stopMachine,
  suspendMachine,
  updateMachine,
  type LaunchOptions,
} from "../machines.ts";
import { isKnownRegion, NEAREST_REGION } from "../regions.ts";
import type { App, EmulatorContext, Machine } from "../state.ts";
import { WAITABLE_STATES, waitForMachine, type WaitableState } from "../wait.ts";

const launchFields = {
  config: machineConfigSchema,
  name: z.string().optional(),
  region: z.string().optional(),
  lease_ttl: z.number().int().optional(),
  skip_launch: z.boolean().optional(),
  skip_secrets: z.boolean().optional(),
  skip_service_registration: z.boolean().optional(),
  min_secrets_version: z.number().int().min(0).optional(),
  lsvd: z.boolean().optional(),
};
const createMachineBody = z.looseObject(launchFields);
const updateMachineBody = z.looseObject({ ...launchFields, current_version: z.string().optional() });
const stopBody = z.looseObject({
  signal: z.enum(["SIGHUP", "SIGINT", "SIGQUIT", "SIGKILL", "SIGUSR1", "SIGUSR2", "SIGTERM"]).optional(),
  timeout: z.string().optional(),
});

const MAX_EVENTS_LIMIT = 50;
const DEFAULT_EVENTS_LIMIT = 20;
const WAIT_TIMEOUT_RANGE_ERROR = "invalid WaitMachineRequest.Timeout: value must be inside range [1s, 1m0s]";

function launchOptions(app: App, body: z.infer<typeof createMachineBody>): LaunchOptions {
  const problem = guestProblem(body.config.guest);
  if (problem) throw invalidArgument(problem);
  if (body.min_secrets_version !== undefined && body.min_secrets_version > app.secrets.version) {
    throw invalidArgument(
      `min_secrets_version ${body.min_secrets_version} is newer than the app's secrets version ${app.secrets.version}`,
    );
  }
  return {
    config: body.config,
    skipLaunch: body.skip_launch ?? false,
    minSecretsVersion: body.min_secrets_version,
    skipSecrets: body.skip_secrets ?? false,
  };
}

/** `timeout` is whole seconds (fly-go) or a Go duration; Fly allows 1 s to 60 s. */
function waitTimeoutMs(request: Request): number {
  const raw = queryValue(request.query, "timeout");
  if (raw === undefined) return 60_000;
  const ms = /^-?\d+$/.test(raw) ? Number(raw) * 1_000 : parseGoDuration(raw);
  if (ms === undefined) throw invalidArgument(`invalid WaitMachineRequest.Timeout: ${JSON.stringify(raw)}`);
  if (ms < 1_000 || ms > 60_000) throw invalidArgument(WAIT_TIMEOUT_RANGE_ERROR);
  return ms;
}

function wantedStates(request: Request): WaitableState[] {
  const states = queryValues(request.query, "state")
    .flatMap((value) => value.split(","))
    .map((value) => value.trim())
    .filter(Boolean);
  if (states.length === 0) return ["started"];
  return states.map((state) => {
    const known = WAITABLE_STATES.find((candidate) => candidate === state);
    if (!known)
      throw invalidArgument(`invalid WaitMachineRequest.State: unsupported state ${JSON.stringify(state)}`);
    return known;
  });
}

export function machinesRoutes(ctx: EmulatorContext): Router {
  const { state, clock } = ctx;
  const router = Router();

  /** The app and machine of a request, after checking the token may touch them. */
  const target = (request: Request<{ appName: string; machineId: string }>, response: Response) => {
    const app = authorizedApp(state, currentToken(response), request.params.appName);
    return { app, machine: findAppMachine(ctx, app, request.params.machineId) };
  };

  /** Mutations a lease guards: update, start, stop, restart, suspend, destroy (not metadata or create). */
  const leasedTarget = (
    request: Request<{ appName: string; machineId: string }>,
    response: Response,
  ): Machine => {
    const { machine } = target(request, response);
    assertLeaseHolder(machine, leaseNonce(request), clock.now());
    return machine;
  };

  router.get("/apps/:appName/machines", (request, response) => {
    const app = authorizedApp(state, currentToken(response), request.params.appName);
    const includeDeleted = queryBoolean(request.query, "include_deleted") ?? false;
    const summary = queryBoolean(request.query, "summary") ?? false;
    const region = queryValue(request.query, "region");
    const states = queryValues(request.query, "state").flatMap((value) => value.split(",").filter(Boolean));
    // `metadata.<key>=<value>` filters (documented in Fly's docs, absent from the spec).
    const metadataFilters = Object.keys(request.query)
      .filter((key) => key.startsWith("metadata."))
      .map((key) => [key.slice("metadata.".length), queryValue(request.query, key) ?? ""] as const);
    const machines = [...state.machines.values()].filter(
      (machine) =>
        machine.appName === app.name &&
        (includeDeleted || machine.state !== "destroyed") &&
        (!region || machine.region === region) &&
        (states.length === 0 || states.includes(machine.state)) &&
        metadataFilters.every(([key, value]) => machine.config.metadata?.[key] === value),
    );
    response.json(machines.map((machine) => machineJson(machine, { summary })));
  });

  router.post("/apps/:appName/machines", (request, response) => {
    const token = currentToken(response);
    const app = authorizedApp(state, token, request.params.appName);
    const body = parseBody(createMachineBody, request.body);
    const region = body.region ?? NEAREST_REGION;
    if (!isKnownRegion(region)) throw invalidArgument(`unknown region ${JSON.stringify(region)}`);
    if (body.lease_ttl !== undefined && body.lease_ttl <= 0)
      throw invalidArgument("lease_ttl must be positive");
    const { machine, nonce } = createMachine(ctx, app, {
      ...launchOptions(app, body),
      name: body.name,
      region,
      lease: body.lease_ttl === undefined ? undefined : { ttlSeconds: body.lease_ttl, owner: token.owner },
    });
    response.json(machineJson(machine, { nonce }));
  });

  router.get("/apps/:appName/machines/:machineId", (request, response) => {
    response.json(machineJson(target(request, response).machine));
  });

  router.post("/apps/:appName/machines/:machineId", (request, response) => {
    const { app, machine } = target(request, response);
    assertLeaseHolder(machine, leaseNonce(request), clock.now());
    const body = parseBody(updateMachineBody, request.body);
    // Region and name are fixed for a machine's life; moving one means destroy and create.
    if (body.region !== undefined && body.region !== machine.region) {
      throw invalidArgument(`region cannot be changed (machine ${machine.id} is in ${machine.region})`);
    }
    if (body.name !== undefined && body.name !== machine.name) {
      throw invalidArgument(`name cannot be changed (machine ${machine.id} is ${machine.name})`);
    }
    updateMachine(ctx, machine, { ...launchOptions(app, body), currentVersion: body.current_version });
    response.json(machineJson(machine));
  });

  router.delete("/apps/:appName/machines/:machineId", (request, response) => {
    const machine = leasedTarget(request, response);
    const force =
      (queryBoolean(request.query, "force") ?? false) || (queryBoolean(request.query, "kill") ?? false);
    destroyMachine(ctx, machine, force);
    response.json({ ok: true });
  });

  router.post("/apps/:appName/machines/:machineId/start", (request, response) => {
    const { previousState } = startMachine(ctx, leasedTarget(request, response));
    response.json({ previous_state: previousState, migrated: false, new_host: "" });
  });

  router.post("/apps/:appName/machines/:machineId/stop", (request, response) => {
    const machine = leasedTarget(request, response);
    parseBody(stopBody, request.body);
    stopMachine(ctx, machine);
    response.json({ ok: true });
  });

  router.post("/apps/:appName/machines/:machineId/restart", (request, response) => {
    const machine = leasedTarget(request, response);
    const timeout = queryValue(request.query, "timeout");
    if (timeout !== undefined && !/^\d+$/.test(timeout) && parseGoDuration(timeout) === undefined) {
      throw invalidArgument(`invalid restart timeout ${JSON.stringify(timeout)}`);
    }
    restartMachine(ctx, machine);
    response.json({ ok: true });
  });

  router.post("/apps/:appName/machines/:machineId/suspend", (request, response) => {
    suspendMachine(ctx, leasedTarget(request, response));
    response.json({ ok: true });
  });

  router.get("/apps/:appName/machines/:machineId/wait", async (request, response) => {
    const { machine } = target(request, response);
    const wanted = wantedStates(request);
    const timeoutMs = waitTimeoutMs(request);
    const version = queryValue(request.query, "version") ?? queryValue(request.query, "instance_id");
    const disconnected = new AbortController();
    response.on("close", () => disconnected.abort());
    const outcome = await waitForMachine(ctx, machine, {
      wanted,
      version,
      timeoutMs,
      signal: disconnected.signal,
    });
    if (outcome.kind === "timeout") throw waitDeadlineExceeded(wanted[0] ?? "started", machine.state);
    if (outcome.kind === "gone") throw machineNotFound();
    response.json({
      ok: true,
      state: outcome.state,
      version: outcome.version,
      event_id: outcome.eventId ?? "",
    });
  });

  router.get("/apps/:appName/machines/:machineId/events", (request, response) => {
    const { machine } = target(request, response);
    const limit = queryInteger(request.query, "limit") ?? DEFAULT_EVENTS_LIMIT;
    if (limit < 1) throw invalidArgument("limit must be positive");
    response.json(machine.events.toReversed().slice(0, Math.min(limit, MAX_EVENTS_LIMIT)).map(eventJson));
  });

  router.get("/apps/:appName/machines/:machineId/versions", (request, response) => {
    const { machine } = target(request, response);
    response.json(
      machine.versions
        .toReversed()
        .map((version) => ({ version: version.version, user_config: version.config })),
    );
  });

  return router;
}
