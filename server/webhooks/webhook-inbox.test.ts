// The inbox over createCaller with a real server: an organisation sees its installations' deliveries
// with outcome and reason, opens one, and replays it (audited); other organisations see nothing.
import { randomUUID } from "node:crypto";
import type { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createContextInner } from "../trpc/context.ts";
import { createCaller } from "../trpc/router.ts";
import { sessionFor, signUp, startTestServer, type TestServer } from "../test/harness.ts";
import { webhookExamples } from "../test/webhook-examples.ts";
import { sendWebhook, waitForOutcome } from "../test/webhooks.ts";

const INSTALLATION_ID = 987_654n;

describe("webhook inbox", () => {
  let server: TestServer;
  let organizationId: string;
  let caller: ReturnType<typeof createCaller>;
  let outsider: ReturnType<typeof createCaller>;

  async function deliver(event: string, payload: object): Promise<string> {
    const sent = await sendWebhook(server, { event, body: JSON.stringify(payload) });
    expect(sent.status).toBe(202);
    return (await waitForOutcome(server, sent.deliveryId)).id;
  }

  beforeAll(async () => {
    server = await startTestServer();
    const owner = await signUp(server);
    const [organization] = await server.services.organizations.listForUser(owner.userId);
    if (!organization) throw new Error("no organization");
    organizationId = organization.id;
    await server.database.db.gitHubInstallation.create({
      data: {
        id: INSTALLATION_ID,
        organizationId,
        accountId: 1n,
        accountLogin: "acme",
        accountType: "Organization",
        repositorySelection: "all",
      },
    });
    caller = createCaller(
      createContextInner({ services: server.services, session: await sessionFor(server, owner.cookie) }),
    );
    const other = await signUp(server);
    outsider = createCaller(
      createContextInner({ services: server.services, session: await sessionFor(server, other.cookie) }),
    );
  });
  afterAll(() => server.close());

  it("lists the organisation's deliveries with their outcome, filters them, and pages", async () => {
    const [push] = webhookExamples("push");
    const ours = await deliver("push", {
      ...push,
      ref: "refs/heads/main",
      deleted: false,
      installation: { id: Number(INSTALLATION_ID) },
    });
    const theirs = await deliver("push", { ...push, installation: { id: 1234 } });
    await deliver("ping", { zen: "z", hook_id: 1, installation: { id: Number(INSTALLATION_ID) } });

    const all = await caller.webhookDelivery.list({ organizationId });
    expect(all.deliveries.map((delivery) => delivery.id)).toContain(ours);
    expect(all.deliveries.map((delivery) => delivery.id)).not.toContain(theirs);
    expect(all.deliveries.find((delivery) => delivery.id === ours)).toMatchObject({
      event: "push",
      status: "ignored",
      reason: expect.stringMatching(/^ignored: no project tracks /),
    });

    const pushes = await caller.webhookDelivery.list({ organizationId, event: "push" });
    expect(pushes.deliveries.every((delivery) => delivery.event === "push")).toBe(true);

    const first = await caller.webhookDelivery.list({ organizationId, limit: 1 });
    expect(first.deliveries).toHaveLength(1);
    expect(first.nextCursor).toBeTruthy();
    const second = await caller.webhookDelivery.list({
      organizationId,
      limit: 1,
      cursor: first.nextCursor ?? undefined,
    });
    expect(second.deliveries[0]?.id).not.toBe(first.deliveries[0]?.id);
  });

  it("shows one delivery with headers and payload, and hides other organisations' deliveries", async () => {
    const id = await deliver("ping", {
      zen: "detail",
      hook_id: 2,
      installation: { id: Number(INSTALLATION_ID) },
    });
    const delivery = await caller.webhookDelivery.byId({ organizationId, deliveryRowId: id });
    expect(delivery.headers).toMatchObject({ "x-github-event": "ping" });
    expect(delivery.payload).toMatchObject({ zen: "detail" });
    const error = await outsider.webhookDelivery
      .byId({ organizationId, deliveryRowId: id })
      .catch((caught: unknown) => caught);
    expect((error as TRPCError).code).toBe("FORBIDDEN");
  });

  it("replays a processed delivery: processed again, and audited", async () => {
    const id = await deliver("ping", {
      zen: "again",
      hook_id: 3,
      installation: { id: Number(INSTALLATION_ID) },
    });
    expect(await caller.webhookDelivery.replay({ organizationId, deliveryRowId: id })).toEqual({
      id,
      status: "received",
    });
    for (let attempt = 0; attempt < 200; attempt++) {
      const delivery = await caller.webhookDelivery.byId({ organizationId, deliveryRowId: id });
      if (delivery.status === "processed" && delivery.attempts === 2) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(await caller.webhookDelivery.byId({ organizationId, deliveryRowId: id })).toMatchObject({
      status: "processed",
      attempts: 2,
    });
    const audit = await server.services.audit.listForOrganization(server.database.db, organizationId, 20);
    expect(audit.find((event) => event.action === "webhook.replay")).toMatchObject({
      targetType: "webhook_delivery",
    });
  });

  it("an unknown delivery id is NOT_FOUND", async () => {
    const error = await caller.webhookDelivery
      .byId({ organizationId, deliveryRowId: randomUUID() })
      .catch((caught: unknown) => caught);
    expect((error as TRPCError).code).toBe("NOT_FOUND");
  });
});
