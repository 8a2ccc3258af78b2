// The rollout step of a deployment, as `fly deploy` does it with its default rolling strategy (ref §2):
// a group without machines gets new ones; otherwise every machine is leased up front, then updated one
// at a time (new image, config and release metadata), waited for `started` and for its health checks.
// A failure or a cancel part-way puts the previous config back on every machine already updated, so the
// app stays on its previous release. Rolling back a deployment is a rollout of the older image.
import { setTimeout as sleep } from "node:timers/promises";
import { randomUUID } from "node:crypto";
import { AppError } from "../../errors.ts";
import type { FlyApi, FlyMachine, FlyMachineConfig, FlyMachineSettings } from "../../fly/fly-client.ts";
import { FlyApiError } from "../../fly/fly-errors.ts";
import { CircuitOpenError, ExternalTimeoutError, classifyFailure } from "../../resilience/resilience.ts";
import { goDurationMs } from "./fly-config.ts";

export type RolloutInput = {
  /** The organisation's Fly API; the rollout binds it to `signal` itself. */
  fly: FlyApi;
  appName: string;
  image: string;
  /** Where a first deploy creates its machines; existing machines keep their region. */
  region: string;
  /** From the project's fly.toml (`parseFlyConfig`). */
  machineConfig: FlyMachineSettings;
  release: { id: string; version: number };
  deploymentId: string;
  processGroup: string;
  /** Machines a first deploy creates (flyctl creates 2 for a group with services, for availability). */
  initialMachineCount: number;
  /** The secrets version the machines must see (from syncing secrets), as flyctl passes it. */
  minSecretsVersion?: number;
  leaseTtlSeconds: number;
  timeouts: {
    /** Per machine, from its update to `started`. */
    startedMs: number;
    /** Per machine, from `started` to all checks passing. */
    healthyMs: number;
    /** How long a machine without checks is watched for crashes (flyctl: 10 s). */
    smokeMs?: number;
  };
  log: (line: string) => void;
  /** Cancels the rollout: what was updated is restored, then it rejects with the signal's reason. */
  signal: AbortSignal;
};

export type RolloutResult = {
  machines: { id: string; instanceId: string; region: string }[];
  /** True when this was the group's first deploy and its machines were created. */
  created: boolean;
};

/** flyctl launches an update only on machines in these states; others are updated and stay stopped. */
const LAUNCHED_STATES = new Set(["started", "starting", "failed"]);
const DEFAULT_SMOKE_MS = 10_000;
const FIRST_POLL_MS = 100;
const MAX_POLL_MS = 2_000;
/** Pause before asking Fly again after a transient failure while waiting. */
const RETRY_PAUSE_MS = 500;
/** Restoring and releasing after a failure may take this long beyond the machines' start timeouts. */
const CLEANUP_SLACK_MS = 15_000;
/** Cleanup calls (restore, destroy, release) are tried this often, each already retried by the client. */
const CLEANUP_ATTEMPTS = 4;

type Context = {
  input: RolloutInput;
  /** Bound to the cancel signal, or during cleanup to the cleanup deadline. */
  fly: FlyApi;
  signal: AbortSignal;
  leases: Leases;
};

/** A machine this rollout updated, with what it ran before. */
type Touched = { machine: FlyMachine; previousConfig: FlyMachineConfig; launched: boolean };

type Progress = {
  step: string;
  touched: Touched[];
  /** Machines a first deploy created. */
  created: FlyMachine[];
};

export async function rollOut(input: RolloutInput): Promise<RolloutResult> {
  const leases = new Leases(input);
  const ctx: Context = { input, fly: input.fly.withSignal(input.signal), signal: input.signal, leases };
  const progress: Progress = { step: `listing the machines of ${input.appName}`, touched: [], created: [] };
  try {
    leases.startRefreshing();
    const machines = (
      await ctx.fly.listMachines(input.appName, { metadata: { fly_process_group: input.processGroup } })
    )
      .filter(
        (machine) =>
          machine.state !== "destroyed" &&
          machine.state !== "destroying" &&
          machine.config?.metadata?.fly_platform_version === "v2",
      )
      .sort((a, b) => a.id.localeCompare(b.id));
    if (machines.length === 0) return await createMachines(ctx, progress);
    return await updateMachines(ctx, progress, machines);
  } catch (error) {
    const cancelled = input.signal.aborted;
    input.log(
      cancelled
        ? "Deployment cancelled: putting the previous release back"
        : `✖ Rollout failed ${progress.step}: ${describe(error)}`,
    );
    const cleanupSignal = AbortSignal.timeout(
      (progress.touched.length + progress.created.length + 1) * input.timeouts.startedMs + CLEANUP_SLACK_MS,
    );
    const cleanup: Context = { ...ctx, fly: input.fly.withSignal(cleanupSignal), signal: cleanupSignal };
    const leftBehind = [...(await restore(cleanup, progress)), ...(await destroyCreated(cleanup, progress))];
    if (cancelled) throw input.signal.reason;
    throw rolloutFailure(progress.step, error, leftBehind);
  } finally {
    await leases.releaseAll();
  }
}

