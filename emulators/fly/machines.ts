import { checkDefinitions, checkOutput } from "./checks.ts";
import { failedPrecondition, machineNotFound } from "./errors.ts";
import { findPullableImage } from "./images.ts";
import { newMachineId, newMachineName, newPrivateIp, newUlid } from "./ids.ts";
import { acquireLease } from "./leases.ts";
import { normalizeConfig, type MachineConfig } from "./machine-config.ts";
import { secretsForBoot } from "./secrets.ts";
import {
  recordActivity,
  type App,
  type EmulatorContext,
  type ImageBehaviour,
  type Machine,
  type MachineEvent,
  type MachineState,
  type MachineVersion,
} from "./state.ts";

/**
 * Emulated duration of each phase, before `timeScale`. Real Fly takes seconds; these keep a one-machine
 * rollout at about a second at timeScale 1 (SPEC §7 measures push → live against the emulators).
 */
const PHASE_MS = {
  pull: 300,
  boot: 400,
  stop: 300,
  suspend: 300,
  destroy: 200,
  firstCheckResult: 600,
  crashAfterStart: 1_200,
  restartBackoff: 300,
} as const;

/** `max_retries` when `on-failure` gives none (an assumption: the reference does not state flyd's default). */
const DEFAULT_MAX_RETRIES = 10;
const MAX_EVENTS = 50;
const RUNNING_STATES: ReadonlySet<MachineState> = new Set([
  "started",
  "starting",
  "replacing",
  "stopping",
  "suspending",
]);

type EventInput = Omit<MachineEvent, "id" | "timestamp">;

/** An image that was pulled before keeps running even if the registry forgot it since. */
const PREVIOUSLY_PULLED: ImageBehaviour = { ref: "", healthy: true, crashLoop: false, registeredAt: 0 };

function addEvent(ctx: EmulatorContext, machine: Machine, event: EventInput): void {
  const now = ctx.clock.now();
  machine.events.push({ id: newUlid(now), timestamp: now, ...event });
  if (machine.events.length > MAX_EVENTS) machine.events.shift();
  recordActivity(ctx.state, {
    at: new Date(now).toISOString(),
    app: machine.appName,
    machineId: machine.id,
    message: `${event.type} ${event.status} (${event.source})`,
  });
}

function changeState(ctx: EmulatorContext, machine: Machine, state: MachineState, event?: EventInput): void {
  machine.state = state;
  machine.updatedAt = ctx.clock.now();
  if (event) addEvent(ctx, machine, event);
  ctx.state.machineChanges.emit("change", machine.id);
}

/** Schedules the next phase; it is dropped if another operation started on the machine meanwhile. */
function later(ctx: EmulatorContext, machine: Machine, delayMs: number, step: () => void): void {
  const generation = machine.generation;
  ctx.clock.schedule(delayMs, () => {
    if (machine.generation === generation && machine.state !== "destroyed") step();
  });
}

function beginOperation(machine: Machine): void {
  machine.generation += 1;
}

function pullThen(
  ctx: EmulatorContext,
  machine: Machine,
  onPulled: (image: ImageBehaviour) => void,
  onFailed: (error: string) => void,
): void {
  const ref = machine.config.image;
  later(ctx, machine, PHASE_MS.pull, () => {
    const image = findPullableImage(ctx.state, ref);
    if (image) onPulled(image);
    else onFailed(`failed to pull image ${JSON.stringify(ref)}: manifest unknown: manifest unknown`);
  });
}

function exitEvent(exitCode: number, requestedStop: boolean, restarting: boolean, now: number) {
  return {
    exit_code: exitCode,
    guest_exit_code: exitCode,
    guest_signal: -1,
    oom_killed: false,
    requested_stop: requestedStop,
    restarting,
    signal: -1,
    exited_at: new Date(now).toISOString(),
  };
}

