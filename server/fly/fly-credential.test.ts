// Fly credentials through the tRPC router, with real services, a real database and the Fly emulator.
import { randomUUID } from "node:crypto";
import { TRPCError } from "@trpc/server";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { AppError } from "../errors.ts";
import { FLY_ORG, FLY_TOKEN, type TestFly, startTestFly } from "../test/fly.ts";
import { sessionFor, signUp, startTestServer, type SignedUpUser, type TestServer } from "../test/harness.ts";
import { createContextInner } from "../trpc/context.ts";
import { createCaller } from "../trpc/router.ts";

/** The AppError behind a failed call, or the code of a plain tRPC error. */
async function failure(
  promise: Promise<unknown>,
): Promise<{ code: string; reason?: string; fieldErrors?: unknown }> {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof TRPCError)) throw error;
    const cause = error.cause;
    if (cause instanceof AppError)
      return { code: cause.code, reason: cause.reason, fieldErrors: cause.fieldErrors };
    return { code: error.code };
  }
  throw new Error("expected the call to fail");
}

describe("Fly credentials", () => {
  let server: TestServer;
  let fly: TestFly;

  beforeAll(async () => {
    fly = await startTestFly();
    server = await startTestServer({ flyApiUrl: fly.url });
  });
  afterAll(async () => {
    await server.close();
    await fly.close();
  });
  afterEach(() => fly.control("DELETE", "/faults"));

  const callerFor = async (user: SignedUpUser) =>
    createCaller(
      createContextInner({ services: server.services, session: await sessionFor(server, user.cookie) }),
    );

  async function owner() {
    const user = await signUp(server, { name: "Ada Owner" });
    const caller = await callerFor(user);
    const [organization] = await caller.organization.list();
    if (!organization) throw new Error("no organization");
    return { user, caller, organizationId: organization.id };
  }

  async function auditActions(organizationId: string) {
    const events = await server.services.audit.listForOrganization(server.database.db, organizationId, 20);
    return events.map((event) => event.action).filter((action) => action.startsWith("fly_credential"));
  }

  it("is empty until a token is set", async () => {
    const { caller, organizationId } = await owner();
    expect(await caller.flyCredential.get({ organizationId })).toBeNull();
  });

  it("refuses a token Fly does not accept, with a field error naming what Fly said, and stores nothing", async () => {
    const { caller, organizationId } = await owner();
    const result = await failure(caller.flyCredential.set({ organizationId, token: "fo1_not-a-real-token" }));
    expect(result).toMatchObject({ code: "BAD_REQUEST", reason: "FLY_TOKEN_INVALID" });
    expect(result.fieldErrors).toEqual({
      token: [expect.stringContaining("Authenticate: token validation error")],
    });
    expect(await caller.flyCredential.get({ organizationId })).toBeNull();
    expect(await auditActions(organizationId)).toEqual([]);
  });

  it("validates the shape before asking Fly", async () => {
    const { caller, organizationId } = await owner();
    for (const token of ["", "   ", "two words", "fo1_\u0007bell"]) {
      expect(await failure(caller.flyCredential.set({ organizationId, token }))).toMatchObject({
        code: "BAD_REQUEST",
      });
    }
    const requests = await fly.requests();
    expect(
      requests.filter((request) => request.path === "/v1/tokens/current" && request.status === 401),
    ).toHaveLength(1);
  });

  it("stores a valid token sealed, shows it masked with the Fly organisation, and audits it", async () => {
    const { user, caller, organizationId } = await owner();
    const view = await caller.flyCredential.set({ organizationId, token: `  ${FLY_TOKEN}\n` });
    expect(view).toEqual({
      flyOrgSlug: FLY_ORG,
      tokenLastFour: FLY_TOKEN.slice(-4),
      setBy: { name: "Ada Owner", email: user.email },
      setAt: expect.any(Date),
    });
    expect(await caller.flyCredential.get({ organizationId })).toEqual(view);
    expect(JSON.stringify(view)).not.toContain(FLY_TOKEN);

    const row = await server.database.db.flyCredential.findUniqueOrThrow({ where: { organizationId } });
    expect(row.encryptedToken).toMatch(/^v1\./);
    expect(row.encryptedToken).not.toContain(FLY_TOKEN);
    expect(await auditActions(organizationId)).toEqual(["fly_credential.set"]);

    // The sealed token opens for this organisation and works against Fly.
    const api = await server.services.flyCredentials?.apiFor(organizationId);
    await expect(api?.currentToken()).resolves.toMatchObject({ orgSlug: FLY_ORG });
  });

  it("does not open a sealed token copied to another organisation's row", async () => {
    const first = await owner();
    const second = await owner();
    await first.caller.flyCredential.set({ organizationId: first.organizationId, token: FLY_TOKEN });
    const row = await server.database.db.flyCredential.findUniqueOrThrow({
      where: { organizationId: first.organizationId },
    });
    await server.database.db.flyCredential.create({
      data: { ...row, organizationId: second.organizationId, setByUserId: second.user.userId },
    });
    await expect(server.services.flyCredentials?.apiFor(second.organizationId)).rejects.toMatchObject({
      reason: "DECRYPTION_FAILED",
    });
  });

  it("replaces and removes the token, auditing each change", async () => {
    const { caller, organizationId } = await owner();
    await fly.control("POST", "/orgs", { slug: "acme-two", name: "Acme Two" });
    await fly.control("POST", "/tokens", { token: "fo1_acme_two_token_wxyz", orgSlug: "acme-two" });

    await caller.flyCredential.set({ organizationId, token: FLY_TOKEN });
    const replaced = await caller.flyCredential.set({ organizationId, token: "fo1_acme_two_token_wxyz" });
    expect(replaced).toMatchObject({ flyOrgSlug: "acme-two", tokenLastFour: "wxyz" });

    await caller.flyCredential.remove({ organizationId });
    expect(await caller.flyCredential.get({ organizationId })).toBeNull();
    expect(await failure(caller.flyCredential.remove({ organizationId }))).toMatchObject({
      code: "NOT_FOUND",
      reason: "FLY_CREDENTIAL_NOT_FOUND",
    });
    expect((await auditActions(organizationId)).reverse()).toEqual([
      "fly_credential.set",
      "fly_credential.replace",
      "fly_credential.remove",
    ]);
    await expect(server.services.flyCredentials?.apiFor(organizationId)).rejects.toMatchObject({
      reason: "FLY_CREDENTIAL_MISSING",
    });
  });

  it("refuses a deploy token: Hangar needs to create apps", async () => {
    const { caller, organizationId } = await owner();
    const appName = `hangar-deploy-only-${randomUUID().slice(0, 8)}`;
    await fetch(`${fly.url}/v1/apps`, {
      method: "POST",
      headers: { authorization: `Bearer ${FLY_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ name: appName, org_slug: FLY_ORG }),
    });
    await fly.control("POST", "/tokens", { token: `fo1_deploy_${appName}`, orgSlug: FLY_ORG, appName });
    const result = await failure(
      caller.flyCredential.set({ organizationId, token: `fo1_deploy_${appName}` }),
    );
    expect(result).toMatchObject({ code: "BAD_REQUEST", reason: "FLY_TOKEN_INVALID" });
    expect(JSON.stringify(result.fieldErrors)).toContain("fly tokens create org");
  });

  it("says Fly is failing rather than that the token is bad when Fly answers 5xx", async () => {
    const { caller, organizationId } = await owner();
    await fly.control("POST", "/faults", { errorRate: 1, routes: "/v1/tokens" });
    expect(await failure(caller.flyCredential.set({ organizationId, token: FLY_TOKEN }))).toMatchObject({
      code: "BAD_GATEWAY",
      reason: "FLY_API_ERROR",
    });
    expect(await caller.flyCredential.get({ organizationId })).toBeNull();
  });

  it("lets viewers see the credential and only admins change it", async () => {
    const { caller, organizationId } = await owner();
    await caller.flyCredential.set({ organizationId, token: FLY_TOKEN });
    for (const role of ["viewer", "member"] as const) {
      const other = await signUp(server);
      await server.database.db.member.create({
        data: { id: randomUUID(), organizationId, userId: other.userId, role },
      });
      const otherCaller = await callerFor(other);
      expect(await otherCaller.flyCredential.get({ organizationId })).toMatchObject({ flyOrgSlug: FLY_ORG });
      expect(
        await failure(otherCaller.flyCredential.set({ organizationId, token: FLY_TOKEN })),
      ).toMatchObject({
        code: "FORBIDDEN",
      });
      expect(await failure(otherCaller.flyCredential.remove({ organizationId }))).toMatchObject({
        code: "FORBIDDEN",
      });
    }
    const outsider = await callerFor(await signUp(server));
    expect(await failure(outsider.flyCredential.get({ organizationId }))).toMatchObject({
      code: "FORBIDDEN",
    });
  });

  it("returns the structured error with field errors over HTTP", async () => {
    const { user, organizationId } = await owner();
    const response = await fetch(`${server.url}/api/trpc/flyCredential.set`, {
      method: "POST",
      headers: { "content-type": "application/json", cookie: user.cookie, origin: server.url },
      body: JSON.stringify({ json: { organizationId, token: "fo1_wrong" } }),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { json: { data: Record<string, unknown> } } };
    expect(body.error.json.data).toMatchObject({
      code: "BAD_REQUEST",
      reason: "FLY_TOKEN_INVALID",
      requestId: expect.any(String),
      fieldErrors: { token: [expect.stringContaining("did not accept this token")] },
    });
  });
});