/** First deploy: create the group's machines (in parallel, as flyctl does), then verify each. */
async function createMachines(ctx: Context, progress: Progress): Promise<RolloutResult> {
  const { input } = ctx;
  const count = input.initialMachineCount;
  input.log(`No machines in group '${input.processGroup}', launching ${count} new machine(s)`);
  progress.step = "creating machines";
  const launches = await Promise.allSettled(
    Array.from({ length: count }, async (_, index) => {
      const machine = await ctx.fly.createMachine(
        input.appName,
        {
          config: newConfig(input, {}),
          region: input.region,
          lease_ttl: input.leaseTtlSeconds,
          min_secrets_version: input.minSecretsVersion,
        },
        // Stable per deployment, so a create whose answer was lost is found rather than repeated.
        `${input.deploymentId}-${input.processGroup}-${index}`,
      );
      progress.created.push(machine);
      if (machine.nonce) ctx.leases.hold(machine.id, machine.nonce);
      input.log(`Created machine ${machine.id} in ${machine.region ?? input.region}`);
      return machine;
    }),
  );
  const failed = launches.find((launch) => launch.status === "rejected");
  if (failed) throw failed.reason;

  const machines = progress.created.toSorted((a, b) => a.id.localeCompare(b.id));
  for (const [index, machine] of machines.entries()) {
    const label = `[${index + 1}/${machines.length}]`;
    await verify(ctx, progress, machine.id, machine.instance_id ?? "", label);
  }
  input.log(`✔ ${machines.length} machine(s) created and healthy`);
  return { machines: machines.map((machine) => summary(input, machine)), created: true };
}

/** Rolling update: lease every machine, then update and verify them one at a time. */
async function updateMachines(
  ctx: Context,
  progress: Progress,
  machines: FlyMachine[],
): Promise<RolloutResult> {
  const { input } = ctx;
  input.log(`Updating existing machines in '${input.processGroup}' with rolling strategy`);
  progress.step = "leasing the machines";
  await ctx.leases.acquire(ctx.fly, machines);

  const updated: RolloutResult["machines"] = [];
  for (const [index, machine] of machines.entries()) {
    const label = `[${index + 1}/${machines.length}]`;
    if (!machine.config) throw new Error(`Fly.io returned machine ${machine.id} without its config`);
    const launched = LAUNCHED_STATES.has(machine.state);
    // Recorded before the update is sent: if its answer is lost it may still have happened.
    progress.touched.push({ machine, previousConfig: configOf(machine.config), launched });
    progress.step = `updating machine ${machine.id}`;
    input.log(`${label} Updating machine ${machine.id} to ${input.image}`);
    const next = await ctx.fly.updateMachine(
      input.appName,
      machine.id,
      {
        config: newConfig(input, machine.config.metadata ?? {}),
        region: machine.region,
        skip_launch: !launched,
        min_secrets_version: input.minSecretsVersion,
      },
      ctx.leases.nonce(machine.id),
    );
    const instanceId = next.instance_id ?? "";
    if (launched) await verify(ctx, progress, machine.id, instanceId, label);
    else input.log(`${label} Machine ${machine.id} was ${machine.state}: updated without starting it`);
    input.log(`${label} Machine ${machine.id} update succeeded`);
    updated.push(summary(input, { ...machine, instance_id: instanceId }));
  }
  input.log(`✔ ${machines.length} machine(s) updated to ${input.image}`);
  return { machines: updated, created: false };
}

async function verify(
  ctx: Context,
  progress: Progress,
  machineId: string,
  version: string,
  label: string,
): Promise<void> {
  progress.step = `waiting for machine ${machineId} to start`;
  ctx.input.log(`${label} Waiting for machine ${machineId} to start`);
  await waitStarted(ctx, machineId, version);
  progress.step = `checking the health of machine ${machineId}`;
  ctx.input.log(`${label} Checking health of machine ${machineId}`);
  await waitHealthy(ctx, machineId, version);
  ctx.input.log(`${label} ✔ Machine ${machineId} is now in a good state`);
}

