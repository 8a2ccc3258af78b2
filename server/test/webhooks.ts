// Sending signed webhook deliveries to a test server, as GitHub does, and waiting for their outcome;
// storing deliveries straight into the outbox, as the web role does once it has verified them.
import { randomUUID } from "node:crypto";
import type pg from "pg";
import { signPayload } from "../webhooks/signature.ts";
import { createWebhookRepository } from "../webhooks/webhook.repository.ts";
import { TEST_WEBHOOK_SECRET, type TestServer } from "./harness.ts";

type Sent = { status: number; body: Record<string, unknown>; headers: Headers };

/** POSTs a delivery signed as GitHub would (or not, as the options say). */
export async function sendWebhook(
  server: TestServer,
  options: {
    event?: string;
    deliveryId?: string;
    body?: string | Buffer;
    secret?: string;
    signature?: string | null;
    headers?: Record<string, string>;
  } = {},
): Promise<Sent & { deliveryId: string }> {
  const deliveryId = options.deliveryId ?? randomUUID();
  const body = options.body ?? JSON.stringify({ zen: "Keep it logically awesome.", hook_id: 1 });
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "user-agent": "GitHub-Hookshot/test",
    "x-github-event": options.event ?? "ping",
    "x-github-delivery": deliveryId,
    ...options.headers,
  };
  if (options.signature !== null) {
    headers["x-hub-signature-256"] =
      options.signature ?? signPayload(options.secret ?? TEST_WEBHOOK_SECRET, body);
  }
  const response = await fetch(`${server.url}/api/webhooks/github`, {
    method: "POST",
    headers,
    body: typeof body === "string" ? body : new Uint8Array(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
    headers: response.headers,
    deliveryId,
  };
}

/** Waits until the worker has written the delivery's outcome. */
export async function waitForOutcome(server: TestServer, deliveryId: string) {
  for (let attempt = 0; attempt < 200; attempt++) {
    const delivery = await server.webhooks.repository.findByDeliveryId(server.database.db, deliveryId);
    if (delivery && delivery.status !== "received") return delivery;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`delivery ${deliveryId} was never processed`);
}

/** A minimal valid push to `main` of `repository` ("owner/name"). */
export function pushPayload(repository: string) {
  return {
    ref: "refs/heads/main",
    before: "0".repeat(40),
    after: "1".repeat(40),
    deleted: false,
    repository: { id: 1, name: repository.split("/")[1], full_name: repository },
    head_commit: { id: "1".repeat(40), message: "change", timestamp: "2026-11-28T00:00:00Z" },
    commits: [],
    installation: { id: 7 },
  };
}

/** Stores a delivery in the outbox, waiting for a worker; resolves with its row id. */
export async function storeDelivery(pool: pg.Pool, event: string, payload: unknown): Promise<string> {
  const [result] = await createWebhookRepository(pool).storeBatch([
    {
      deliveryId: randomUUID(),
      event,
      hookId: null,
      signedWith: "current",
      headers: {},
      payload: Buffer.from(JSON.stringify(payload)),
      summary: null,
      ignoredReason: null,
    },
  ]);
  if (result?.kind !== "stored") throw new Error("not stored");
  return result.id;
}
