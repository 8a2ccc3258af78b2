import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { CLIENT_ID, CLIENT_SECRET, startTestEmulator, type TestEmulator } from "./test-support.ts";

let gh: TestEmulator;

beforeAll(async () => {
  gh = await startTestEmulator();
});
afterEach(() => gh.control("/faults", undefined, "DELETE"));
afterAll(() => gh.close());

describe("fault injection", () => {
  it("answers every matching request with a GitHub-like 5xx at errorRate 1, then clears", async () => {
    await gh.control("/faults", { errorRate: 1, errorStatus: 502 });
    const failing = await gh.rest("/repos/octocat/hello");
    expect(failing.status).toBe(502);
    expect(await failing.json()).toMatchObject({ message: "Server Error" });
    await gh.control("/faults", undefined, "DELETE");
    expect((await gh.rest("/repos/octocat/hello")).status).toBe(200);
  });

  it("picks among 500/502/503 without a fixed status", async () => {
    await gh.control("/faults", { errorRate: 1 });
    const statuses = await Promise.all(
      Array.from({ length: 12 }, async () => (await gh.rest("/repos/octocat/hello")).status),
    );
    for (const status of statuses) expect([500, 502, 503]).toContain(status);
  });

  it("rate limits with 429 (or 403) and Retry-After", async () => {
    await gh.control("/faults", { rateLimit: { retryAfterSeconds: 7 } });
    const limited = await gh.rest("/repos/octocat/hello");
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("7");
    expect(((await limited.json()) as { message: string }).message).toContain("secondary rate limit");
    await gh.control("/faults", { rateLimit: { retryAfterSeconds: 3, status: 403 } });
    expect((await gh.rest("/repos/octocat/hello")).status).toBe(403);
  });

  it("adds latency", async () => {
    await gh.control("/faults", { latencyMs: 150 });
    const started = performance.now();
    await gh.rest("/repos/octocat/hello");
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it("drops connections", async () => {
    await gh.control("/faults", { dropConnections: 1 });
    await expect(gh.rest("/repos/octocat/hello")).rejects.toThrow();
  });

  it("applies only to the given route prefixes, to the OAuth token endpoint, and never to /_emulator", async () => {
    await gh.control("/faults", { errorRate: 1, errorStatus: 503, routes: ["/repos/acme"] });
    expect((await gh.rest("/repos/octocat/hello")).status).toBe(200);
    expect((await gh.rest("/repos/acme/web")).status).toBe(503);
    await gh.control("/faults", { errorRate: 1, errorStatus: 500 });
    const token = await fetch(`${gh.url}/login/oauth/access_token`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, code: "x" }),
    });
    expect(token.status).toBe(500);
    const state = await gh.control<{ faults: unknown }>("/state", undefined, "GET");
    expect(state.faults).toMatchObject({ errorRate: 1 });
  });

  it("rejects invalid settings", async () => {
    await expect(gh.control("/faults", { errorRate: 2 })).rejects.toThrow(/400/);
  });
});
