import { describe, expect, test } from "vitest";
import {
  eventually,
  IMAGE,
  NEXT_IMAGE,
  prepareApp,
  useTestEmulator,
  type MachineBody,
  type StateDump,
} from "./test-support.ts";

const APP = "machines-app";
const BASE = `/v1/apps/${APP}/machines`;
const emulator = useTestEmulator(async (started) => {
  await prepareApp(started, APP);
});

async function create(body: Record<string, unknown> = {}): Promise<MachineBody> {
  const response = await emulator.api<MachineBody>("POST", BASE, {
    body: { config: { image: IMAGE }, ...body },
  });
  expect(response.status).toBe(200);
  return response.body;
}

async function get(id: string): Promise<MachineBody> {
  return (await emulator.api<MachineBody>("GET", `${BASE}/${id}`)).body;
}

async function waitFor(id: string, query: string) {
  return emulator.api<{ ok: boolean; state: string; version: string }>("GET", `${BASE}/${id}/wait?${query}`);
}

describe("machine lifecycle", () => {
  test("create answers 200 in `created`, then starting → started over emulated time", async () => {
    await emulator.control("POST", "/clock", { timeScale: 1 });
    const machine = await create({ name: "web-1", region: "fra" });
    expect(machine).toMatchObject({ name: "web-1", region: "fra", state: "created" });
    expect(machine.id).toMatch(/^[0-9a-f]{14}$/);
    expect(machine.instance_id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect((await get(machine.id)).state).not.toBe("started");
    await emulator.control("POST", "/clock", { timeScale: 50 });
    expect((await waitFor(machine.id, "timeout=10")).body).toMatchObject({
      ok: true,
      state: "started",
      version: machine.instance_id,
    });
    const events = (await get(machine.id)).events ?? [];
    expect(events.map((event) => `${event.type}/${event.status}/${event.source}`).toReversed()).toEqual([
      "launch/created/user",
      "start/starting/flyd",
      "start/started/flyd",
    ]);
    const timestamps = events.map((event) => event.timestamp).toReversed();
    expect(timestamps).toEqual(timestamps.toSorted((a, b) => a - b));
  });

  test("stop, start, restart and suspend move through their transient states", async () => {
    const machine = await create();
    await waitFor(machine.id, "state=started");
    // Real time for a moment, so the transient state is observable without racing the clock.
    await emulator.control("POST", "/clock", { timeScale: 1 });
    expect(
      (await emulator.api("POST", `${BASE}/${machine.id}/stop`, { body: { signal: "SIGTERM" } })).body,
    ).toEqual({ ok: true });
    expect((await get(machine.id)).state).toBe("stopping");
    await emulator.control("POST", "/clock", { timeScale: 50 });
    expect((await waitFor(machine.id, `state=stopped&instance_id=${machine.instance_id}`)).body.state).toBe(
      "stopped",
    );
    const started = await emulator.api("POST", `${BASE}/${machine.id}/start`);
    expect(started.body).toEqual({ previous_state: "stopped", migrated: false, new_host: "" });
    await waitFor(machine.id, "state=started");
    await emulator.control("POST", "/clock", { timeScale: 1 });
    expect((await emulator.api("POST", `${BASE}/${machine.id}/restart`)).status).toBe(200);
    expect((await get(machine.id)).state).toBe("stopping");
    await emulator.control("POST", "/clock", { timeScale: 50 });
    await waitFor(machine.id, "state=started");
    expect((await emulator.api("POST", `${BASE}/${machine.id}/suspend`)).status).toBe(200);
    expect((await waitFor(machine.id, "state=suspended")).body.state).toBe("suspended");
    const resumed = await emulator.api("POST", `${BASE}/${machine.id}/start`);
    expect(resumed.body).toMatchObject({ previous_state: "suspended" });
    await waitFor(machine.id, "state=started");
    const types = ((await get(machine.id)).events ?? []).map((event) => event.type);
    expect(types).toEqual(expect.arrayContaining(["stop", "exit", "restart", "suspend", "start"]));
  });

  test("skip_launch leaves the machine created until started", async () => {
    const machine = await create({ skip_launch: true });
    expect((await waitFor(machine.id, "state=settled&timeout=2")).body.state).toBe("created");
    expect((await waitFor(machine.id, "state=started&timeout=1")).status).toBe(408);
    await emulator.api("POST", `${BASE}/${machine.id}/start`);
    expect((await waitFor(machine.id, "state=started")).status).toBe(200);
  });

  test("destroy needs force (or kill) while running; destroyed machines are listed only with include_deleted", async () => {
    const machine = await create();
    await waitFor(machine.id, "state=started");
    const refused = await emulator.api("DELETE", `${BASE}/${machine.id}`);
    expect(refused.status).toBe(412);
    expect(refused.body).toEqual({
      error: "failed_precondition: unable to destroy machine, not currently stopped, suspended or failed",
    });
    expect((await emulator.api("DELETE", `${BASE}/${machine.id}?kill=true`)).body).toEqual({ ok: true });
    expect((await waitFor(machine.id, "state=destroyed")).body.state).toBe("destroyed");
    expect((await emulator.api<MachineBody[]>("GET", BASE)).body).toEqual([]);
    expect((await emulator.api<MachineBody[]>("GET", `${BASE}?include_deleted=true`)).body).toHaveLength(1);
    expect((await emulator.api("POST", `${BASE}/${machine.id}/start`)).status).toBe(412);

    const stopped = await create({ skip_launch: true });
    expect((await emulator.api("DELETE", `${BASE}/${stopped.id}`)).status).toBe(200);
  });

  test("list filters by state, region and metadata; summary leaves out config, events and checks", async () => {
    const web = await create({
      region: "ams",
      config: { image: IMAGE, metadata: { fly_process_group: "app" } },
    });
    const worker = await create({
      region: "fra",
      skip_launch: true,
      config: { image: IMAGE, metadata: { fly_process_group: "worker" } },
    });
    await waitFor(web.id, "state=started");
    const ids = async (query: string) =>
      (await emulator.api<MachineBody[]>("GET", `${BASE}?${query}`)).body.map((machine) => machine.id);
    expect(await ids("state=started")).toEqual([web.id]);
    expect(await ids("state=created,started")).toEqual([web.id, worker.id]);
    expect(await ids("region=fra")).toEqual([worker.id]);
    expect(await ids("metadata.fly_process_group=app")).toEqual([web.id]);
    const [summary] = (
      await emulator.api<Record<string, unknown>[]>("GET", `${BASE}?summary=true&region=ams`)
    ).body;
    expect(summary).toMatchObject({
      id: web.id,
      state: "started",
      image_ref: { registry: "registry.fly.io", repository: "hello-app" },
    });
    expect(summary).not.toHaveProperty("config");
    expect(summary).not.toHaveProperty("events");
    expect((await emulator.api("GET", `${BASE}?summary=maybe`)).status).toBe(400);
  });

  test("unknown regions, bad guest sizes and bad config types are 400s", async () => {
    expect(
      (await emulator.api("POST", BASE, { body: { region: "mars", config: { image: IMAGE } } })).status,
    ).toBe(400);
    const guest = await emulator.api("POST", BASE, {
      body: { config: { image: IMAGE, guest: { cpus: 1, memory_mb: 300 } } },
    });
    expect(guest.status).toBe(400);
    expect(guest.body).toMatchObject({ error: expect.stringContaining("multiple of 256") as unknown });
    expect(
      (await emulator.api("POST", BASE, { body: { config: { image: IMAGE, env: { PORT: 8080 } } } })).status,
    ).toBe(400);
    expect((await emulator.api("POST", BASE, { body: {} })).status).toBe(400);
  });
});

describe("wait", () => {
  test("timeout must be within 1–60 s", async () => {
    const machine = await create();
    for (const timeout of ["0", "61", "120"]) {
      const response = await waitFor(machine.id, `timeout=${timeout}`);
      expect(response.status).toBe(400);
      expect(response.body).toEqual({
        error: "invalid_argument: invalid WaitMachineRequest.Timeout: value must be inside range [1s, 1m0s]",
      });
    }
    expect((await waitFor(machine.id, "timeout=soon")).status).toBe(400);
    expect((await waitFor(machine.id, "state=running")).status).toBe(400);
  });

  test("408 deadline_exceeded when the state is not reached in time", async () => {
    const machine = await create({ skip_launch: true });
    const response = await waitFor(machine.id, "state=stopped&timeout=1");
    expect(response.status).toBe(408);
    expect(response.body).toEqual({
      error: "deadline_exceeded: machine failed to reach desired state, stopped, currently created",
    });
  });

  test("defaults to `started`, accepts repeated and comma-separated states, 404 for unknown machines", async () => {
    const machine = await create();
    expect((await waitFor(machine.id, "")).body.state).toBe("started");
    expect((await waitFor(machine.id, "state=stopped&state=started")).body.state).toBe("started");
    expect((await waitFor(machine.id, "state=stopped,settled")).body.state).toBe("started");
    const missing = await waitFor("0123456789abcd", "state=started");
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ error: "machine not found" });
  });
});

