// The webhook endpoint over real HTTP with a real queue and database: every status path, exactly-once
// processing, the per-IP failure limit, secret rotation and real GitHub example payloads.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_WEBHOOK_SECRET, startTestServer, type TestServer } from "../test/harness.ts";
import { sendWebhook, waitForOutcome } from "../test/webhooks.ts";
import { webhookExamples } from "../test/webhook-examples.ts";
import { PARSE_IN_NODE_MAX_BYTES } from "./payload-summary.ts";
import { signPayload } from "./signature.ts";

describe("POST /api/webhooks/github", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ limits: { webhookFailuresPerMinutePerIp: 1000 } });
  });
  afterAll(() => server.close());

  it("stores a signed delivery, answers 202 with its id, and processes it", async () => {
    const sent = await sendWebhook(server);
    expect(sent.status).toBe(202);
    expect(sent.body).toEqual({ deliveryId: sent.deliveryId });
    const delivery = await waitForOutcome(server, sent.deliveryId);
    expect(delivery).toMatchObject({
      event: "ping",
      status: "processed",
      attempts: 1,
      signedWith: "current",
    });
    expect(delivery.reason).toMatch(/^pong: hook 1/);
  });

  it("answers a repeated delivery id with 200 duplicate and processes it once", async () => {
    const deliveryId = randomUUID();
    const first = await sendWebhook(server, { deliveryId });
    const second = await sendWebhook(server, { deliveryId });
    expect(first.status).toBe(202);
    expect(second.status).toBe(200);
    expect(second.body).toEqual({ duplicate: true, deliveryId });
    const delivery = await waitForOutcome(server, deliveryId);
    expect(delivery.attempts).toBe(1);
    expect(delivery.duplicateCount).toBe(1);
  });

  it("processes a delivery once even when both copies arrive at the same moment", async () => {
    const deliveryId = randomUUID();
    const results = await Promise.all(Array.from({ length: 8 }, () => sendWebhook(server, { deliveryId })));
    expect(results.filter((result) => result.status === 202)).toHaveLength(1);
    expect(results.filter((result) => result.status === 200)).toHaveLength(7);
    const delivery = await waitForOutcome(server, deliveryId);
    expect(delivery.attempts).toBe(1);
    expect(delivery.duplicateCount).toBe(7);
    const rows = await server.database.pool.query(
      `SELECT count(*)::int AS count FROM webhook_delivery WHERE "deliveryId" = $1`,
      [deliveryId],
    );
    expect(rows.rows[0]).toEqual({ count: 1 });
  });

  it("rejects missing or malformed headers with 400", async () => {
    expect((await sendWebhook(server, { headers: { "x-github-event": "" } })).status).toBe(400);
    expect((await sendWebhook(server, { headers: { "x-github-event": "Push Event" } })).status).toBe(400);
    expect((await sendWebhook(server, { deliveryId: "" })).status).toBe(400);
    expect((await sendWebhook(server, { deliveryId: "not a delivery id!" })).status).toBe(400);
    expect((await sendWebhook(server, { signature: null })).status).toBe(400);
    const malformed = await sendWebhook(server, { signature: "sha1=abcdef" });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ code: "BAD_REQUEST", requestId: expect.any(String) });
  });

  it("rejects a wrong signature with 401 and records the rejection, not a delivery", async () => {
    const sent = await sendWebhook(server, { secret: "some-other-secret-value" });
    expect(sent.status).toBe(401);
    expect(sent.body).toMatchObject({ code: "UNAUTHORIZED", message: "Signature invalid." });
    expect(await server.webhooks.repository.findByDeliveryId(server.database.db, sent.deliveryId)).toBeNull();
    const rejection = await server.database.db.webhookRejection.findFirst({
      where: { deliveryId: sent.deliveryId },
    });
    expect(rejection).toMatchObject({ status: 401, reason: "Signature invalid." });
    // A forged request cannot claim the id: the genuine delivery with the same id is still accepted.
    expect((await sendWebhook(server, { deliveryId: sent.deliveryId })).status).toBe(202);
  });

  it("signature is checked over the exact bytes", async () => {
    const body = JSON.stringify({ zen: "x", hook_id: 2 });
    const signature = signPayload(TEST_WEBHOOK_SECRET, body);
    const reformatted = JSON.stringify(JSON.parse(body), null, 2);
    expect((await sendWebhook(server, { body: reformatted, signature })).status).toBe(401);
  });

  it("refuses bodies over 5 MB with 413", async () => {
    const body = Buffer.alloc(5 * 1024 * 1024 + 1, 0x20);
    const sent = await sendWebhook(server, { body, signature: "sha256=" + "0".repeat(64) });
    expect(sent.status).toBe(413);
    expect(sent.body).toMatchObject({ code: "PAYLOAD_TOO_LARGE" });
  });

  it("accepts a large but valid payload just under the limit", async () => {
    const payload = { zen: "big", hook_id: 3, padding: "x".repeat(4 * 1024 * 1024) };
    const sent = await sendWebhook(server, { body: JSON.stringify(payload) });
    expect(sent.status).toBe(202);
    expect((await waitForOutcome(server, sent.deliveryId)).status).toBe("processed");
  });

  it("reads the inbox columns of a payload too large to parse in Node, and refuses one that is not JSON", async () => {
    const padding = "x".repeat(PARSE_IN_NODE_MAX_BYTES);
    const large = {
      zen: "large",
      hook_id: 4,
      installation: { id: 77 },
      repository: { full_name: "acme/big" },
      padding,
    };
    const sent = await sendWebhook(server, {
      event: "issues",
      body: JSON.stringify({ ...large, action: "edited" }),
    });
    expect(sent.status).toBe(202);
    const stored = await server.webhooks.repository.findByDeliveryId(server.database.db, sent.deliveryId);
    expect(stored).toMatchObject({ action: "edited", installationId: 77n, repositoryFullName: "acme/big" });

    const broken = await sendWebhook(server, { body: `${JSON.stringify(large)}}` });
    expect(broken.status).toBe(400);
    expect(broken.body).toMatchObject({ code: "BAD_REQUEST", reason: "INVALID_PAYLOAD" });
    expect(
      await server.webhooks.repository.findByDeliveryId(server.database.db, broken.deliveryId),
    ).toBeNull();
  });

  it("records events outside the whitelist as ignored without queueing them", async () => {
    const sent = await sendWebhook(server, { event: "issues", body: JSON.stringify({ action: "opened" }) });
    expect(sent.status).toBe(202);
    const delivery = await server.webhooks.repository.findByDeliveryId(server.database.db, sent.deliveryId);
    expect(delivery).toMatchObject({
      status: "ignored",
      reason: "ignored: event not handled",
      action: "opened",
    });
  });

  it("a signed body that is not JSON is a structured 400, never a 500", async () => {
    const sent = await sendWebhook(server, { body: "{not json" });
    expect(sent.status).toBe(400);
    expect(sent.body).toMatchObject({ code: "BAD_REQUEST", reason: "INVALID_PAYLOAD" });
  });

  it("records a payload that fails its schema as failed, with the reason", async () => {
    const sent = await sendWebhook(server, {
      event: "push",
      body: JSON.stringify({ ref: "refs/heads/main", after: "nope" }),
    });
    expect(sent.status).toBe(202);
    const delivery = await waitForOutcome(server, sent.deliveryId);
    expect(delivery.status).toBe("failed");
    expect(delivery.reason).toMatch(/^invalid push payload: /);
  });

  it("handles every real example payload of every handled event", async () => {
    for (const event of ["push", "pull_request", "installation", "installation_repositories", "ping"]) {
      for (const example of webhookExamples(event)) {
        const sent = await sendWebhook(server, { event, body: JSON.stringify(example) });
        expect(sent.status, `${event} example`).toBe(202);
        const delivery = await waitForOutcome(server, sent.deliveryId);
        expect(delivery.status, `${event}: ${delivery.reason}`).not.toBe("failed");
        expect(delivery.reason).toBeTruthy();
      }
    }
  });

  it("routes pushes: branch deletion, [skip deploy], tags and untracked branches each get their reason", async () => {
    const [example] = webhookExamples("push");
    const base: Record<string, unknown> = { ...example, ref: "refs/heads/main", deleted: false };
    const outcome = async (payload: object) =>
      (
        await waitForOutcome(
          server,
          (await sendWebhook(server, { event: "push", body: JSON.stringify(payload) })).deliveryId,
        )
      ).reason;
    expect(await outcome({ ...base, deleted: true })).toBe("ignored: branch main was deleted");
    expect(await outcome({ ...base, ref: "refs/tags/v1.0.0" })).toBe("ignored: not a branch push");
    expect(
      await outcome({
        ...base,
        head_commit: { ...(base.head_commit as object), message: "docs only [skip deploy]" },
      }),
    ).toBe("ignored: [skip deploy] in the commit message");
    expect(await outcome(base)).toMatch(/^ignored: no project tracks .+@main$/);
  });

  it("strips control characters from payload strings before they reach the inbox", async () => {
    const [example] = webhookExamples("push");
    const payload = { ...example, ref: "refs/heads/evil\u001b[31mbranch\u0007", deleted: true };
    const sent = await sendWebhook(server, { event: "push", body: JSON.stringify(payload) });
    const delivery = await waitForOutcome(server, sent.deliveryId);
    expect([...(delivery.reason ?? "")].every((char) => char >= " ")).toBe(true);
    expect(delivery.reason).toContain("evil");
  });
});

