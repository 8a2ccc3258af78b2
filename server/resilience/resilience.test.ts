import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createMetrics, type Metrics } from "../observability/metrics.ts";
import {
  CircuitOpenError,
  ExternalTimeoutError,
  type ServicePolicy,
  type UpstreamFailure,
  createResilience,
  parseRetryAfter,
} from "./resilience.ts";

/** What the test server does with the next requests, in order; then it answers 200. */
type Reply = { status: number; retryAfter?: string } | { hang: true };

class HttpFailure extends Error implements UpstreamFailure {
  readonly upstreamStatus: number;
  readonly retryAfterSeconds: number | undefined;

  constructor(upstreamStatus: number, retryAfterSeconds: number | undefined) {
    super(`HTTP ${upstreamStatus}`);
    this.upstreamStatus = upstreamStatus;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

const FAST: Partial<ServicePolicy> = {
  timeoutMs: 300,
  maxRetries: 3,
  initialDelayMs: 5,
  maxDelayMs: 20,
  maxRetryAfterMs: 2_000,
  breakerThreshold: 100,
  halfOpenAfterMs: 200,
};

describe("resilience layer", () => {
  let server: http.Server;
  let url: string;
  let script: Reply[] = [];
  let requests = 0;
  let metrics: Metrics;

  beforeAll(async () => {
    server = http.createServer((request, response) => {
      requests += 1;
      const reply = script.shift();
      if (reply && "hang" in reply) return; // never answers: only the client's timeout ends it
      const headers: Record<string, string> = reply?.retryAfter ? { "retry-after": reply.retryAfter } : {};
      response.writeHead(reply?.status ?? 200, headers).end(JSON.stringify({ ok: !reply }));
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    script = [];
    requests = 0;
    metrics = createMetrics();
  });

  /** One GET as a client would do it: the attempt's signal goes to fetch, non-2xx throws. */
  function get(signal: AbortSignal, target = url): Promise<unknown> {
    return fetch(target, { signal }).then(async (response) => {
      if (!response.ok) {
        throw new HttpFailure(response.status, parseRetryAfter(response.headers.get("retry-after")));
      }
      return (await response.json()) as unknown;
    });
  }

  it("retries 5xx, 408 and 429 and then succeeds, counting the retries", async () => {
    const resilience = createResilience({ metrics, policies: { fly: FAST } });
    script = [{ status: 503 }, { status: 408 }, { status: 429 }];
    await expect(resilience.execute("fly", (signal) => get(signal))).resolves.toEqual({ ok: true });
    expect(requests).toBe(4);
    expect((await metrics.externalCallRetries.get()).values[0]?.value).toBe(3);
  });

  it("does not retry other 4xx answers", async () => {
    const resilience = createResilience({ metrics, policies: { fly: FAST } });
    script = [{ status: 404 }];
    await expect(resilience.execute("fly", (signal) => get(signal))).rejects.toMatchObject({
      upstreamStatus: 404,
    });
    expect(requests).toBe(1);
  });

  it("gives up after maxRetries with the last error", async () => {
    const resilience = createResilience({ metrics, policies: { fly: { ...FAST, maxRetries: 2 } } });
    script = [{ status: 500 }, { status: 502 }, { status: 503 }, { status: 504 }];
    await expect(resilience.execute("fly", (signal) => get(signal))).rejects.toMatchObject({
      upstreamStatus: 503,
    });
    expect(requests).toBe(3);
  });

  it("waits at least as long as Retry-After says", async () => {
    const resilience = createResilience({ metrics, policies: { fly: FAST } });
    script = [{ status: 429, retryAfter: "1" }];
    const started = performance.now();
    await resilience.execute("fly", (signal) => get(signal));
    expect(performance.now() - started).toBeGreaterThanOrEqual(990);
    expect(requests).toBe(2);
  });

  it("does not wait for a Retry-After beyond the cap: the error reports when to come back", async () => {
    const resilience = createResilience({ metrics, policies: { fly: FAST } });
    script = [{ status: 429, retryAfter: "120" }];
    await expect(resilience.execute("fly", (signal) => get(signal))).rejects.toMatchObject({
      upstreamStatus: 429,
      retryAfterSeconds: 120,
    });
    expect(requests).toBe(1);
  });

  it("aborts an attempt that takes too long and retries it", async () => {
    const resilience = createResilience({ metrics, policies: { fly: FAST } });
    script = [{ hang: true }];
    let aborted = false;
    await expect(
      resilience.execute("fly", (signal) => {
        signal.addEventListener("abort", () => (aborted = true));
        return get(signal);
      }),
    ).resolves.toEqual({ ok: true });
    expect(aborted).toBe(true);
    expect(requests).toBe(2);
  });

  it("turns timeouts into ExternalTimeoutError once retries are spent", async () => {
    const resilience = createResilience({ metrics, policies: { fly: { ...FAST, maxRetries: 1 } } });
    script = [{ hang: true }, { hang: true }];
    await expect(resilience.execute("fly", (signal) => get(signal))).rejects.toBeInstanceOf(
      ExternalTimeoutError,
    );
    expect(requests).toBe(2);
  });

  it("never retries a non-idempotent call after a timeout or a 5xx: it may have taken effect", async () => {
    const resilience = createResilience({ metrics, policies: { fly: FAST } });
    script = [{ hang: true }];
    await expect(
      resilience.execute("fly", (signal) => get(signal), { idempotent: false }),
    ).rejects.toBeInstanceOf(ExternalTimeoutError);
    expect(requests).toBe(1);

    requests = 0;
    script = [{ status: 502 }];
    await expect(
      resilience.execute("fly", (signal) => get(signal), { idempotent: false }),
    ).rejects.toMatchObject({ upstreamStatus: 502 });
    expect(requests).toBe(1);
  });

  it("retries a non-idempotent call after a 429 or a refused connection: it certainly did not happen", async () => {
    const resilience = createResilience({ metrics, policies: { fly: FAST } });
    script = [{ status: 429 }];
    await expect(resilience.execute("fly", (signal) => get(signal), { idempotent: false })).resolves.toEqual({
      ok: true,
    });
    expect(requests).toBe(2);

    // A port nothing listens on: connection refused every time, retried each time.
    const closed = http.createServer();
    closed.listen(0, "127.0.0.1");
    await once(closed, "listening");
    const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((resolve) => closed.close(resolve));
    let attempts = 0;
    await expect(
      resilience.execute(
        "fly",
        (signal) => {
          attempts += 1;
          return get(signal, deadUrl);
        },
        { idempotent: false },
      ),
    ).rejects.toThrow("fetch failed");
    expect(attempts).toBe(4);
  });

  it("opens the circuit after consecutive failures, half-opens after the delay, and closes on success", async () => {
    const resilience = createResilience({
      metrics,
      policies: { fly: { ...FAST, maxRetries: 0, breakerThreshold: 3, halfOpenAfterMs: 200 } },
    });
    script = [{ status: 500 }, { status: 500 }, { status: 500 }];
    for (let index = 0; index < 3; index++) {
      await expect(resilience.execute("fly", (signal) => get(signal))).rejects.toMatchObject({
        upstreamStatus: 500,
      });
    }
    expect(resilience.circuitState("fly")).toBe("open");
    expect((await metrics.circuitState.get()).values).toContainEqual(
      expect.objectContaining({ labels: { service: "fly" }, value: 2 }),
    );

    // Open: refused without a request.
    await expect(resilience.execute("fly", (signal) => get(signal))).rejects.toBeInstanceOf(CircuitOpenError);
    expect(requests).toBe(3);

    // After halfOpenAfter one test call goes through; its success closes the circuit.
    await new Promise((resolve) => setTimeout(resolve, 250));
    await expect(resilience.execute("fly", (signal) => get(signal))).resolves.toEqual({ ok: true });
    expect(resilience.circuitState("fly")).toBe("closed");
    expect((await metrics.circuitState.get()).values).toContainEqual(
      expect.objectContaining({ labels: { service: "fly" }, value: 0 }),
    );
  });

  it("re-opens when the half-open test call fails; 4xx answers never count", async () => {
    const resilience = createResilience({
      metrics,
      policies: { fly: { ...FAST, maxRetries: 0, breakerThreshold: 2, halfOpenAfterMs: 100 } },
    });
    script = [{ status: 404 }, { status: 404 }, { status: 404 }];
    for (let index = 0; index < 3; index++) {
      await expect(resilience.execute("fly", (signal) => get(signal))).rejects.toMatchObject({
        upstreamStatus: 404,
      });
    }
    expect(resilience.circuitState("fly")).toBe("closed");

    script = [{ status: 503 }, { status: 503 }, { status: 503 }];
    await expect(resilience.execute("fly", (signal) => get(signal))).rejects.toMatchObject({
      upstreamStatus: 503,
    });
    await expect(resilience.execute("fly", (signal) => get(signal))).rejects.toMatchObject({
      upstreamStatus: 503,
    });
    expect(resilience.circuitState("fly")).toBe("open");
    await new Promise((resolve) => setTimeout(resolve, 150));
    await expect(resilience.execute("fly", (signal) => get(signal))).rejects.toMatchObject({
      upstreamStatus: 503,
    });
    expect(resilience.circuitState("fly")).toBe("open");
  });

  it("keeps one circuit per service", async () => {
    const resilience = createResilience({
      metrics,
      policies: { fly: { ...FAST, maxRetries: 0, breakerThreshold: 1 }, github: FAST },
    });
    script = [{ status: 500 }];
    await expect(resilience.execute("fly", (signal) => get(signal))).rejects.toMatchObject({
      upstreamStatus: 500,
    });
    expect(resilience.circuitState("fly")).toBe("open");
    expect(resilience.circuitState("github")).toBe("closed");
    await expect(resilience.execute("github", (signal) => get(signal))).resolves.toEqual({ ok: true });
  });

  it("stops when the caller cancels", async () => {
    const resilience = createResilience({ metrics, policies: { fly: { ...FAST, timeoutMs: 5_000 } } });
    script = [{ hang: true }];
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("deployment cancelled")), 50);
    await expect(
      resilience.execute("fly", (signal) => get(signal), { signal: controller.signal }),
    ).rejects.toThrow("deployment cancelled");
    expect(requests).toBe(1);
  });

  it("records each attempt's duration by outcome", async () => {
    const resilience = createResilience({ metrics, policies: { fly: FAST } });
    script = [{ status: 503 }];
    await resilience.execute("fly", (signal) => get(signal));
    const counts = (await metrics.externalCallDuration.get()).values.filter((value) =>
      value.metricName?.endsWith("_count"),
    );
    expect(counts).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ labels: { service: "fly", outcome: "retryable_error" }, value: 1 }),
        expect.objectContaining({ labels: { service: "fly", outcome: "success" }, value: 1 }),
      ]),
    );
  });

  it("parses Retry-After as seconds or an HTTP date", () => {
    expect(parseRetryAfter("7")).toBe(7);
    expect(parseRetryAfter(new Date(Date.now() + 3_000).toUTCString())).toBeGreaterThanOrEqual(2);
    expect(parseRetryAfter("soon")).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});