function boot(ctx: EmulatorContext, machine: Machine, source: "user" | "flyd", image: ImageBehaviour): void {
  changeState(ctx, machine, "starting", { type: "start", status: "starting", source });
  later(ctx, machine, PHASE_MS.boot, () => {
    const now = ctx.clock.now();
    const app = ctx.state.apps.get(machine.appName);
    machine.secretsSeen =
      machine.skipSecrets || !app ? undefined : secretsForBoot(app.secrets, machine.minSecretsVersion, now);
    const definitions = checkDefinitions(machine.config);
    machine.checks = definitions.map((definition) => ({
      name: definition.name,
      status: "warning",
      output: "waiting for status update",
      updatedAt: now,
    }));
    changeState(ctx, machine, "started", { type: "start", status: "started", source: "flyd" });
    if (app) app.status = "deployed";
    const passing = image.healthy && !image.crashLoop;
    for (const definition of definitions) {
      later(ctx, machine, definition.gracePeriodMs + PHASE_MS.firstCheckResult, () => {
        const check = machine.checks.find((candidate) => candidate.name === definition.name);
        if (!check) return;
        check.status = passing ? "passing" : "critical";
        check.output = checkOutput(definition.type, passing);
        check.updatedAt = ctx.clock.now();
        ctx.state.machineChanges.emit("change", machine.id);
      });
    }
    if (image.crashLoop) later(ctx, machine, PHASE_MS.crashAfterStart, () => crash(ctx, machine, image));
  });
}

/** The main process exits non-zero; flyd restarts it per the restart policy, as a crash-looping app does. */
function crash(ctx: EmulatorContext, machine: Machine, image: ImageBehaviour): void {
  const policy = machine.config.restart?.policy ?? "on-failure";
  const maxRetries = machine.config.restart?.max_retries ?? DEFAULT_MAX_RETRIES;
  const restarting = policy === "always" || (policy === "on-failure" && machine.restartCount < maxRetries);
  if (restarting) machine.restartCount += 1;
  const now = ctx.clock.now();
  for (const check of machine.checks) {
    check.status = "critical";
    check.output = checkOutput("tcp", false);
    check.updatedAt = now;
  }
  changeState(ctx, machine, "stopped", {
    type: "exit",
    status: "stopped",
    source: "flyd",
    request: { exit_event: exitEvent(1, false, restarting, now), restart_count: machine.restartCount },
  });
  if (restarting) later(ctx, machine, PHASE_MS.restartBackoff, () => boot(ctx, machine, "flyd", image));
  else if (machine.config.auto_destroy) beginDestroy(ctx, machine, "flyd");
}

function stoppedOnRequest(ctx: EmulatorContext, machine: Machine, restarting: boolean): void {
  changeState(ctx, machine, "stopped", {
    type: "exit",
    status: "stopped",
    source: "flyd",
    request: {
      exit_event: exitEvent(0, true, restarting, ctx.clock.now()),
      restart_count: machine.restartCount,
    },
  });
}

function beginDestroy(ctx: EmulatorContext, machine: Machine, source: "user" | "flyd"): void {
  beginOperation(machine);
  changeState(ctx, machine, "destroying", { type: "destroy", status: "destroying", source });
  later(ctx, machine, PHASE_MS.destroy, () => markDestroyed(ctx, machine));
}

function markDestroyed(ctx: EmulatorContext, machine: Machine): void {
  machine.lease = undefined;
  machine.checks = [];
  changeState(ctx, machine, "destroyed", { type: "destroy", status: "destroyed", source: "flyd" });
}

function assertNotDestroyed(machine: Machine): void {
  if (machine.state === "destroyed" || machine.state === "destroying") {
    throw failedPrecondition(`machine ${machine.state}`);
  }
}

function assertNotReplacing(machine: Machine, action: string): void {
  if (machine.state === "replacing")
    throw failedPrecondition(`machine getting replaced, refusing to ${action}`);
}

function currentVersion(machine: Machine): MachineVersion | undefined {
  return machine.versions.find((version) => version.version === machine.instanceId);
}

function addVersion(ctx: EmulatorContext, machine: Machine, config: MachineConfig): void {
  machine.instanceId = newUlid(ctx.clock.now());
  machine.config = config;
  // The version record shares the config object so metadata edits (which are not new versions) show in both.
  machine.versions.push({
    version: machine.instanceId,
    config,
    status: "current",
    createdAt: ctx.clock.now(),
  });
}

export interface LaunchOptions {
  config: MachineConfig;
  skipLaunch: boolean;
  minSecretsVersion: number | undefined;
  skipSecrets: boolean;
}