/**
 * Long-polls until this version is `started`. Fly answers `failed` (or the previous version, having
 * reverted) when the version could not start, e.g. its image could not be pulled (ref §1.7).
 */
async function waitStarted(ctx: Context, machineId: string, version: string): Promise<void> {
  const { input } = ctx;
  const deadline = Date.now() + input.timeouts.startedMs;
  for (;;) {
    const remainingMs = deadline - Date.now();
    if (remainingMs <= 0) {
      throw new Error(`Machine ${machineId} did not start within ${seconds(input.timeouts.startedMs)}`);
    }
    let result;
    try {
      result = await ctx.fly.waitForState(input.appName, machineId, {
        state: ["started", "failed"],
        version,
        timeoutSeconds: Math.ceil(remainingMs / 1000),
      });
    } catch (error) {
      if (!isTransient(error)) throw error;
      await sleep(RETRY_PAUSE_MS, undefined, { signal: ctx.signal });
      continue;
    }
    if (!result.reached) continue;
    if (result.state === "failed" || (result.version !== undefined && result.version !== version)) {
      throw new Error(`Machine ${machineId} could not start: ${await startFailure(ctx, machineId)}`);
    }
    return;
  }
}

/** Fly's own words for a failed start: the error of the latest failed launch or update. */
async function startFailure(ctx: Context, machineId: string): Promise<string> {
  const machine = await ctx.fly.getMachine(ctx.input.appName, machineId).catch(() => undefined);
  const failed = machine?.events?.find((event) => event.status === "failed" && event.request?.error);
  return failed?.request?.error ?? "Fly.io reverted it to its previous version";
}

/**
 * Polls the machine until every configured check passes (or, without checks, until the smoke window
 * passes). Fails on a crash loop, on a check still critical after the longest grace period, and on
 * the timeout. flyctl only waits for passing; failing fast on critical saves minutes of a bad deploy.
 */
async function waitHealthy(ctx: Context, machineId: string, version: string): Promise<void> {
  const { input } = ctx;
  const expectedChecks = checkCount(input.machineConfig);
  const graceMs = longestGracePeriodMs(input.machineConfig);
  const startedAt = Date.now();
  const limitMs =
    expectedChecks > 0 ? input.timeouts.healthyMs : (input.timeouts.smokeMs ?? DEFAULT_SMOKE_MS);
  let pauseMs = FIRST_POLL_MS;
  let checks: NonNullable<FlyMachine["checks"]> = [];
  for (;;) {
    let machine: FlyMachine | undefined;
    try {
      machine = await ctx.fly.getMachine(input.appName, machineId);
    } catch (error) {
      if (!isTransient(error)) throw error;
    }
    if (machine) {
      if (machine.instance_id !== version) {
        throw new Error(`Machine ${machineId} no longer runs the new version (${machine.instance_id})`);
      }
      const crash = crashOf(machine);
      if (crash) throw new Error(`Machine ${machineId} appears to be crashing: ${crash}`);
      checks = machine.checks ?? [];
      const critical = checks.find((check) => check.status === "critical");
      if (critical && Date.now() - startedAt >= graceMs) {
        throw new Error(
          `Health check ${critical.name} on machine ${machineId} is critical: ${critical.output ?? "no output"}`,
        );
      }
      const allPassing =
        checks.length >= expectedChecks && checks.every((check) => check.status === "passing");
      if (expectedChecks > 0 && allPassing) return;
    }
    const remainingMs = startedAt + limitMs - Date.now();
    if (remainingMs <= 0) {
      if (expectedChecks === 0) return;
      const states =
        checks.map((check) => `${check.name} is ${check.status}`).join(", ") || "no check reported";
      throw new Error(
        `Machine ${machineId} did not pass its health checks within ${seconds(limitMs)} (${states})`,
      );
    }
    await sleep(Math.min(pauseMs, remainingMs), undefined, { signal: ctx.signal });
    pauseMs = Math.min(pauseMs * 2, MAX_POLL_MS);
  }
}

/**
 * flyctl's smoke check: since this version started (events are newest first, back to its update or
 * launch), an exit with a non-zero code that is not restarted, or restarted more than once.
 */
function crashOf(machine: FlyMachine): string | undefined {
  for (const event of machine.events ?? []) {
    if (event.type === "update" || event.type === "launch") return undefined;
    const exit = event.request?.exit_event;
    if (event.type !== "exit" || !exit?.exit_code) continue;
    const restarts = event.request?.restart_count ?? 0;
    if (!exit.restarting) return `it exited with code ${exit.exit_code} and was not restarted`;
    if (restarts > 1) return `it exited with code ${exit.exit_code} after ${restarts} restarts`;
  }
  return undefined;
}

