// The rollout against the Fly Machines API emulator over HTTP: first deploys, rolling updates, failed
// health checks and image pulls restored, cancels, foreign leases and injected faults.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { AppError } from "../../errors.ts";
import { createFlyClient, type FlyApi } from "../../fly/fly-client.ts";
import { createMetrics } from "../../observability/metrics.ts";
import { createResilience, type ServicePolicy } from "../../resilience/resilience.ts";
import { FLY_ORG, FLY_TOKEN, type TestFly, startTestFly } from "../../test/fly.ts";
import { parseFlyConfig } from "./fly-config.ts";
import { type RolloutInput, type RolloutResult, rollOut } from "./rollout.ts";

const V1 = "registry.fly.io/hangar-rollout:v1";
const V2 = "registry.fly.io/hangar-rollout:v2";
const UNHEALTHY = "registry.fly.io/hangar-rollout:unhealthy";
const CRASHING = "registry.fly.io/hangar-rollout:crashing";
const NEVER_PUSHED = "registry.fly.io/hangar-rollout:never-pushed";
const TIME_SCALE = 20;

const FAST: Partial<ServicePolicy> = {
  timeoutMs: 2_000,
  maxRetries: 6,
  initialDelayMs: 10,
  maxDelayMs: 100,
  breakerThreshold: 1_000,
};

type MachineDump = {
  id: string;
  app: string;
  state: string;
  instanceId: string;
  image: string;
  config: { metadata?: Record<string, string> };
  versions: { version: string; status: string; image: string }[];
  checks: { name: string; status: string }[];
};
type StateDump = { machines: MachineDump[]; leases: { app: string; machineId: string }[] };

let fly: TestFly;
let api: FlyApi;
let appCounter = 0;

async function newApp(): Promise<string> {
  appCounter += 1;
  const name = `hangar-rollout-${appCounter}-${Date.now().toString(36)}`;
  await api.createApp({ name, orgSlug: FLY_ORG });
  return name;
}

/** The app's live machines, and the leases on them. */
async function state(appName: string) {
  const dump = await fly.control<StateDump>("GET", "/state");
  const machines = dump.machines
    .filter(
      (machine) => machine.app === appName && machine.state !== "destroyed" && machine.state !== "destroying",
    )
    .sort((a, b) => a.id.localeCompare(b.id));
  const live = new Set(machines.map((machine) => machine.id));
  // A machine being destroyed keeps its lease until it is gone (200 ms of emulated time), and that
  // lease can hold off no deployment: a failed first deploy's machines are destroyed under theirs.
  return {
    machines,
    leases: dump.leases.filter((lease) => lease.app === appName && live.has(lease.machineId)),
  };
}

