import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ContractRecorder } from "./contract/contract-recorder.ts";
import { loadFlySpec } from "./contract/openapi-checker.ts";
import { SPEC_DEVIATIONS } from "./contract/spec-deviations.ts";
import {
  IMAGE,
  NEXT_IMAGE,
  ORG,
  prepareApp,
  startTestEmulator,
  type LeaseBody,
  type MachineBody,
  type TestEmulator,
} from "./test-support.ts";

/** Every operation the emulator implements; each must be exercised below and conform to the spec. */
const IMPLEMENTED_OPERATIONS = [
  "GET /apps",
  "POST /apps",
  "GET /apps/{app_name}",
  "DELETE /apps/{app_name}",
  "POST /apps/{app_name}/deploy_token",
  "GET /apps/{app_name}/machines",
  "POST /apps/{app_name}/machines",
  "GET /apps/{app_name}/machines/{machine_id}",
  "POST /apps/{app_name}/machines/{machine_id}",
  "DELETE /apps/{app_name}/machines/{machine_id}",
  "POST /apps/{app_name}/machines/{machine_id}/start",
  "POST /apps/{app_name}/machines/{machine_id}/stop",
  "POST /apps/{app_name}/machines/{machine_id}/restart",
  "POST /apps/{app_name}/machines/{machine_id}/suspend",
  "GET /apps/{app_name}/machines/{machine_id}/wait",
  "GET /apps/{app_name}/machines/{machine_id}/events",
  "GET /apps/{app_name}/machines/{machine_id}/versions",
  "GET /apps/{app_name}/machines/{machine_id}/lease",
  "POST /apps/{app_name}/machines/{machine_id}/lease",
  "DELETE /apps/{app_name}/machines/{machine_id}/lease",
  "GET /apps/{app_name}/machines/{machine_id}/metadata",
  "PUT /apps/{app_name}/machines/{machine_id}/metadata",
  "PATCH /apps/{app_name}/machines/{machine_id}/metadata",
  "GET /apps/{app_name}/machines/{machine_id}/metadata/{key}",
  "POST /apps/{app_name}/machines/{machine_id}/metadata/{key}",
  "DELETE /apps/{app_name}/machines/{machine_id}/metadata/{key}",
  "GET /apps/{app_name}/secrets",
  "POST /apps/{app_name}/secrets",
  "GET /apps/{app_name}/secrets/{secret_name}",
  "POST /apps/{app_name}/secrets/{secret_name}",
  "DELETE /apps/{app_name}/secrets/{secret_name}",
  "GET /apps/{app_name}/ip_assignments",
  "POST /apps/{app_name}/ip_assignments",
  "DELETE /apps/{app_name}/ip_assignments/{ip}",
  "GET /platform/regions",
  "GET /tokens/current",
];

const APP = "contract-app";
const FULL_CONFIG = {
  image: IMAGE,
  env: { PORT: "8080" },
  metadata: { fly_platform_version: "v2", fly_process_group: "app" },
  guest: { cpu_kind: "shared", cpus: 1, memory_mb: 512 },
  restart: { policy: "on-failure", max_retries: 3 },
  services: [
    {
      protocol: "tcp",
      internal_port: 8080,
      autostop: "stop",
      autostart: true,
      min_machines_running: 0,
      ports: [
        { port: 80, handlers: ["http"], force_https: true },
        { port: 443, handlers: ["http", "tls"] },
      ],
      checks: [
        { type: "http", interval: "15s", timeout: "2s", grace_period: "1s", method: "GET", path: "/healthz" },
      ],
    },
  ],
  checks: { alive: { type: "tcp", port: 8080, interval: "10s", timeout: "2s" } },
  stop_config: { signal: "SIGTERM", timeout: "10s" },
};

let emulator: TestEmulator;
const recorder = new ContractRecorder(loadFlySpec(), SPEC_DEVIATIONS);
let issues: string[] = [];

function takeIssues(): string[] {
  const taken = issues;
  issues = [];
  return taken;
}

beforeAll(async () => {
  emulator = await startTestEmulator();
  emulator.observe((exchange) => issues.push(...recorder.check(exchange)));
  await prepareApp(emulator, APP);
  takeIssues();
});

afterAll(async () => {
  await emulator.close();
});

