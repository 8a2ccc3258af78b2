// The HTTP surface: health, metrics, security headers and the SPEC §6 error shape for bad input.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signUp, startTestServer, type TestServer } from "../test/harness.ts";

type TrpcErrorBody = {
  error: { json: { message: string; data: { code: string; httpStatus: number; requestId: string } } };
};

describe("HTTP surface", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it("answers /healthz and /readyz with small JSON bodies", async () => {
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: "ok" });
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready", checks: { database: "ok" } });
  });

  it("exposes request durations by route and status in Prometheus format", async () => {
    await fetch(`${server.url}/healthz`);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(
      /hangar_http_request_duration_seconds_count\{method="GET",route="\/healthz",status="200"\} \d+/,
    );
  });

  it("sets security headers, including a CSP that forbids framing", async () => {
    const response = await fetch(`${server.url}/healthz`);
    expect(response.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(response.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("referrer-policy")).toBe("strict-origin-when-cross-origin");
    expect(response.headers.get("x-powered-by")).toBeNull();
  });

  it("echoes a safe X-Request-Id and replaces an unsafe one", async () => {
    const kept = await fetch(`${server.url}/api/nothing`, { headers: { "x-request-id": "abc-123" } });
    expect(kept.headers.get("x-request-id")).toBe("abc-123");
    expect(((await kept.json()) as { requestId: string }).requestId).toBe("abc-123");
    const replaced = await fetch(`${server.url}/healthz`, {
      headers: { "x-request-id": "bad id; with spaces" },
    });
    expect(replaced.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("GET /api/sandbox is a structured 404 outside sandbox mode", async () => {
    const response = await fetch(`${server.url}/api/sandbox`);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ code: "NOT_FOUND" });
  });

  it("unknown API routes get a structured 404", async () => {
    const response = await fetch(`${server.url}/api/nothing/here`);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ code: "NOT_FOUND", requestId: expect.any(String) });
  });

  it("unknown procedures get a structured 404", async () => {
    const response = await fetch(`${server.url}/api/trpc/nothing.here`);
    expect(response.status).toBe(404);
    const body = (await response.json()) as TrpcErrorBody;
    expect(body.error.json.data).toMatchObject({
      code: "NOT_FOUND",
      httpStatus: 404,
      requestId: expect.any(String),
    });
  });

  it("malformed JSON gets a structured 400, never a 500", async () => {
    const { cookie } = await signUp(server);
    const trpc = await fetch(`${server.url}/api/trpc/organization.rename`, {
      method: "POST",
      headers: { "content-type": "application/json", cookie },
      body: "{not json",
    });
    expect(trpc.status).toBe(400);
    expect(((await trpc.json()) as TrpcErrorBody).error.json.data.code).toBe("BAD_REQUEST");

    const auth = await fetch(`${server.url}/api/auth/sign-in/email`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: server.url },
      body: "{not json",
    });
    expect(auth.status).toBe(400);
    expect(await auth.json()).toMatchObject({ code: "BAD_REQUEST", requestId: expect.any(String) });
  });

  it("oversized bodies get a structured 413", async () => {
    const { cookie } = await signUp(server);
    const big = JSON.stringify({ email: "x@example.com", password: "p".repeat(2 * 1024 * 1024) });
    const trpc = await fetch(`${server.url}/api/trpc/organization.rename`, {
      method: "POST",
      headers: { "content-type": "application/json", cookie },
      body: big,
    });
    expect(trpc.status).toBe(413);
    const auth = await fetch(`${server.url}/api/auth/sign-in/email`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: server.url },
      body: big,
    });
    expect(auth.status).toBe(413);
    expect(await auth.json()).toMatchObject({ code: "PAYLOAD_TOO_LARGE" });
  });

  it("/readyz answers 503 when the database is unreachable", async () => {
    const other = await startTestServer();
    await other.database.pool.end();
    const response = await fetch(`${other.url}/readyz`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: "unavailable", checks: { database: "unreachable" } });
    // The pool is already ended; drop the database through a fresh connection.
    await other.close().catch(() => undefined);
  });
});
