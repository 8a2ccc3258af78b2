import { describe, expect, test } from "vitest";
import { IMAGE, prepareApp, useTestEmulator, TOKEN, type StateDump } from "./test-support.ts";

const APP = "faults-app";
const emulator = useTestEmulator(async (started) => {
  await prepareApp(started, APP);
});

type RequestLog = { requests: { path: string; status: number | null; fault: string | null }[] };

describe("fault injection", () => {
  test("errorRate 1 turns every API call into a 5xx with a Fly error body; DELETE clears it", async () => {
    expect((await emulator.control("POST", "/faults", { errorRate: 1 })).status).toBe(200);
    for (let i = 0; i < 5; i += 1) {
      const response = await emulator.api("GET", `/v1/apps/${APP}`);
      expect([500, 502, 503]).toContain(response.status);
      expect(response.body).toEqual({ error: expect.any(String) as unknown });
    }
    // The control API and the sandbox pages are never faulted.
    expect((await emulator.control("GET", "/state")).status).toBe(200);
    expect((await emulator.control("DELETE", "/faults")).status).toBe(204);
    expect((await emulator.api("GET", `/v1/apps/${APP}`)).status).toBe(200);
    const log = await emulator.control<RequestLog>("GET", "/requests");
    expect(log.body.requests.filter((request) => request.fault === "error")).toHaveLength(5);
  });

  test("rateLimitRate 1 answers 429 with Retry-After", async () => {
    await emulator.control("POST", "/faults", { rateLimitRate: 1, retryAfterSeconds: 7 });
    const response = await emulator.api("GET", `/v1/apps/${APP}/machines`);
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("7");
  });

  test("latency delays responses", async () => {
    await emulator.control("POST", "/faults", { latencyMs: 150 });
    const started = performance.now();
    expect((await emulator.api("GET", `/v1/apps/${APP}`)).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  test("routes limit faults by path prefix or method + path (with * for one segment)", async () => {
    await emulator.control("POST", "/faults", { errorRate: 1, routes: ["POST /v1/apps/*/machines"] });
    expect((await emulator.api("GET", `/v1/apps/${APP}/machines`)).status).toBe(200);
    expect(
      (await emulator.api("POST", `/v1/apps/${APP}/machines`, { body: { config: { image: IMAGE } } })).status,
    ).toBeGreaterThanOrEqual(500);
    await emulator.control("POST", "/faults", { errorRate: 1, routes: "/apps/other" });
    expect((await emulator.api("GET", `/v1/apps/${APP}`)).status).toBe(200);
  });

  test("a timeout fault applies the request but never answers, like an ambiguous create", async () => {
    await emulator.control("POST", "/faults", { timeoutRate: 1, routes: ["POST /v1/apps/*/machines"] });
    const attempt = fetch(`${emulator.url}/v1/apps/${APP}/machines`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ config: { image: IMAGE, metadata: { hangar_attempt: "a1" } } }),
      signal: AbortSignal.timeout(300),
    });
    await expect(attempt).rejects.toThrow();
    await emulator.control("DELETE", "/faults");
    const found = await emulator.api<unknown[]>("GET", `/v1/apps/${APP}/machines?metadata.hangar_attempt=a1`);
    expect(found.body).toHaveLength(1);
  });

  test("a drop fault resets the connection before anything happens", async () => {
    await emulator.control("POST", "/faults", { dropRate: 1 });
    await expect(
      emulator.api("POST", `/v1/apps/${APP}/machines`, { body: { config: { image: IMAGE } } }),
    ).rejects.toThrow();
    await emulator.control("DELETE", "/faults");
    expect((await emulator.control<StateDump>("GET", "/state")).body.machines).toEqual([]);
  });

  test("invalid fault profiles are rejected", async () => {
    expect((await emulator.control("POST", "/faults", { errorRate: 2 })).status).toBe(400);
    expect((await emulator.control("POST", "/faults", { errorrate: 0.5 })).status).toBe(400);
  });
});