describe("per-IP limit on failed webhook requests", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ limits: { webhookFailuresPerMinutePerIp: 30 } });
  });
  afterAll(() => server.close());

  it("answers the 31st bad request in a minute with 429, while a valid delivery still passes", async () => {
    for (let attempt = 0; attempt < 30; attempt++) {
      expect((await sendWebhook(server, { secret: "wrong-secret-value-0000" })).status).toBe(401);
    }
    const limited = await sendWebhook(server, { secret: "wrong-secret-value-0000" });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(limited.body).toMatchObject({ code: "TOO_MANY_REQUESTS" });
    expect((await sendWebhook(server, { headers: { "x-github-event": "" } })).status).toBe(429);
    expect((await sendWebhook(server)).status).toBe(202);
  });
});

describe("webhook secret rotation", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      webhookSecrets: { current: "the-new-secret-0123456789", previous: TEST_WEBHOOK_SECRET },
    });
  });
  afterAll(() => server.close());

  it("accepts deliveries signed with the current or the previous secret, and nothing else", async () => {
    const withNew = await sendWebhook(server, { secret: "the-new-secret-0123456789" });
    const withOld = await sendWebhook(server, { secret: TEST_WEBHOOK_SECRET });
    expect(withNew.status).toBe(202);
    expect(withOld.status).toBe(202);
    expect((await sendWebhook(server, { secret: "neither-of-the-two-000" })).status).toBe(401);
    expect((await waitForOutcome(server, withOld.deliveryId)).signedWith).toBe("previous");
  });
});