/** Polls the emulator until every machine of the app is started on `image` with its checks passing. */
async function settledOn(appName: string, image: string) {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const current = await state(appName);
    const settled = current.machines.every(
      (machine) =>
        machine.state === "started" &&
        machine.image === image &&
        machine.checks.every((check) => check.status === "passing"),
    );
    if (settled || Date.now() > deadline) return current;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function deploy(
  appName: string,
  overrides: Partial<RolloutInput> & { version?: number } = {},
): { lines: string[]; done: Promise<RolloutResult> } {
  const lines: string[] = [];
  const { version = 1, ...rest } = overrides;
  const input: RolloutInput = {
    fly: api,
    appName,
    image: V1,
    region: "iad",
    machineConfig: parseFlyConfig(undefined).machine,
    release: { id: `release-${version}`, version },
    deploymentId: `deployment-${version}`,
    processGroup: "app",
    initialMachineCount: 2,
    leaseTtlSeconds: 600,
    timeouts: { startedMs: 5_000, healthyMs: 5_000, smokeMs: 1_000 },
    log: (line) => lines.push(line),
    signal: new AbortController().signal,
    ...rest,
  };
  return { lines, done: rollOut(input) };
}

/** An app whose two machines run V1 after a first deploy. */
async function deployedApp(): Promise<{ appName: string; first: RolloutResult }> {
  const appName = await newApp();
  const first = await deploy(appName).done;
  await settledOn(appName, V1);
  return { appName, first };
}

beforeAll(async () => {
  fly = await startTestFly({ timeScale: TIME_SCALE });
  const resilience = createResilience({ metrics: createMetrics(), policies: { fly: FAST } });
  api = createFlyClient({ apiUrl: fly.url, resilience }).withToken(FLY_TOKEN);
  for (const ref of [V1, V2]) await fly.control("POST", "/images", { ref });
  await fly.control("POST", "/images", { ref: UNHEALTHY, healthy: false });
  await fly.control("POST", "/images", { ref: CRASHING, crashLoop: true });
});
afterAll(() => fly.close());
afterEach(async () => {
  await fly.control("DELETE", "/faults");
  await fly.control("POST", "/clock", { timeScale: TIME_SCALE });
});

describe("rollOut", () => {
  it("creates the machines of a first deploy, started with passing checks, tagged with the release", async () => {
    const appName = await newApp();
    const { lines, done } = deploy(appName);
    const result = await done;

    expect(result.created).toBe(true);
    expect(result.machines).toHaveLength(2);
    const { machines, leases } = await state(appName);
    expect(machines.map((machine) => machine.id)).toEqual(
      result.machines.map((machine) => machine.id).sort(),
    );
    for (const machine of machines) {
      expect(machine).toMatchObject({ state: "started", image: V1 });
      expect(machine.checks).toEqual([
        expect.objectContaining({ name: "servicecheck-00-tcp-8080", status: "passing" }),
      ]);
      expect(machine.config.metadata).toMatchObject({
        fly_platform_version: "v2",
        fly_process_group: "app",
        fly_release_id: "release-1",
        fly_release_version: "1",
        hangar_deployment: "deployment-1",
      });
    }
    expect(leases).toEqual([]);
    expect(lines).toContain("No machines in group 'app', launching 2 new machine(s)");
    expect(lines.filter((line) => /✔ Machine \w+ is now in a good state/.test(line))).toHaveLength(2);
  });

  it("updates existing machines in place, one at a time, under leases", async () => {
    const { appName, first } = await deployedApp();
    const before = await state(appName);
    const { lines, done } = deploy(appName, { image: V2, version: 2 });
    const result = await done;

    expect(result.created).toBe(false);
    expect(result.machines.map((machine) => machine.id)).toEqual(
      first.machines.map((machine) => machine.id).sort(),
    );
    const after = await state(appName);
    for (const [index, machine] of after.machines.entries()) {
      expect(machine).toMatchObject({ state: "started", image: V2 });
      expect(machine.instanceId).not.toBe(before.machines[index]?.instanceId);
      expect(machine.instanceId).toBe(result.machines[index]?.instanceId);
      expect(machine.config.metadata).toMatchObject({
        fly_release_version: "2",
        hangar_deployment: "deployment-2",
      });
    }
    expect(after.leases).toEqual([]);
    expect(lines[0]).toBe("Updating existing machines in 'app' with rolling strategy");
    const [firstId, secondId] = result.machines.map((machine) => machine.id);
    // One at a time: the second machine is touched only once the first is healthy.
    expect(lines.indexOf(`[1/2] ✔ Machine ${firstId} is now in a good state`)).toBeLessThan(
      lines.indexOf(`[2/2] Updating machine ${secondId} to ${V2}`),
    );
    expect(lines).toContain(`[2/2] Machine ${secondId} update succeeded`);

    const updates = (await fly.requests()).filter(
      (request) =>
        request.method === "POST" && after.machines.some((machine) => request.path.endsWith(machine.id)),
    );
    expect(updates.map((request) => request.leaseNoncePresent)).toEqual([true, true]);
  });

  it("restores the previous image when the new one fails its health checks, after the grace period", async () => {
    const { appName } = await deployedApp();
    const before = await state(appName);
    const started = performance.now();
    const { lines, done } = deploy(appName, { image: UNHEALTHY, version: 2 });
    const error = await done.catch((caught: unknown) => caught);

    const [first, second] = before.machines;
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: "BAD_GATEWAY", reason: "ROLLOUT_FAILED" });
    expect((error as AppError).message).toBe(
      `Rollout failed checking the health of machine ${first?.id}: Health check servicecheck-00-tcp-8080 on machine ${first?.id} is critical: dial tcp: connect: connection refused`,
    );
    // The default config's check has a 1 s grace period: critical before it is not yet a failure.
    expect(performance.now() - started).toBeGreaterThanOrEqual(1_000);

    const after = await settledOn(appName, V1);
    expect(after.machines.map((machine) => [machine.state, machine.image])).toEqual([
      ["started", V1],
      ["started", V1],
    ]);
    // The first machine went V1 → unhealthy → V1 again; the second was never touched.
    expect(after.machines[0]?.versions.map((version) => version.image)).toEqual([V1, UNHEALTHY, V1]);
    expect(after.machines[1]?.instanceId).toBe(second?.instanceId);
    expect(after.leases).toEqual([]);
    expect(lines).toContain(`Restoring machine ${first?.id} to ${V1}`);
    expect(lines).toContain(`✔ Machine ${first?.id} restored to ${V1}`);
  });

  it("reports Fly's reason when the new image cannot be pulled, and leaves the machine on its previous version", async () => {
    const { appName } = await deployedApp();
    const error = await deploy(appName, { image: NEVER_PUSHED, version: 2 }).done.catch(
      (caught: unknown) => caught,
    );

    expect((error as AppError).message).toMatch(
      /^Rollout failed waiting for machine \w+ to start: Machine \w+ could not start: failed to pull image "registry\.fly\.io\/hangar-rollout:never-pushed"/,
    );
    const after = await settledOn(appName, V1);
    expect(after.machines.every((machine) => machine.image === V1 && machine.state === "started")).toBe(true);
    expect(after.leases).toEqual([]);
  });

  it("fails a crash-looping image without checks by watching its exits, and destroys what a first deploy created", async () => {
    const appName = await newApp();
    const machineConfig = { ...parseFlyConfig("[env]\nMODE = 'worker'\n").machine };
    const error = await deploy(appName, {
      image: CRASHING,
      machineConfig,
      initialMachineCount: 1,
      timeouts: { startedMs: 5_000, healthyMs: 5_000, smokeMs: 3_000 },
    }).done.catch((caught: unknown) => caught);

    expect((error as AppError).message).toMatch(
      /^Rollout failed checking the health of machine (\w+): Machine \1 appears to be crashing: it exited with code 1 after \d+ restarts$/,
    );
    // A failed first deploy leaves the app as it was: without machines.
    expect((await state(appName)).machines).toEqual([]);
  });

  it("cancelled part-way, puts the previous image back, releases the leases and rejects with the reason", async () => {
    const { appName } = await deployedApp();
    const controller = new AbortController();
    const reason = new AppError("CONFLICT", "Deployment #2 was cancelled.", {
      reason: "DEPLOYMENT_CANCELLED",
    });
    const { lines, done } = deploy(appName, {
      image: V2,
      version: 2,
      signal: controller.signal,
      log: (line) => {
        lines.push(line);
        if (line.startsWith("[1/2] Checking health")) controller.abort(reason);
      },
    });
    await expect(done).rejects.toBe(reason);

    const after = await settledOn(appName, V1);
    expect(after.machines.map((machine) => [machine.state, machine.image])).toEqual([
      ["started", V1],
      ["started", V1],
    ]);
    expect(after.machines[1]?.versions).toHaveLength(1);
    expect(after.leases).toEqual([]);
    expect(lines).toContain("Deployment cancelled: putting the previous release back");
    expect(lines.some((line) => line.startsWith("[2/2]"))).toBe(false);
  });

  it("refuses clearly when someone else holds a machine's lease, touching nothing", async () => {
    const { appName } = await deployedApp();
    const before = await state(appName);
    const leased = before.machines[1];
    const foreign = await api.acquireLease(appName, leased?.id ?? "", {
      ttlSeconds: 600,
      description: "fly machine update",
    });

    const error = await deploy(appName, { image: V2, version: 2 }).done.catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "CONFLICT", reason: "MACHINE_LEASED" });
    expect((error as AppError).message).toMatch(
      new RegExp(
        `^Rollout failed leasing machine ${leased?.id}: someone else holds its lease \\(aborted: machine ID ${leased?.id} lease currently held by .+\\)`,
      ),
    );

    const after = await state(appName);
    expect(after.machines.map((machine) => machine.instanceId)).toEqual(
      before.machines.map((machine) => machine.instanceId),
    );
    // Only the foreign lease remains: the one the rollout took on the other machine was released.
    expect(after.leases.map((lease) => lease.machineId)).toEqual([leased?.id]);
    await api.releaseLease(appName, leased?.id ?? "", foreign.nonce);
  });

  it("keeps its leases alive by refreshing them while a slow rollout runs", async () => {
    const appName = await newApp();
    const first = await deploy(appName, { initialMachineCount: 1 }).done;
    const machineId = first.machines[0]?.id ?? "";
    // At time scale 2 a 2 s lease lasts 1 s, and the new version's check passes after about 1.8 s.
    await fly.control("POST", "/clock", { timeScale: 2 });
    const machineConfig = parseFlyConfig(
      '[[services]]\ninternal_port = 8080\n[[services.tcp_checks]]\ngrace_period = "2s"\n',
    ).machine;
    await deploy(appName, { image: V2, version: 2, machineConfig, leaseTtlSeconds: 2 }).done;

    const refreshes = (await fly.requests()).filter(
      (request) =>
        request.method === "POST" && request.path.endsWith(`${machineId}/lease`) && request.leaseNoncePresent,
    );
    expect(refreshes.length).toBeGreaterThanOrEqual(2);
    expect(refreshes.every((request) => request.status === 201)).toBe(true);
    expect((await state(appName)).leases).toEqual([]);
  });

  it("under injected Fly faults, every rollout ends in time: updated, or failed with the previous image back", async () => {
    const appName = await newApp();
    let current: string | undefined;
    // Moderate faults on every call; the unhealthy image must fail and be restored under them too.
    for (const [index, image] of [V1, V2, UNHEALTHY, V1, V2].entries()) {
      await fly.control("POST", "/faults", {
        errorRate: 0.2,
        rateLimitRate: 0.1,
        retryAfterSeconds: 0,
        dropRate: 0.05,
      });
      const outcome = await Promise.race([
        deploy(appName, { image, version: index + 1 }).done.then(
          () => "updated",
          (error: unknown) => (error instanceof AppError ? "failed" : error),
        ),
        new Promise((resolve) => setTimeout(() => resolve("hung"), 15_000)),
      ]);
      await fly.control("DELETE", "/faults");

      expect(image === UNHEALTHY ? ["failed"] : ["updated", "failed"]).toContain(outcome);
      if (outcome === "updated") current = image;
      const after = current === undefined ? await state(appName) : await settledOn(appName, current);
      expect(after.machines.map((machine) => machine.image)).toEqual(after.machines.map(() => current));
      expect(after.leases).toEqual([]);
    }
  }, 60_000);
});
