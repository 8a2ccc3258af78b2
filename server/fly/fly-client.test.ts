// The Fly client against the Fly Machines API emulator over HTTP, with faults injected through its
// control API.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createMetrics } from "../observability/metrics.ts";
import {
  CircuitOpenError,
  ExternalTimeoutError,
  type ServicePolicy,
  createResilience,
} from "../resilience/resilience.ts";
import { FLY_ORG, FLY_TOKEN, type TestFly, startTestFly } from "../test/fly.ts";
import { type FlyApi, createFlyClient, LAUNCH_ID_METADATA_KEY } from "./fly-client.ts";
import { FlyApiError } from "./fly-errors.ts";

const IMAGE = "registry.fly.io/hangar-client-test:v1";
const NEXT_IMAGE = "registry.fly.io/hangar-client-test:v2";

const FAST: Partial<ServicePolicy> = {
  timeoutMs: 1_000,
  maxRetries: 4,
  initialDelayMs: 10,
  maxDelayMs: 50,
  breakerThreshold: 50,
  halfOpenAfterMs: 300,
};

let fly: TestFly;
let appCounter = 0;

function client(policy: Partial<ServicePolicy> = FAST, token = FLY_TOKEN, signal?: AbortSignal) {
  const resilience = createResilience({ metrics: createMetrics(), policies: { fly: policy } });
  return { resilience, api: createFlyClient({ apiUrl: fly.url, resilience }).withToken(token, { signal }) };
}

const UNKNOWN_IMAGE = "registry.fly.io/hangar-client-test:never-pushed";

function appName(): string {
  appCounter += 1;
  return `hangar-client-${appCounter}-${Date.now().toString(36)}`;
}

async function waitStarted(api: FlyApi, app: string, id: string) {
  for (let attempt = 0; attempt < 5; attempt++) {
    const result = await api.waitForState(app, id, { state: "started", timeoutSeconds: 5 });
    if (result.reached) return;
  }
  throw new Error("machine never started");
}

beforeAll(async () => {
  fly = await startTestFly();
  await fly.control("POST", "/images", { ref: IMAGE });
  await fly.control("POST", "/images", { ref: NEXT_IMAGE });
});
afterAll(() => fly.close());
afterEach(() => fly.control("DELETE", "/faults"));