function checkCount(config: FlyMachineSettings): number {
  const serviceChecks = (config.services ?? []).reduce(
    (total, service) => total + (service.checks?.length ?? 0),
    0,
  );
  return serviceChecks + Object.keys(config.checks ?? {}).length;
}

function longestGracePeriodMs(config: FlyMachineSettings): number {
  const checks = [
    ...Object.values(config.checks ?? {}),
    ...(config.services ?? []).flatMap((service) => service.checks ?? []),
  ];
  return Math.max(0, ...checks.map((check) => goDurationMs(check.grace_period ?? "0s") ?? 0));
}

/** Puts each updated machine back on its previous config; returns the ids that could not be. */
async function restore(ctx: Context, progress: Progress): Promise<string[]> {
  const { input } = ctx;
  const failed: string[] = [];
  for (const { machine, previousConfig, launched } of progress.touched.toReversed()) {
    try {
      const current = await ctx.fly.getMachine(input.appName, machine.id).catch(() => undefined);
      // Never updated (the request did not arrive) or reverted by Fly itself: nothing to restore.
      if (current?.instance_id !== undefined && current.instance_id === machine.instance_id) continue;
      input.log(`Restoring machine ${machine.id} to ${previousConfig.image}`);
      const restored = await persistently(ctx.signal, () =>
        ctx.fly.updateMachine(
          input.appName,
          machine.id,
          { config: previousConfig, region: machine.region, skip_launch: !launched },
          ctx.leases.nonce(machine.id),
        ),
      );
      if (launched) await waitStarted(ctx, machine.id, restored.instance_id ?? "");
      input.log(`✔ Machine ${machine.id} restored to ${previousConfig.image}`);
    } catch (error) {
      failed.push(machine.id);
      input.log(`✖ Could not restore machine ${machine.id}: ${describe(error)}`);
    }
  }
  return failed;
}

/**
 * A first deploy that fails or is cancelled destroys the machines it created, so the app is left as
 * it was: without machines. Returns the ids that could not be destroyed.
 */
async function destroyCreated(ctx: Context, progress: Progress): Promise<string[]> {
  const failed: string[] = [];
  for (const machine of progress.created) {
    try {
      ctx.input.log(`Destroying machine ${machine.id}, created by this deployment`);
      await persistently(ctx.signal, () =>
        ctx.fly.deleteMachine(ctx.input.appName, machine.id, {
          force: true,
          leaseNonce: ctx.leases.nonce(machine.id),
        }),
      );
      ctx.leases.forget(machine.id);
    } catch (error) {
      failed.push(machine.id);
      ctx.input.log(`✖ Could not destroy machine ${machine.id}: ${describe(error)}`);
    }
  }
  return failed;
}

/**
 * The leases this rollout holds: acquired together (all or none), refreshed in the background every
 * third of their TTL as flyctl does, released at the end whatever happened. Refreshes and releases
 * are not bound to the cancel signal: a cancelled rollout still restores under its leases.
 */
class Leases {
  readonly #nonces = new Map<string, string>();
  readonly #fly: FlyApi;
  readonly #stop = new AbortController();
  #refreshing: Promise<void> | undefined;

  private readonly input: RolloutInput;

  constructor(input: RolloutInput) {
    this.input = input;
    this.#fly = input.fly.withSignal(undefined);
  }

  hold(machineId: string, nonce: string): void {
    this.#nonces.set(machineId, nonce);
  }

  forget(machineId: string): void {
    this.#nonces.delete(machineId);
  }

  nonce(machineId: string): string | undefined {
    return this.#nonces.get(machineId);
  }

  /** Leases every machine; when one cannot be leased, the rollout stops before touching any. */
  async acquire(fly: FlyApi, machines: FlyMachine[]): Promise<void> {
    const { appName, deploymentId, leaseTtlSeconds } = this.input;
    // Unique per rollout, so a lease whose answer was lost is recognised as ours.
    const description = `Hangar deployment ${deploymentId} (${randomUUID().slice(0, 8)})`;
    const results = await Promise.allSettled(
      machines.map(async (machine) => {
        try {
          const lease = await fly.acquireLease(appName, machine.id, {
            ttlSeconds: leaseTtlSeconds,
            description,
          });
          this.hold(machine.id, lease.nonce);
        } catch (error) {
          if (error instanceof FlyApiError && error.upstreamStatus === 409) {
            throw new AppError(
              "CONFLICT",
              `Rollout failed leasing machine ${machine.id}: someone else holds its lease (${error.flyMessage}). Try again once it is released or has expired.`,
              { reason: "MACHINE_LEASED", cause: error },
            );
          }
          throw error;
        }
      }),
    );
    const failed = results.find((result) => result.status === "rejected");
    if (failed) throw failed.reason;
  }