describe("update", () => {
  test("replaces the config, creates a new version, keeps region and name; the old version is replaced", async () => {
    const machine = await create({ name: "api", region: "lhr", config: { image: IMAGE, env: { A: "1" } } });
    await waitFor(machine.id, "state=started");
    const updated = await emulator.api<MachineBody>("POST", `${BASE}/${machine.id}`, {
      body: { config: { image: NEXT_IMAGE }, region: "lhr" },
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ id: machine.id, name: "api", region: "lhr", state: "replacing" });
    expect(updated.body.instance_id).not.toBe(machine.instance_id);
    // Full replace: the env that was not sent again is gone.
    expect(updated.body.config.env).toBeUndefined();
    const waited = await waitFor(machine.id, `state=started&version=${updated.body.instance_id}`);
    expect(waited.body).toMatchObject({ state: "started", version: updated.body.instance_id });
    expect((await waitFor(machine.id, `state=stopped&version=${machine.instance_id}`)).body.state).toBe(
      "replaced",
    );
    const versions = await emulator.api<{ version: string; user_config: { image: string } }[]>(
      "GET",
      `${BASE}/${machine.id}/versions`,
    );
    expect(versions.body.map((version) => version.user_config.image)).toEqual([NEXT_IMAGE, IMAGE]);
    const state = await emulator.control<StateDump>("GET", "/state");
    expect(state.body.machines[0]?.versions.map((version) => version.status)).toEqual([
      "replaced",
      "current",
    ]);
    const events = ((await get(machine.id)).events ?? []).map((event) => `${event.type}/${event.status}`);
    expect(events).toEqual(expect.arrayContaining(["update/replacing", "update/replaced"]));
  });

  test("region and name are immutable", async () => {
    const machine = await create({ name: "api", region: "lhr" });
    expect(
      (
        await emulator.api("POST", `${BASE}/${machine.id}`, {
          body: { config: { image: IMAGE }, region: "ams" },
        })
      ).status,
    ).toBe(400);
    expect(
      (
        await emulator.api("POST", `${BASE}/${machine.id}`, {
          body: { config: { image: IMAGE }, name: "other" },
        })
      ).status,
    ).toBe(400);
  });

  test("skip_launch keeps the new version created; a stale current_version is refused", async () => {
    const machine = await create();
    await waitFor(machine.id, "state=started");
    const stale = await emulator.api("POST", `${BASE}/${machine.id}`, {
      body: { config: { image: NEXT_IMAGE }, current_version: "01HQ73A7BFFDF1B6WMGHFZZ4E7" },
    });
    expect(stale.status).toBe(412);
    const updated = await emulator.api<MachineBody>("POST", `${BASE}/${machine.id}`, {
      body: { config: { image: NEXT_IMAGE }, skip_launch: true, current_version: machine.instance_id },
    });
    expect((await waitFor(machine.id, `state=settled&version=${updated.body.instance_id}`)).body.state).toBe(
      "created",
    );
  });

  test("start while replacing is refused with 412", async () => {
    const machine = await create();
    await waitFor(machine.id, "state=started");
    await emulator.control("POST", "/clock", { timeScale: 1 });
    await emulator.api("POST", `${BASE}/${machine.id}`, { body: { config: { image: NEXT_IMAGE } } });
    const response = await emulator.api("POST", `${BASE}/${machine.id}/start`);
    expect(response.status).toBe(412);
    expect(response.body).toEqual({
      error: "failed_precondition: machine getting replaced, refusing to start",
    });
  });
});

