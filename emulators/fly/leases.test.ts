import { describe, expect, test } from "vitest";
import {
  IMAGE,
  NEXT_IMAGE,
  ORG,
  prepareApp,
  useTestEmulator,
  type ErrorBody,
  type LeaseBody,
  type MachineBody,
  type TestEmulator,
} from "./test-support.ts";

const APP = "leases-app";
const BASE = `/v1/apps/${APP}/machines`;
const NONCE_HEADER = "fly-machine-lease-nonce";
const CONFLICT =
  /^aborted: machine ID [0-9a-f]{14} lease currently held by [0-9a-f-]{36}@tokens\.fly\.io, expires at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

let machine: MachineBody;
const emulator = useTestEmulator(async (started) => {
  await prepareApp(started, APP);
  machine = (await started.api<MachineBody>("POST", BASE, { body: { config: { image: IMAGE } } })).body;
  await started.api("GET", `${BASE}/${machine.id}/wait?state=started`);
});

const lease = (options: Parameters<TestEmulator["api"]>[2] = {}) =>
  emulator.api<LeaseBody>("POST", `${BASE}/${machine.id}/lease`, options);

describe("leases", () => {
  test("acquire returns the real envelope; TTL via body or query", async () => {
    const acquired = await lease({ body: { ttl: 60, description: "deploy #42" } });
    expect(acquired.status).toBe(201);
    expect(acquired.body.status).toBe("success");
    expect(acquired.body.data).toMatchObject({ description: "deploy #42", version: machine.instance_id });
    expect(acquired.body.data.nonce).toMatch(/^[0-9a-f]{12}$/);
    expect(acquired.body.data.owner).toMatch(/@tokens\.fly\.io$/);
    const ttl =
      acquired.body.data.expires_at -
      Math.floor(Date.parse((await emulator.control<{ now: string }>("GET", "/state")).body.now) / 1000);
    expect(ttl).toBeGreaterThan(50);
    expect(ttl).toBeLessThanOrEqual(60);
    const fetched = await emulator.api<LeaseBody>("GET", `${BASE}/${machine.id}/lease`);
    expect(fetched.body).toEqual(acquired.body);
    await emulator.api("DELETE", `${BASE}/${machine.id}/lease`, {
      headers: { [NONCE_HEADER]: acquired.body.data.nonce },
    });
    const byQuery = await lease({ headers: {} });
    expect(byQuery.status).toBe(201);
    const viaQuery = await emulator.api<LeaseBody>("POST", `${BASE}/${machine.id}/lease?ttl=13`, {
      headers: { [NONCE_HEADER]: byQuery.body.data.nonce },
    });
    expect(viaQuery.body.data.nonce).toBe(byQuery.body.data.nonce);
  });

  test("mutations without the right nonce get 409 with Fly's message; the nonce is accepted", async () => {
    const { nonce } = (await lease({ body: { ttl: 60 } })).body.data;
    for (const headers of [{}, { [NONCE_HEADER]: "000000000000" }] as Record<string, string>[]) {
      const update = await emulator.api<ErrorBody>("POST", `${BASE}/${machine.id}`, {
        headers,
        body: { config: { image: NEXT_IMAGE } },
      });
      expect(update.status).toBe(409);
      expect(update.body.error).toMatch(CONFLICT);
      expect(update.body.error).toContain(machine.id);
    }
    for (const action of ["stop", "restart", "suspend", "start"]) {
      expect((await emulator.api("POST", `${BASE}/${machine.id}/${action}`)).status).toBe(409);
    }
    expect((await emulator.api("DELETE", `${BASE}/${machine.id}?force=true`)).status).toBe(409);
    const accepted = await emulator.api("POST", `${BASE}/${machine.id}`, {
      headers: { [NONCE_HEADER]: nonce },
      body: { config: { image: NEXT_IMAGE } },
    });
    expect(accepted.status).toBe(200);
    // Reads, metadata and creates are not guarded.
    expect((await emulator.api("GET", `${BASE}/${machine.id}`)).status).toBe(200);
    expect(
      (await emulator.api("POST", `${BASE}/${machine.id}/metadata/k`, { body: { value: "v" } })).status,
    ).toBe(204);
    const requests = await emulator.control<{
      requests: { method: string; path: string; status: number; leaseNoncePresent: boolean }[];
    }>("GET", "/requests");
    const updates = requests.body.requests.filter(
      (request) => request.method === "POST" && request.path === `${BASE}/${machine.id}`,
    );
    expect(updates.map((request) => [request.status, request.leaseNoncePresent])).toEqual([
      [409, false],
      [409, true],
      [200, true],
    ]);
  });

  test("another holder cannot take or release a held lease; refresh keeps the nonce", async () => {
    await emulator.control("POST", "/tokens", { token: "second-token", orgSlug: ORG });
    const { nonce } = (await lease({ body: { ttl: 60 } })).body.data;
    const taken = await lease({ token: "second-token", body: { ttl: 60 } });
    expect(taken.status).toBe(409);
    const refreshed = await lease({ headers: { [NONCE_HEADER]: nonce }, body: { ttl: 120 } });
    expect(refreshed.body.data.nonce).toBe(nonce);
    const missingNonce = await emulator.api("DELETE", `${BASE}/${machine.id}/lease`);
    expect(missingNonce.status).toBe(400);
    expect(
      (
        await emulator.api("DELETE", `${BASE}/${machine.id}/lease`, {
          headers: { [NONCE_HEADER]: "ffffffffffff" },
        })
      ).status,
    ).toBe(409);
    const released = await emulator.api("DELETE", `${BASE}/${machine.id}/lease`, {
      headers: { [NONCE_HEADER]: nonce },
    });
    expect(released.body).toEqual({ status: "success", data: { ok: true } });
    expect((await emulator.api("GET", `${BASE}/${machine.id}/lease`)).body).toEqual({
      error: "lease not found",
    });
    expect(
      (await emulator.api("DELETE", `${BASE}/${machine.id}/lease`, { headers: { [NONCE_HEADER]: nonce } }))
        .status,
    ).toBe(404);
  });

  test("leases expire with the emulated clock; a stale nonce then takes a new lease", async () => {
    await emulator.control("POST", "/clock", { timeScale: 1 });
    const { nonce } = (await lease({ body: { ttl: 5 } })).body.data;
    expect((await emulator.api("POST", `${BASE}/${machine.id}/stop`)).status).toBe(409);
    await emulator.control("POST", "/clock", { timeScale: 1000 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await emulator.api("GET", `${BASE}/${machine.id}/lease`)).status).toBe(404);
    const renewed = await lease({ headers: { [NONCE_HEADER]: nonce }, body: { ttl: 30 } });
    expect(renewed.status).toBe(201);
    expect(renewed.body.data.nonce).not.toBe(nonce);
  });

  test("create with lease_ttl returns the nonce and holds the lease", async () => {
    const created = await emulator.api<MachineBody>("POST", BASE, {
      body: { config: { image: IMAGE }, lease_ttl: 300 },
    });
    expect(created.body.nonce).toMatch(/^[0-9a-f]{12}$/);
    const held = await emulator.api<LeaseBody>("GET", `${BASE}/${created.body.id}/lease`);
    expect(held.body.data.nonce).toBe(created.body.nonce);
    expect((await emulator.api("POST", `${BASE}/${created.body.id}/stop`)).status).toBe(409);
    expect((await emulator.api<MachineBody>("GET", `${BASE}/${created.body.id}`)).body.nonce).toBeUndefined();
  });
});