  startRefreshing(): void {
    const intervalMs = Math.max(500, ((this.input.leaseTtlSeconds - 1) * 1000) / 3);
    this.#refreshing = (async () => {
      for (;;) {
        try {
          await sleep(intervalMs, undefined, { signal: this.#stop.signal });
        } catch {
          return;
        }
        await Promise.all([...this.#nonces].map(([machineId, nonce]) => this.#refresh(machineId, nonce)));
      }
    })();
  }

  async #refresh(machineId: string, nonce: string): Promise<void> {
    const { appName, leaseTtlSeconds, log } = this.input;
    try {
      const lease = await this.#fly.refreshLease(appName, machineId, nonce, leaseTtlSeconds);
      // An expired lease is taken anew with a new nonce (ref §1.6): hold that one.
      if (lease.nonce !== nonce && this.#nonces.has(machineId)) this.#nonces.set(machineId, lease.nonce);
    } catch (error) {
      log(`✖ Could not refresh the lease on machine ${machineId}: ${describe(error)}`);
    }
  }

  /** Stops refreshing (waiting for one in flight, which would otherwise lease again) and releases all. */
  async releaseAll(): Promise<void> {
    this.#stop.abort();
    await this.#refreshing;
    const { appName, log } = this.input;
    const deadline = AbortSignal.timeout(CLEANUP_SLACK_MS);
    await Promise.all(
      [...this.#nonces].map(async ([machineId, nonce]) => {
        try {
          // A lease left behind blocks the next deployment until it expires: worth insisting.
          await persistently(deadline, () => this.#fly.releaseLease(appName, machineId, nonce));
        } catch (error) {
          log(`✖ Could not release the lease on machine ${machineId}: ${describe(error)}`);
        }
      }),
    );
    this.#nonces.clear();
  }
}

/** The new config: fly.toml's settings, the image, and flyctl's release metadata (ref §2.1). */
function newConfig(input: RolloutInput, previousMetadata: Record<string, string>): FlyMachineConfig {
  return {
    ...input.machineConfig,
    image: input.image,
    metadata: {
      ...previousMetadata,
      fly_platform_version: "v2",
      fly_process_group: input.processGroup,
      fly_release_id: input.release.id,
      fly_release_version: String(input.release.version),
      hangar_deployment: input.deploymentId,
    },
  };
}

/** The config a machine runs, as Fly returned it: sent back unchanged to restore it. */
function configOf(config: NonNullable<FlyMachine["config"]>): FlyMachineConfig {
  const { metadata, ...rest } = config;
  return { ...rest, ...(metadata ? { metadata } : {}) };
}

function summary(input: RolloutInput, machine: FlyMachine): RolloutResult["machines"][number] {
  return { id: machine.id, instanceId: machine.instance_id ?? "", region: machine.region ?? input.region };
}

/** `call`, tried again after transient failures, up to CLEANUP_ATTEMPTS times. */
async function persistently<T>(signal: AbortSignal, call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= CLEANUP_ATTEMPTS || !isTransient(error)) throw error;
      await sleep(RETRY_PAUSE_MS, undefined, { signal });
    }
  }
}

/** Worth asking again while waiting: Fly or the network failing for now, not a refusal. */
function isTransient(error: unknown): boolean {
  return (
    error instanceof ExternalTimeoutError ||
    error instanceof CircuitOpenError ||
    classifyFailure(error).retryable
  );
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10}s`;
}

function rolloutFailure(step: string, error: unknown, leftBehind: string[]): AppError {
  const note =
    leftBehind.length > 0
      ? ` Machines ${leftBehind.join(", ")} could not be put back and may run the new image: check them on Fly.io.`
      : "";
  if (error instanceof AppError && error.reason === "MACHINE_LEASED") {
    return new AppError(error.code, `${error.message}${note}`, { reason: error.reason, cause: error });
  }
  return new AppError("BAD_GATEWAY", `Rollout failed ${step}: ${describe(error)}${note}`, {
    reason: "ROLLOUT_FAILED",
    cause: error,
  });
}