export function createMachine(
  ctx: EmulatorContext,
  app: App,
  input: LaunchOptions & {
    name: string | undefined;
    region: string;
    lease: { ttlSeconds: number; owner: string } | undefined;
  },
): { machine: Machine; nonce: string | undefined } {
  const now = ctx.clock.now();
  const machine: Machine = {
    id: newMachineId(),
    appName: app.name,
    name: input.name ?? newMachineName(),
    region: input.region,
    state: "created",
    instanceId: "",
    config: input.config,
    privateIp: newPrivateIp(),
    createdAt: now,
    updatedAt: now,
    events: [],
    checks: [],
    versions: [],
    lease: undefined,
    minSecretsVersion: input.minSecretsVersion,
    skipSecrets: input.skipSecrets,
    secretsSeen: undefined,
    restartCount: 0,
    generation: 0,
  };
  addVersion(ctx, machine, normalizeConfig(input.config));
  ctx.state.machines.set(machine.id, machine);
  const lease = input.lease
    ? acquireLease(machine, { ...input.lease, description: "", nonce: undefined }, now)
    : undefined;
  changeState(ctx, machine, "created", { type: "launch", status: "created", source: "user" });
  pullThen(
    ctx,
    machine,
    (image) => {
      if (!input.skipLaunch) boot(ctx, machine, "flyd", image);
    },
    (error) =>
      changeState(ctx, machine, "failed", {
        type: "launch",
        status: "failed",
        source: "flyd",
        request: { error },
      }),
  );
  return { machine, nonce: lease?.nonce };
}

/**
 * Full config replace: a new version (`instance_id`) is created and the old one marked `replaced`. A running
 * machine is stopped, the new image pulled and booted unless `skip_launch` (then it stays `created`). When
 * the pull fails the update is reverted to the previous version, as flyd does — clients must check the
 * `instance_id` after waiting.
 */
export function updateMachine(
  ctx: EmulatorContext,
  machine: Machine,
  input: LaunchOptions & { currentVersion: string | undefined },
): void {
  assertNotDestroyed(machine);
  if (input.currentVersion && input.currentVersion !== machine.instanceId) {
    throw failedPrecondition(`machine version mismatch: current version is ${machine.instanceId}`);
  }
  const previous = currentVersion(machine);
  const previousState = machine.state;
  const wasRunning = RUNNING_STATES.has(previousState);
  beginOperation(machine);
  machine.restartCount = 0;
  if (previous) previous.status = "replaced";
  addVersion(ctx, machine, normalizeConfig(input.config));
  const next = currentVersion(machine);
  machine.minSecretsVersion = input.minSecretsVersion;
  machine.skipSecrets = input.skipSecrets;
  changeState(ctx, machine, "replacing", { type: "update", status: "replacing", source: "user" });

  const revert = (error: string) => {
    if (next) next.status = "failed";
    addEvent(ctx, machine, { type: "update", status: "failed", source: "flyd", request: { error } });
    if (!previous) return changeState(ctx, machine, "failed");
    previous.status = "current";
    machine.instanceId = previous.version;
    machine.config = previous.config;
    if (wasRunning)
      return boot(
        ctx,
        machine,
        "flyd",
        findPullableImage(ctx.state, previous.config.image) ?? PREVIOUSLY_PULLED,
      );
    changeState(ctx, machine, previousState === "suspended" ? "stopped" : previousState);
  };

  later(ctx, machine, wasRunning ? PHASE_MS.stop : 0, () => {
    // The old version exits; the machine itself stays `replacing` until the new version is in place.
    if (wasRunning) {
      addEvent(ctx, machine, {
        type: "exit",
        status: "stopped",
        source: "flyd",
        request: {
          exit_event: exitEvent(0, true, false, ctx.clock.now()),
          restart_count: machine.restartCount,
        },
      });
    }
    pullThen(
      ctx,
      machine,
      (image) => {
        addEvent(ctx, machine, {
          type: "update",
          status: "replaced",
          source: "flyd",
          request: { previous_version: previous?.version ?? null, version: machine.instanceId },
        });
        if (input.skipLaunch)
          changeState(ctx, machine, "created", { type: "launch", status: "created", source: "flyd" });
        else boot(ctx, machine, "flyd", image);
      },
      revert,
    );
  });
}