describe("contract: requests and responses match Fly's OpenAPI spec (with the named deviations)", () => {
  let machine: MachineBody;

  test("apps", async () => {
    expect((await emulator.api("GET", `/v1/apps?org_slug=${ORG}`)).status).toBe(200);
    expect(
      (
        await emulator.api("POST", "/v1/apps?wait=true", {
          body: { app_name: "contract-two", org_slug: ORG },
        })
      ).status,
    ).toBe(201);
    expect((await emulator.api("GET", "/v1/apps/contract-two")).status).toBe(200);
    expect(
      (await emulator.api("POST", "/v1/apps", { body: { name: "contract-two", org_slug: ORG } })).status,
    ).toBe(422);
    expect(
      (await emulator.api("POST", "/v1/apps", { body: { name: "Bad_Name", org_slug: ORG } })).status,
    ).toBe(422);
    expect((await emulator.api("DELETE", "/v1/apps/contract-two?force=true")).status).toBe(202);
    expect((await emulator.api("GET", "/v1/apps/contract-two")).status).toBe(404);
    expect((await emulator.api("GET", "/v1/apps", { token: "nope" })).status).toBe(401);
    expect(takeIssues()).toEqual([]);
  });

  test("machine create, get, list, wait, events, versions", async () => {
    const created = await emulator.api<MachineBody>("POST", `/v1/apps/${APP}/machines`, {
      body: { name: "web-1", region: "ams", config: FULL_CONFIG, lease_ttl: 60, min_secrets_version: 0 },
    });
    expect(created.status).toBe(200);
    machine = created.body;
    const wait = await emulator.api(
      "GET",
      `/v1/apps/${APP}/machines/${machine.id}/wait?state=started&timeout=30&version=${machine.instance_id}`,
    );
    expect(wait.status).toBe(200);
    expect((await emulator.api("GET", `/v1/apps/${APP}/machines/${machine.id}`)).status).toBe(200);
    await emulator.api(
      "GET",
      `/v1/apps/${APP}/machines?include_deleted=true&region=ams&state=started,stopped`,
    );
    await emulator.api("GET", `/v1/apps/${APP}/machines?summary=true&metadata.fly_process_group=app`);
    await emulator.api("GET", `/v1/apps/${APP}/machines/${machine.id}/events?limit=5`);
    await emulator.api("GET", `/v1/apps/${APP}/machines/${machine.id}/versions`);
    expect(
      (await emulator.api("GET", `/v1/apps/${APP}/machines/${machine.id}/wait?timeout=120`)).status,
    ).toBe(400);
    expect(
      (await emulator.api("GET", `/v1/apps/${APP}/machines/${machine.id}/wait?state=suspended&timeout=1`))
        .status,
    ).toBe(408);
    expect((await emulator.api("GET", `/v1/apps/${APP}/machines/00000000000000`)).status).toBe(404);
    expect(takeIssues()).toEqual([]);
  });

  test("leases and guarded mutations", async () => {
    const nonce = machine.nonce ?? "";
    expect((await emulator.api("GET", `/v1/apps/${APP}/machines/${machine.id}/lease`)).status).toBe(200);
    const refreshed = await emulator.api<LeaseBody>(
      "POST",
      `/v1/apps/${APP}/machines/${machine.id}/lease?ttl=30`,
      {
        headers: { "fly-machine-lease-nonce": nonce },
      },
    );
    expect(refreshed.body.data.nonce).toBe(nonce);
    expect(
      (await emulator.api("POST", `/v1/apps/${APP}/machines/${machine.id}/stop`, { body: {} })).status,
    ).toBe(409);
    const withNonce = { headers: { "fly-machine-lease-nonce": nonce } };
    const updated = await emulator.api<MachineBody>("POST", `/v1/apps/${APP}/machines/${machine.id}`, {
      ...withNonce,
      body: {
        config: { ...FULL_CONFIG, image: NEXT_IMAGE },
        region: "ams",
        current_version: machine.instance_id,
      },
    });
    expect(updated.status).toBe(200);
    await emulator.api(
      "GET",
      `/v1/apps/${APP}/machines/${machine.id}/wait?state=started&version=${updated.body.instance_id}&timeout=30`,
    );
    expect(
      (
        await emulator.api(
          "POST",
          `/v1/apps/${APP}/machines/${machine.id}/restart?timeout=5s&signal=SIGTERM`,
          withNonce,
        )
      ).status,
    ).toBe(200);
    await emulator.api("GET", `/v1/apps/${APP}/machines/${machine.id}/wait?state=started&timeout=30`);
    expect(
      (await emulator.api("POST", `/v1/apps/${APP}/machines/${machine.id}/suspend`, withNonce)).status,
    ).toBe(200);
    await emulator.api("GET", `/v1/apps/${APP}/machines/${machine.id}/wait?state=suspended&timeout=30`);
    expect(
      (await emulator.api("POST", `/v1/apps/${APP}/machines/${machine.id}/start`, withNonce)).status,
    ).toBe(200);
    await emulator.api("GET", `/v1/apps/${APP}/machines/${machine.id}/wait?state=started&timeout=30`);
    const stop = await emulator.api("POST", `/v1/apps/${APP}/machines/${machine.id}/stop`, {
      ...withNonce,
      body: { signal: "SIGTERM", timeout: "5s" },
    });
    expect(stop.status).toBe(200);
    await emulator.api("GET", `/v1/apps/${APP}/machines/${machine.id}/wait?state=stopped&timeout=30`);
    expect(
      (await emulator.api("DELETE", `/v1/apps/${APP}/machines/${machine.id}/lease`, withNonce)).status,
    ).toBe(200);
    expect((await emulator.api("GET", `/v1/apps/${APP}/machines/${machine.id}/lease`)).status).toBe(404);
    const leased = await emulator.api("POST", `/v1/apps/${APP}/machines/${machine.id}/lease`, {
      body: { ttl: 30, description: "contract test" },
    });
    expect(leased.status).toBe(201);
    expect(takeIssues()).toEqual([]);
  });

  test("metadata", async () => {
    const base = `/v1/apps/${APP}/machines/${machine.id}/metadata`;
    expect((await emulator.api("POST", `${base}/owner`, { body: { value: "hangar" } })).status).toBe(204);
    expect((await emulator.api("GET", `${base}/owner`)).status).toBe(200);
    expect((await emulator.api("GET", base)).status).toBe(200);
    expect(
      (await emulator.api("PATCH", base, { body: { metadata: { team: "core", owner: null } } })).status,
    ).toBe(204);
    expect(
      (await emulator.api("PUT", base, { body: { metadata: { team: "core" }, machine_version: "stale" } }))
        .status,
    ).toBe(412);
    expect((await emulator.api("PUT", base, { body: { metadata: { team: "platform" } } })).status).toBe(204);
    expect((await emulator.api("DELETE", `${base}/team`)).status).toBe(204);
    expect((await emulator.api("GET", `${base}/team`)).status).toBe(404);
    expect(takeIssues()).toEqual([]);
  });

  test("machine delete, force and kill", async () => {
    const other = await emulator.api<MachineBody>("POST", `/v1/apps/${APP}/machines`, {
      body: { config: { image: IMAGE } },
    });
    await emulator.api("GET", `/v1/apps/${APP}/machines/${other.body.id}/wait?state=started&timeout=30`);
    expect((await emulator.api("DELETE", `/v1/apps/${APP}/machines/${other.body.id}`)).status).toBe(412);
    expect((await emulator.api("DELETE", `/v1/apps/${APP}/machines/${other.body.id}?kill=true`)).status).toBe(
      200,
    );
    const leasedNonce = (await emulator.api<LeaseBody>("GET", `/v1/apps/${APP}/machines/${machine.id}/lease`))
      .body.data.nonce;
    const deleted = await emulator.api("DELETE", `/v1/apps/${APP}/machines/${machine.id}?force=true`, {
      headers: { "fly-machine-lease-nonce": leasedNonce },
    });
    expect(deleted.status).toBe(200);
    await emulator.api("GET", `/v1/apps/${APP}/machines/${machine.id}/wait?state=destroyed&timeout=30`);
    expect(takeIssues()).toEqual([]);
  });

  test("secrets", async () => {
    expect(
      (
        await emulator.api("POST", `/v1/apps/${APP}/secrets`, {
          body: { values: { API_KEY: "k1", OLD: "x" } },
        })
      ).status,
    ).toBe(200);
    expect(
      (await emulator.api("POST", `/v1/apps/${APP}/secrets`, { body: { values: { OLD: null } } })).status,
    ).toBe(200);
    expect(
      (await emulator.api("GET", `/v1/apps/${APP}/secrets?min_version=2&show_secrets=true`)).status,
    ).toBe(200);
    expect((await emulator.api("GET", `/v1/apps/${APP}/secrets?version=2`)).status).toBe(200);
    expect(
      (
        await emulator.api("POST", `/v1/apps/${APP}/secrets/DATABASE_URL`, {
          body: { value: "postgres://x" },
        })
      ).status,
    ).toBe(201);
    expect((await emulator.api("GET", `/v1/apps/${APP}/secrets/DATABASE_URL?show_secrets=true`)).status).toBe(
      200,
    );
    expect((await emulator.api("DELETE", `/v1/apps/${APP}/secrets/DATABASE_URL`)).status).toBe(200);
    expect((await emulator.api("GET", `/v1/apps/${APP}/secrets/DATABASE_URL`)).status).toBe(404);
    expect(takeIssues()).toEqual([]);
  });

  test("IP assignments, regions, token introspection", async () => {
    expect(
      (await emulator.api("POST", `/v1/apps/${APP}/ip_assignments`, { body: { type: "v6" } })).status,
    ).toBe(200);
    const shared = await emulator.api<{ ip: string }>("POST", `/v1/apps/${APP}/ip_assignments`, {
      body: { type: "shared_v4", region: "global", org_slug: ORG },
    });
    expect((await emulator.api("GET", `/v1/apps/${APP}/ip_assignments`)).status).toBe(200);
    expect((await emulator.api("DELETE", `/v1/apps/${APP}/ip_assignments/${shared.body.ip}`)).status).toBe(
      204,
    );
    expect((await emulator.api("GET", "/v1/platform/regions")).status).toBe(200);
    expect((await emulator.api("GET", "/v1/tokens/current")).status).toBe(200);
    const minted = await emulator.api("POST", `/v1/apps/${APP}/deploy_token`, { body: { expiry: "720h" } });
    expect(minted.status).toBe(200);
    expect(takeIssues()).toEqual([]);
  });

  test("every implemented operation was exercised and every deviation was needed", () => {
    expect(
      IMPLEMENTED_OPERATIONS.filter((operation) => !recorder.exercisedOperations.has(operation)),
    ).toEqual([]);
    expect(
      SPEC_DEVIATIONS.map((deviation) => deviation.id).filter((id) => !recorder.appliedDeviations.has(id)),
    ).toEqual([]);
  });
});
