// Base procedures through createCaller with real services on a real database.
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../observability/logger.ts";
import { createServices } from "../services.ts";
import {
  TEST_LIMITS,
  sessionFor,
  signUp,
  startTestServer,
  testEnvironmentEncryption,
  type TestServer,
} from "../test/harness.ts";
import { createContextInner } from "./context.ts";
import { createCaller } from "./router.ts";

async function trpcCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TRPCError) return error.code;
    throw error;
  }
  return "OK";
}

describe("procedures", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  const callerFor = async (cookie: string | null) =>
    createCaller(
      createContextInner({
        services: server.services,
        session: cookie ? await sessionFor(server, cookie) : null,
      }),
    );

  it("anonymous callers get UNAUTHORIZED", async () => {
    const caller = await callerFor(null);
    expect(await trpcCode(caller.account.me())).toBe("UNAUTHORIZED");
    expect(await trpcCode(caller.organization.list())).toBe("UNAUTHORIZED");
  });

  it("me and the organisation list describe the signed-in user", async () => {
    const user = await signUp(server, { name: "Margaret" });
    const caller = await callerFor(user.cookie);
    const me = await caller.account.me();
    expect(me).toMatchObject({ id: user.userId, name: "Margaret", email: user.email });
    const organizations = await caller.organization.list();
    expect(organizations).toHaveLength(1);
    expect(me.activeOrganizationId).toBe(organizations[0]?.id);
  });

  it("organisation-scoped procedures: NOT_FOUND for unknown ids, FORBIDDEN for non-members and low roles", async () => {
    const owner = await signUp(server);
    const outsider = await signUp(server);
    const ownerCaller = await callerFor(owner.cookie);
    const [organization] = await ownerCaller.organization.list();
    if (!organization) throw new Error("owner has no organization");

    expect(await ownerCaller.organization.byId({ organizationId: organization.id })).toMatchObject({
      role: "owner",
    });
    expect(await trpcCode(ownerCaller.organization.byId({ organizationId: "does-not-exist" }))).toBe(
      "NOT_FOUND",
    );
    const outsiderCaller = await callerFor(outsider.cookie);
    expect(await trpcCode(outsiderCaller.organization.byId({ organizationId: organization.id }))).toBe(
      "FORBIDDEN",
    );

    // A viewer may read; the role ladder is enforced by requireRole for higher minimums.
    await server.database.db.member.create({
      data: {
        id: crypto.randomUUID(),
        organizationId: organization.id,
        userId: outsider.userId,
        role: "viewer",
      },
    });
    expect(await outsiderCaller.organization.byId({ organizationId: organization.id })).toMatchObject({
      role: "viewer",
    });
    await expect(
      server.services.organizations.requireRole(organization.id, outsider.userId, "member"),
    ).rejects.toMatchObject({
      code: "FORBIDDEN",
      reason: "ROLE_TOO_LOW",
    });
  });

  it("invalid input is BAD_REQUEST with field errors", async () => {
    const user = await signUp(server);
    const caller = await callerFor(user.cookie);
    expect(await trpcCode(caller.organization.byId({ organizationId: "" }))).toBe("BAD_REQUEST");
    const [organization] = await caller.organization.list();
    const error = await caller.organization
      .rename({ organizationId: organization?.id ?? "", name: "bad\u0000name" })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TRPCError);
    expect((error as TRPCError).code).toBe("BAD_REQUEST");
  });

  it("rename needs admin, and is audited with the change", async () => {
    const owner = await signUp(server);
    const member = await signUp(server);
    const ownerCaller = await callerFor(owner.cookie);
    const [organization] = await ownerCaller.organization.list();
    if (!organization) throw new Error("owner has no organization");
    await server.database.db.member.create({
      data: {
        id: crypto.randomUUID(),
        organizationId: organization.id,
        userId: member.userId,
        role: "member",
      },
    });
    const memberCaller = await callerFor(member.cookie);
    expect(
      await trpcCode(memberCaller.organization.rename({ organizationId: organization.id, name: "Nope" })),
    ).toBe("FORBIDDEN");
    expect(
      await ownerCaller.organization.rename({ organizationId: organization.id, name: "Acme Platform" }),
    ).toEqual({
      id: organization.id,
      name: "Acme Platform",
    });
    const events = await server.services.audit.listForOrganization(server.database.db, organization.id, 10);
    expect(events[0]).toMatchObject({
      action: "organization.update",
      actorUserId: owner.userId,
      metadata: { name: "Acme Platform" },
    });
  });

  it("limits API requests per user, across instances sharing the database", async () => {
    const user = await signUp(server);
    const session = await sessionFor(server, user.cookie);
    // Two service sets stand in for two Hangar instances: they share the counter through PostgreSQL.
    const limits = { ...TEST_LIMITS, apiRequestsPerMinute: 3 };
    const silentLogger = createLogger({ level: "silent" });
    const instanceA = createServices({
      db: server.database.db,
      pool: server.database.pool,
      queue: server.queue,
      limits,
      logger: silentLogger,
      environmentEncryption: testEnvironmentEncryption,
    });
    const instanceB = createServices({
      db: server.database.db,
      pool: server.database.pool,
      queue: server.queue,
      limits,
      logger: silentLogger,
      environmentEncryption: testEnvironmentEncryption,
    });
    const callerA = createCaller(createContextInner({ services: instanceA, session }));
    const callerB = createCaller(createContextInner({ services: instanceB, session }));
    await callerA.account.me();
    await callerB.account.me();
    await callerA.account.me();
    const error = await callerB.account.me().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TRPCError);
    expect((error as TRPCError).code).toBe("TOO_MANY_REQUESTS");
    expect((error as TRPCError).message).toMatch(/3 requests per minute.*resets in \d+ seconds/);
  });
});