describe("images", () => {
  test("an image the sandbox registry does not know fails the launch", async () => {
    const machine = await create({ config: { image: "registry.fly.io/hello-app:never-built" } });
    expect((await waitFor(machine.id, "state=failed")).body.state).toBe("failed");
    const failure = (await get(machine.id)).events?.[0];
    expect(failure).toMatchObject({ type: "launch", status: "failed", source: "flyd" });
    expect(failure?.request?.error).toContain("registry.fly.io/hello-app:never-built");
  });

  test("an update to an unknown image is reverted to the previous version, which keeps running", async () => {
    const machine = await create();
    await waitFor(machine.id, "state=started");
    const updated = await emulator.api<MachineBody>("POST", `${BASE}/${machine.id}`, {
      body: { config: { image: "registry.fly.io/hello-app:typo" } },
    });
    const newVersion = updated.body.instance_id;
    expect((await waitFor(machine.id, `state=failed&version=${newVersion}`)).body).toMatchObject({
      state: "failed",
      version: newVersion,
    });
    // Waiting for `started` answers with the reverted version: clients must compare it.
    const started = await waitFor(machine.id, `state=started&version=${newVersion}`);
    expect(started.body).toMatchObject({ state: "started", version: machine.instance_id });
    const current = await get(machine.id);
    expect(current).toMatchObject({ instance_id: machine.instance_id, config: { image: IMAGE } });
    expect(current.events?.some((event) => event.type === "update" && event.status === "failed")).toBe(true);
  });

  test("an image registered unhealthy starts but its checks go critical; a healthy one's pass", async () => {
    await emulator.control("POST", "/images", { ref: "registry.fly.io/hello-app:sick", healthy: false });
    const services = [
      { protocol: "tcp", internal_port: 8080, checks: [{ type: "http", path: "/", grace_period: "1s" }] },
    ];
    const sick = await create({
      config: {
        image: "registry.fly.io/hello-app:sick",
        services,
        checks: { alive: { type: "tcp", port: 8080 } },
      },
    });
    const healthy = await create({ config: { image: IMAGE, services } });
    // Slow enough that the first check results (600 ms emulated after start) do not race the assertion.
    await emulator.control("POST", "/clock", { timeScale: 2 });
    await waitFor(sick.id, "state=started");
    expect((await get(sick.id)).checks?.map((check) => check.status)).toEqual(["warning", "warning"]);
    await emulator.control("POST", "/clock", { timeScale: 50 });
    const sickChecks = await eventually(
      () => get(sick.id),
      (machine) => machine.checks?.every((check) => check.status !== "warning") ?? false,
    );
    expect(sickChecks.checks).toEqual([
      expect.objectContaining({ name: "alive", status: "critical" }),
      expect.objectContaining({ name: "servicecheck-00-http-8080", status: "critical" }),
    ]);
    const healthyChecks = await eventually(
      () => get(healthy.id),
      (machine) => machine.checks?.[0]?.status === "passing",
    );
    expect(healthyChecks.checks?.[0]).toMatchObject({ name: "servicecheck-00-http-8080", status: "passing" });
  });

  test("a crash-looping image goes started → stopped repeatedly, then stays stopped after max_retries", async () => {
    await emulator.control("POST", "/images", { ref: "registry.fly.io/hello-app:crashy", crashLoop: true });
    const machine = await create({
      config: {
        image: "registry.fly.io/hello-app:crashy",
        restart: { policy: "on-failure", max_retries: 2 },
        checks: { alive: { type: "tcp", port: 8080 } },
      },
    });
    const final = await eventually(
      () => get(machine.id),
      // Settled: the latest exit is the one flyd does not restart from.
      (current) =>
        current.state === "stopped" &&
        (current.events?.[0]?.request?.exit_event as { restarting?: boolean } | undefined)?.restarting ===
          false,
    );
    const exits = (final.events ?? []).filter((event) => event.type === "exit").toReversed();
    expect(exits.map((event) => (event.request?.exit_event as { restarting: boolean }).restarting)).toEqual([
      true,
      true,
      false,
    ]);
    expect(exits.map((event) => (event.request?.exit_event as { exit_code: number }).exit_code)).toEqual([
      1, 1, 1,
    ]);
    expect(final.checks?.[0]?.status).toBe("critical");
    expect((final.events ?? []).filter((event) => event.status === "started").length).toBe(3);
  });
});

describe("metadata and events", () => {
  test("metadata edits are not new versions and need no lease", async () => {
    const machine = await create({ lease_ttl: 60 });
    const base = `${BASE}/${machine.id}/metadata`;
    expect((await emulator.api("POST", `${base}/release`, { body: { value: "7" } })).status).toBe(204);
    expect((await emulator.api("GET", `${base}/release`)).body).toEqual({ value: "7" });
    expect((await emulator.api("GET", base)).body).toEqual({ release: "7" });
    expect((await get(machine.id)).instance_id).toBe(machine.instance_id);
  });

  test("events are newest first and limited", async () => {
    const machine = await create();
    await waitFor(machine.id, "state=started");
    const events = await emulator.api<{ status: string }[]>("GET", `${BASE}/${machine.id}/events?limit=2`);
    expect(events.body.map((event) => event.status)).toEqual(["started", "starting"]);
  });
});