export function startMachine(ctx: EmulatorContext, machine: Machine): { previousState: MachineState } {
  assertNotReplacing(machine, "start");
  if (machine.state === "destroyed" || machine.state === "destroying") {
    throw failedPrecondition(`unable to start machine from current state: '${machine.state}'`);
  }
  const previousState = machine.state;
  if (previousState === "started" || previousState === "starting") return { previousState };
  beginOperation(machine);
  machine.restartCount = 0;
  if (previousState === "created" || previousState === "failed") {
    // Never booted (skip_launch) or its image failed to pull: pull first.
    pullThen(
      ctx,
      machine,
      (image) => boot(ctx, machine, "user", image),
      (error) =>
        changeState(ctx, machine, "failed", {
          type: "launch",
          status: "failed",
          source: "flyd",
          request: { error },
        }),
    );
  } else {
    boot(ctx, machine, "user", findPullableImage(ctx.state, machine.config.image) ?? PREVIOUSLY_PULLED);
  }
  return { previousState };
}

export function stopMachine(ctx: EmulatorContext, machine: Machine): void {
  assertNotDestroyed(machine);
  assertNotReplacing(machine, "stop");
  if (!RUNNING_STATES.has(machine.state)) {
    // Cancels a launch still in progress; a stopped machine stays stopped.
    beginOperation(machine);
    return;
  }
  beginOperation(machine);
  changeState(ctx, machine, "stopping", { type: "stop", status: "stopping", source: "user" });
  later(ctx, machine, PHASE_MS.stop, () => {
    stoppedOnRequest(ctx, machine, false);
    if (machine.config.auto_destroy) beginDestroy(ctx, machine, "flyd");
  });
}

export function restartMachine(ctx: EmulatorContext, machine: Machine): void {
  assertNotDestroyed(machine);
  assertNotReplacing(machine, "restart");
  if (machine.state !== "started") {
    throw failedPrecondition(`unable to restart machine from current state: '${machine.state}'`);
  }
  beginOperation(machine);
  machine.restartCount = 0;
  changeState(ctx, machine, "stopping", { type: "restart", status: "stopping", source: "user" });
  later(ctx, machine, PHASE_MS.stop, () => {
    stoppedOnRequest(ctx, machine, true);
    boot(ctx, machine, "flyd", findPullableImage(ctx.state, machine.config.image) ?? PREVIOUSLY_PULLED);
  });
}

export function suspendMachine(ctx: EmulatorContext, machine: Machine): void {
  assertNotDestroyed(machine);
  assertNotReplacing(machine, "suspend");
  if (machine.state !== "started") {
    throw failedPrecondition(`unable to suspend machine from current state: '${machine.state}'`);
  }
  beginOperation(machine);
  changeState(ctx, machine, "suspending", { type: "suspend", status: "suspending", source: "user" });
  later(ctx, machine, PHASE_MS.suspend, () =>
    changeState(ctx, machine, "suspended", { type: "suspend", status: "suspended", source: "flyd" }),
  );
}

/** A running machine is destroyed only with `force` (spec) or `kill` (what fly-go sends). */
export function destroyMachine(ctx: EmulatorContext, machine: Machine, force: boolean): void {
  if (machine.state === "destroyed") throw failedPrecondition("machine destroyed");
  if (machine.state === "destroying") return;
  if (RUNNING_STATES.has(machine.state) && !force) {
    throw failedPrecondition("unable to destroy machine, not currently stopped, suspended or failed");
  }
  beginDestroy(ctx, machine, "user");
}

/** Deleting an app force-destroys its machines at once and forgets them, so the name can be reused cleanly. */
export function destroyAppMachines(ctx: EmulatorContext, app: App): void {
  for (const machine of [...ctx.state.machines.values()]) {
    if (machine.appName !== app.name) continue;
    if (machine.state !== "destroyed") {
      beginOperation(machine);
      markDestroyed(ctx, machine);
    }
    ctx.state.machines.delete(machine.id);
  }
}

/** A machine of this app; machines of other apps do not exist from its point of view. */
export function findAppMachine(ctx: EmulatorContext, app: App, machineId: string): Machine {
  const machine = ctx.state.machines.get(machineId);
  if (!machine || machine.appName !== app.name) throw machineNotFound();
  return machine;
}
