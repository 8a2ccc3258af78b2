// Property-based fuzzing of the webhook endpoint: whatever arrives, the answer is a structured 2xx or
// 4xx, never a 5xx (SPEC §8).
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_WEBHOOK_SECRET, startTestServer, type TestServer } from "../test/harness.ts";
import { signPayload } from "./signature.ts";

const EVENTS = [
  "push",
  "pull_request",
  "installation",
  "installation_repositories",
  "ping",
  "issues",
  "release",
];

/** Header values fetch can send: printable Latin-1 only. */
const headerValue = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)),
  maxLength: 120,
});

const jsonBody = fc.oneof(
  fc.json({ maxDepth: 4 }),
  fc
    .record({
      ref: fc.oneof(fc.constant("refs/heads/main"), fc.string()),
      before: fc.string(),
      after: fc.oneof(fc.constant("a".repeat(40)), fc.string()),
      deleted: fc.oneof(fc.boolean(), fc.string()),
      repository: fc.oneof(
        fc.constant(null),
        fc.record({ id: fc.integer(), name: fc.string(), full_name: fc.string() }),
      ),
      installation: fc.oneof(
        fc.record({ id: fc.oneof(fc.integer(), fc.double(), fc.string(), fc.constant(1e30)) }),
        fc.constant(null),
      ),
      action: fc.oneof(fc.string(), fc.integer()),
    })
    .map((value) => JSON.stringify(value)),
);

const request = fc.record({
  event: fc.oneof(fc.constantFrom(...EVENTS), headerValue),
  deliveryId: fc.oneof(fc.uuid(), headerValue),
  body: fc.oneof(
    jsonBody,
    fc.string({ maxLength: 300 }),
    fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
  ),
  signature: fc.oneof(fc.constant("valid"), fc.constant("missing"), headerValue),
});

describe("webhook endpoint fuzzing", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ limits: { webhookFailuresPerMinutePerIp: 100_000 }, worker: false });
  });
  afterAll(() => server.close());

  it("never answers 5xx, and every refusal has the structured error body", async () => {
    await fc.assert(
      fc.asyncProperty(request, async ({ event, deliveryId, body, signature }) => {
        const headers: Record<string, string> = {
          "content-type": "application/json",
          "x-github-event": event,
          "x-github-delivery": deliveryId,
        };
        if (signature === "valid") headers["x-hub-signature-256"] = signPayload(TEST_WEBHOOK_SECRET, body);
        else if (signature !== "missing") headers["x-hub-signature-256"] = signature;
        const response = await fetch(`${server.url}/api/webhooks/github`, {
          method: "POST",
          headers,
          body: typeof body === "string" ? body : new Uint8Array(body),
        });
        expect(response.status).toBeLessThan(500);
        const parsed = (await response.json()) as Record<string, unknown>;
        if (response.status >= 400)
          expect(parsed).toMatchObject({ code: expect.any(String), requestId: expect.any(String) });
      }),
      { numRuns: 300 },
    );
  });

  it("processing never throws: every stored delivery ends with an outcome", async () => {
    const { rows } = await server.database.pool.query<{ id: string }>(
      `SELECT id FROM webhook_delivery WHERE status = 'received'`,
    );
    for (const row of rows) {
      const outcome = await server.webhooks.processor.process(row.id);
      expect(outcome?.status).toMatch(/^(processed|ignored|failed)$/);
      expect(outcome?.reason).toBeTruthy();
    }
  });
});
