import { createHash, createHmac, randomUUID } from "node:crypto";
import type { EmulatorContext } from "./context.ts";
import type { Delivery } from "./state.ts";
import { isoTime } from "./time.ts";

/** GitHub gives up on a receiver after 10 s (30 s on GHES) and never retries on its own. */
const DELIVERY_TIMEOUT_MS = 10_000;
const RESPONSE_BODY_LIMIT = 4_096;
/** Fixed per emulator build, like the hex suffix of GitHub's `GitHub-Hookshot/044aadd`. */
const HOOKSHOT_USER_AGENT = `GitHub-Hookshot/${createHash("sha1").update("hangar-github-emulator").digest("hex").slice(0, 7)}`;

/**
 * Sends deliveries one at a time, in the order they were made, off the request path: the control call
 * that caused an event returns before the receiver has answered.
 */
export class WebhookSender {
  private readonly context: () => EmulatorContext;
  private chain: Promise<void> = Promise.resolve();
  private readonly controllers = new Set<AbortController>();

  constructor(context: () => EmulatorContext) {
    this.context = context;
  }

  /** Records a new delivery (fresh guid) and queues it. */
  send(
    event: string,
    payload: object,
    meta: { action: string | null; installationId: number | null; repositoryId: number | null },
  ): Delivery {
    return this.queue({
      ...meta,
      event,
      guid: randomUUID(),
      body: JSON.stringify(payload),
      redelivery: false,
    });
  }

  /** Same guid and bytes as the original, new attempt id, `redelivery: true`. */
  redeliver(original: Delivery): Delivery {
    return this.queue({
      event: original.event,
      action: original.action,
      installationId: original.installationId,
      repositoryId: original.repositoryId,
      guid: original.guid,
      body: original.body,
      redelivery: true,
    });
  }

  /** Resolves once every queued delivery has been attempted. */
  async idle(): Promise<void> {
    let current: Promise<void>;
    do {
      current = this.chain;
      await current;
    } while (current !== this.chain);
  }

  async close(): Promise<void> {
    for (const controller of this.controllers) controller.abort();
    await this.idle();
  }

  private queue(
    input: Pick<
      Delivery,
      "event" | "action" | "installationId" | "repositoryId" | "guid" | "body" | "redelivery"
    >,
  ): Delivery {
    const ctx = this.context();
    const delivery: Delivery = {
      ...input,
      id: ctx.state.nextId("delivery", 12_000_000_001),
      url: ctx.hook.url ?? null,
      deliveredAt: isoTime(),
      state: "pending",
      durationSeconds: 0,
      status: "pending",
      statusCode: 0,
      requestHeaders: requestHeaders(ctx, input),
      responseHeaders: null,
      responseBody: null,
    };
    ctx.state.deliveries.push(delivery);
    this.chain = this.chain.then(() => this.attempt(delivery));
    return delivery;
  }

  private async attempt(delivery: Delivery): Promise<void> {
    if (delivery.url === null) {
      Object.assign(delivery, { state: "done", status: "no webhook URL configured" });
      return;
    }
    const controller = new AbortController();
    this.controllers.add(controller);
    const started = performance.now();
    delivery.deliveredAt = isoTime();
    try {
      const response = await fetch(delivery.url, {
        method: "POST",
        headers: delivery.requestHeaders,
        body: delivery.body,
        redirect: "manual",
        signal: AbortSignal.any([controller.signal, AbortSignal.timeout(DELIVERY_TIMEOUT_MS)]),
      });
      const text = await response.text();
      delivery.statusCode = response.status;
      delivery.status = response.ok ? "OK" : `Invalid HTTP Response: ${response.status}`;
      delivery.responseHeaders = Object.fromEntries(response.headers);
      delivery.responseBody = text.slice(0, RESPONSE_BODY_LIMIT);
    } catch (error) {
      const timedOut = error instanceof Error && error.name === "TimeoutError";
      // GitHub's own example records a connection failure as "failed to connect" with 502.
      delivery.statusCode = timedOut ? 504 : 502;
      delivery.status = timedOut ? "timed out" : "failed to connect";
    } finally {
      this.controllers.delete(controller);
      delivery.durationSeconds = Math.round(performance.now() - started) / 1000;
      delivery.state = "done";
    }
  }
}

function requestHeaders(ctx: EmulatorContext, input: Pick<Delivery, "event" | "guid" | "body">) {
  const headers: Record<string, string> = {
    Accept: "*/*",
    "Content-Type": "application/json",
    "User-Agent": HOOKSHOT_USER_AGENT,
    "X-GitHub-Delivery": input.guid,
    "X-GitHub-Event": input.event,
    "X-GitHub-Hook-ID": String(ctx.hook.id),
    "X-GitHub-Hook-Installation-Target-ID": String(ctx.options.appId),
    "X-GitHub-Hook-Installation-Target-Type": "integration",
  };
  // GitHub signs only when the hook has a secret; the HMACs cover the exact bytes sent.
  if (ctx.hook.secret) {
    headers["X-Hub-Signature"] =
      `sha1=${createHmac("sha1", ctx.hook.secret).update(input.body).digest("hex")}`;
    headers["X-Hub-Signature-256"] =
      `sha256=${createHmac("sha256", ctx.hook.secret).update(input.body).digest("hex")}`;
  }
  return headers;
}