describe("Fly client", () => {
  it("validates a token and discovers its organisation; refuses an unknown one with Fly's message", async () => {
    await expect(client().api.currentToken()).resolves.toMatchObject({ orgSlug: FLY_ORG, apps: [] });
    const error = await client(FAST, "fo1_not_a_token")
      .api.currentToken()
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(FlyApiError);
    expect(error).toMatchObject({
      upstreamStatus: 401,
      flyMessage: "Authenticate: token validation error",
      code: "FORBIDDEN",
    });
  });

  it("lists regions", async () => {
    const { nearest, regions } = await client().api.listRegions();
    expect(nearest).toBeTruthy();
    expect(regions.map((region) => region.code)).toContain("iad");
  });

  it("creates, gets, lists and deletes apps; checks name availability", async () => {
    const { api } = client();
    const name = appName();
    expect(await api.isAppNameAvailable(name)).toBe(true);
    const created = await api.createApp({ name, orgSlug: FLY_ORG });
    expect(created).toMatchObject({ name, organization: { slug: FLY_ORG } });
    expect(await api.getApp(name)).toMatchObject({ name, status: "pending" });
    expect((await api.listApps(FLY_ORG)).map((app) => app.name)).toContain(name);
    expect(await api.isAppNameAvailable(name)).toBe(false);

    const taken = await api.createApp({ name, orgSlug: FLY_ORG }).catch((caught: unknown) => caught);
    expect(taken).toMatchObject({
      upstreamStatus: 422,
      flyStatus: "name_taken",
      code: "UNPROCESSABLE_CONTENT",
    });
    const invalid = await api
      .createApp({ name: "Not_Valid", orgSlug: FLY_ORG })
      .catch((caught: unknown) => caught);
    expect(invalid).toMatchObject({ upstreamStatus: 422 });
    expect((invalid as FlyApiError).message).toContain("Name under 63 chars");

    await api.deleteApp(name);
    await expect(api.getApp(name)).rejects.toMatchObject({
      upstreamStatus: 404,
      flyMessage: "app not found",
    });
  });

  it("runs a machine's life: create, wait, lease, update with the nonce, stop, start, delete", async () => {
    const { api } = client();
    const app = appName();
    await api.createApp({ name: app, orgSlug: FLY_ORG });
    const machine = await api.createMachine(app, { region: "iad", config: { image: IMAGE } }, "launch-1");
    expect(machine.config?.metadata?.[LAUNCH_ID_METADATA_KEY]).toBe("launch-1");
    await waitStarted(api, app, machine.id);

    const lease = await api.acquireLease(app, machine.id, { ttlSeconds: 30, description: "hangar test" });
    expect(lease.nonce).toMatch(/^[0-9a-f]+$/);
    expect((await api.refreshLease(app, machine.id, lease.nonce, 30)).nonce).toBe(lease.nonce);

    // Without the nonce Fly refuses with its lease message; with it the update goes through.
    const conflict = await api
      .updateMachine(app, machine.id, { region: "iad", config: { image: NEXT_IMAGE } })
      .catch((caught: unknown) => caught);
    expect(conflict).toMatchObject({ upstreamStatus: 409, code: "CONFLICT" });
    expect((conflict as FlyApiError).flyMessage).toMatch(/lease currently held by/);
    const updated = await api.updateMachine(
      app,
      machine.id,
      { region: "iad", config: { image: NEXT_IMAGE } },
      lease.nonce,
    );
    expect(updated.instance_id).not.toBe(machine.instance_id);
    await waitStarted(api, app, machine.id);
    expect((await api.getMachine(app, machine.id)).config?.image).toBe(NEXT_IMAGE);

    await api.stopMachine(app, machine.id, { leaseNonce: lease.nonce });
    expect(await api.waitForState(app, machine.id, { state: "stopped", timeoutSeconds: 10 })).toMatchObject({
      reached: true,
    });
    await api.startMachine(app, machine.id, lease.nonce);
    await waitStarted(api, app, machine.id);
    await api.releaseLease(app, machine.id, lease.nonce);

    expect((await api.listMachines(app, { state: ["started"] })).map((listed) => listed.id)).toEqual([
      machine.id,
    ]);
    await api.deleteMachine(app, machine.id, { force: true });
    expect(await api.waitForState(app, machine.id, { state: "destroyed", timeoutSeconds: 10 })).toMatchObject(
      {
        reached: true,
      },
    );
    const sent = await fly.requests();
    const updates = sent.filter((request) => request.method === "POST" && request.path.endsWith(machine.id));
    expect(updates.map((request) => request.leaseNoncePresent)).toEqual([false, true]);
  });

  it("reports Fly's wait deadline (408) as not reached, without retrying it", async () => {
    const { api } = client();
    const app = appName();
    await api.createApp({ name: app, orgSlug: FLY_ORG });
    const machine = await api.createMachine(
      app,
      { config: { image: IMAGE }, skip_launch: true },
      "launch-wait",
    );
    const result = await api.waitForState(app, machine.id, { state: "started", timeoutSeconds: 1 });
    expect(result).toMatchObject({ reached: false });
    const waits = (await fly.requests()).filter((request) => request.path.endsWith(`${machine.id}/wait`));
    expect(waits.map((request) => request.status)).toEqual([408]);
  });

  it("waits for one of several states and answers with the version Fly reports, the previous one after a failed update", async () => {
    const { api } = client();
    const app = appName();
    await api.createApp({ name: app, orgSlug: FLY_ORG });
    const machine = await api.createMachine(app, { config: { image: IMAGE } }, "launch-versions");
    await waitStarted(api, app, machine.id);
    const updated = await api.updateMachine(app, machine.id, { config: { image: UNKNOWN_IMAGE } });

    const failed = await api.waitForState(app, machine.id, {
      state: ["started", "failed"],
      version: updated.instance_id,
      timeoutSeconds: 10,
    });
    expect(failed).toEqual({ reached: true, state: "failed", version: updated.instance_id });
    const reverted = await api.waitForState(app, machine.id, {
      state: "started",
      version: updated.instance_id,
      timeoutSeconds: 10,
    });
    expect(reverted).toEqual({ reached: true, state: "started", version: machine.instance_id });
    const events = (await api.getMachine(app, machine.id)).events ?? [];
    expect(
      events.find((event) => event.type === "update" && event.status === "failed")?.request?.error,
    ).toMatch(/failed to pull image/);
  });

  it("sets, lists and unsets secrets with versions", async () => {
    const { api } = client();
    const app = appName();
    await api.createApp({ name: app, orgSlug: FLY_ORG });
    const first = await api.setSecrets(app, { DATABASE_URL: "postgres://x", API_KEY: "k" });
    expect((await api.listSecrets(app)).map((secret) => secret.name).sort()).toEqual([
      "API_KEY",
      "DATABASE_URL",
    ]);
    const second = await api.unsetSecrets(app, ["API_KEY"]);
    expect(second).toBeGreaterThan(first);
    expect((await api.listSecrets(app)).map((secret) => secret.name)).toEqual(["DATABASE_URL"]);
  });

  describe("under injected faults", () => {
    it("retries injected 5xx errors on reads until they succeed", async () => {
      const { api } = client({ ...FAST, maxRetries: 30 });
      await fly.control("POST", "/faults", { errorRate: 0.6, routes: "GET /v1/platform/regions" });
      await expect(api.listRegions()).resolves.toMatchObject({ nearest: expect.any(String) });
      const regionCalls = (await fly.requests()).filter((request) => request.path === "/v1/platform/regions");
      expect(regionCalls.at(-1)?.status).toBe(200);
    });

    it("honours the 429's Retry-After before trying again", async () => {
      const { api } = client();
      await fly.control("POST", "/faults", { rateLimitRate: 1, retryAfterSeconds: 1, routes: "/v1/tokens" });
      const started = performance.now();
      const pending = api.currentToken();
      setTimeout(() => void fly.control("DELETE", "/faults"), 300);
      await expect(pending).resolves.toMatchObject({ orgSlug: FLY_ORG });
      expect(performance.now() - started).toBeGreaterThanOrEqual(990);
      const calls = (await fly.requests()).filter((request) => request.path === "/v1/tokens/current");
      expect(calls.slice(-2).map((request) => request.status)).toEqual([429, 200]);
    });

    it("times out a slow answer, and opens then closes the circuit around a failing Fly", async () => {
      const { api, resilience } = client({ ...FAST, timeoutMs: 200, maxRetries: 0, breakerThreshold: 3 });
      await fly.control("POST", "/faults", { latencyMs: 1_000, routes: "/v1/platform" });
      for (let attempt = 0; attempt < 3; attempt++) {
        await expect(api.listRegions()).rejects.toBeInstanceOf(ExternalTimeoutError);
      }
      expect(resilience.circuitState("fly")).toBe("open");
      await expect(api.currentToken()).rejects.toBeInstanceOf(CircuitOpenError);

      await fly.control("DELETE", "/faults");
      await new Promise((resolve) => setTimeout(resolve, 350));
      await expect(api.currentToken()).resolves.toMatchObject({ orgSlug: FLY_ORG });
      expect(resilience.circuitState("fly")).toBe("closed");
    });

    it("reconciles an app create whose answer never came by looking the app up, not creating it again", async () => {
      const { api } = client({ ...FAST, timeoutMs: 500 });
      const name = appName();
      await fly.control("POST", "/faults", { timeoutRate: 1, routes: "POST /v1/apps" });
      const app = await api.createApp({ name, orgSlug: FLY_ORG });
      expect(app).toMatchObject({ name, organization: { slug: FLY_ORG } });
      const calls = (await fly.requests()).filter((request) => request.path.startsWith("/v1/apps"));
      const forThisApp = calls.filter(
        (request) => request.path === "/v1/apps" || request.path.endsWith(name),
      );
      expect(
        forThisApp.slice(-2).map((request) => `${request.method} ${request.status ?? "no answer"}`),
      ).toEqual(["POST no answer", "GET 200"]);
    });

    it("creates an app again only after finding it absent, and gives up after three tries", async () => {
      const { api } = client();
      const name = appName();
      // Dropped before Fly handled it: each lost create is followed by a lookup that finds nothing.
      await fly.control("POST", "/faults", { dropRate: 1, routes: "POST /v1/apps" });
      await expect(api.createApp({ name, orgSlug: FLY_ORG })).rejects.toMatchObject({ upstreamStatus: 0 });
      const calls = (await fly.requests()).filter(
        (request) => request.path === "/v1/apps" || request.path === `/v1/apps/${name}`,
      );
      expect(
        calls.slice(-5).map((request) => `${request.method} ${request.fault ?? request.status}`),
      ).toEqual(["POST drop", "GET 404", "POST drop", "GET 404", "POST drop"]);
      await fly.control("DELETE", "/faults");
      await expect(api.createApp({ name, orgSlug: FLY_ORG })).resolves.toMatchObject({ name });
    });

    it("finds a lease whose answer never came by its description instead of failing on our own lease", async () => {
      const { api } = client({ ...FAST, timeoutMs: 500 });
      const app = appName();
      await api.createApp({ name: app, orgSlug: FLY_ORG });
      const machine = await api.createMachine(app, { config: { image: IMAGE } }, "launch-lease");
      await fly.control("POST", "/faults", { timeoutRate: 1, routes: "POST /v1/apps/*/machines/*/lease" });
      const lease = await api.acquireLease(app, machine.id, {
        ttlSeconds: 60,
        description: "rollout 7 a1b2",
      });
      await fly.control("DELETE", "/faults");

      const state = await fly.control<{ leases: { machineId: string; nonce: string }[] }>("GET", "/state");
      expect(state.leases.find((held) => held.machineId === machine.id)?.nonce).toBe(lease.nonce);
      const leaseCalls = (await fly.requests()).filter((request) =>
        request.path.endsWith(`${machine.id}/lease`),
      );
      expect(leaseCalls.map((request) => `${request.method} ${request.status ?? "no answer"}`)).toEqual([
        "POST no answer",
        "GET 200",
      ]);
      // Releasing twice (a retry after a lost answer) is not an error.
      await api.releaseLease(app, machine.id, lease.nonce);
      await expect(api.releaseLease(app, machine.id, lease.nonce)).resolves.toBeUndefined();
    });

    it("reconciles a machine create whose answer never came by its launch id", async () => {
      const { api } = client({ ...FAST, timeoutMs: 500 });
      const app = appName();
      await api.createApp({ name: app, orgSlug: FLY_ORG });
      await fly.control("POST", "/faults", { timeoutRate: 1, routes: "POST /v1/apps/*/machines" });
      const machine = await api.createMachine(
        app,
        { config: { image: IMAGE }, lease_ttl: 60 },
        "launch-lost",
      );
      await fly.control("DELETE", "/faults");
      const machines = await api.listMachines(app);
      expect(machines.map((listed) => listed.id)).toEqual([machine.id]);
      // The lease the create took is known by its nonce, so it can be released.
      expect(machine.nonce).toEqual(expect.any(String));
      await api.releaseLease(app, machine.id, machine.nonce ?? "");
      // Released: the next deployment can lease it.
      await expect(
        api.acquireLease(app, machine.id, { ttlSeconds: 10, description: "next" }),
      ).resolves.toEqual(expect.objectContaining({ nonce: expect.any(String) }));
    });
  });

  describe("cancelled by the caller's signal", () => {
    it("rejects a call in flight at once with the signal's reason, not retried and not counted by the breaker", async () => {
      const controller = new AbortController();
      const { api, resilience } = client({ ...FAST, breakerThreshold: 1 }, FLY_TOKEN, controller.signal);
      const app = appName();
      await api.createApp({ name: app, orgSlug: FLY_ORG });
      await fly.control("POST", "/faults", { latencyMs: 2_000, routes: `GET /v1/apps/${app}` });

      const reason = new Error("deployment cancelled");
      const started = performance.now();
      const pending = api.getApp(app);
      setTimeout(() => controller.abort(reason), 100);
      await expect(pending).rejects.toBe(reason);
      expect(performance.now() - started).toBeLessThan(600);
      expect(resilience.circuitState("fly")).toBe("closed");
      // Every later call of this API is refused without a request; the same API without the signal works.
      await expect(api.getApp(app)).rejects.toBe(reason);
      await fly.control("DELETE", "/faults");
      await expect(api.withSignal(undefined).getApp(app)).resolves.toMatchObject({ name: app });
      const gets = (await fly.requests()).filter(
        (request) => request.method === "GET" && request.path === `/v1/apps/${app}`,
      );
      expect(gets).toHaveLength(2);
    });

    it("stops waiting to retry when the signal aborts, and never retries", async () => {
      const controller = new AbortController();
      const { api, resilience } = client({ ...FAST, breakerThreshold: 2 }, FLY_TOKEN, controller.signal);
      const app = appName();
      await api.createApp({ name: app, orgSlug: FLY_ORG });
      await fly.control("POST", "/faults", {
        rateLimitRate: 1,
        retryAfterSeconds: 1,
        routes: `GET /v1/apps/${app}`,
      });
      const started = performance.now();
      const pending = api.getApp(app);
      setTimeout(() => controller.abort(), 200);
      const error = await pending.catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(DOMException);
      expect((error as DOMException).name).toBe("AbortError");
      expect(performance.now() - started).toBeLessThan(700);

      // Past the Retry-After the retry would have been sent: it was not.
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      const gets = (await fly.requests()).filter(
        (request) => request.method === "GET" && request.path === `/v1/apps/${app}`,
      );
      expect(gets.map((request) => request.status)).toEqual([429]);
      expect(resilience.circuitState("fly")).toBe("closed");
    });

    it("sends nothing when the signal has already aborted", async () => {
      const { api } = client(FAST, FLY_TOKEN, AbortSignal.abort("stop"));
      const before = (await fly.requests()).length;
      await expect(api.listRegions()).rejects.toBe("stop");
      expect((await fly.requests()).length).toBe(before);
    });
  });
});
