import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../test/database.ts";
import { createAuditRepository } from "./audit.repository.ts";
import { createAuditService, type AuditService } from "./audit.service.ts";
import { runWithCorrelation } from "../observability/context.ts";

describe("audit trail", () => {
  let database: TestDatabase;
  let audit: AuditService;
  beforeAll(async () => {
    database = await createTestDatabase();
    audit = createAuditService({ repository: createAuditRepository() });
  });
  afterAll(() => database.drop());

  it("records the event with the request's id, IP and user agent", async () => {
    await runWithCorrelation({ requestId: "req-1", ipAddress: "203.0.113.9", userAgent: "vitest" }, () =>
      audit.record(database.db, { action: "auth.sign_in", actorUserId: "user-1", organizationId: "org-1" }),
    );
    const [event] = await audit.listForOrganization(database.db, "org-1", 10);
    expect(event).toMatchObject({
      action: "auth.sign_in",
      actorUserId: "user-1",
      requestId: "req-1",
      ipAddress: "203.0.113.9",
      userAgent: "vitest",
    });
  });

  it("commits or rolls back with the caller's transaction", async () => {
    await expect(
      database.db.$transaction(async (tx) => {
        await audit.record(tx, { action: "organization.create", organizationId: "org-rolled-back" });
        throw new Error("the action failed");
      }),
    ).rejects.toThrow("the action failed");
    expect(await audit.listForOrganization(database.db, "org-rolled-back", 10)).toEqual([]);
  });

  it("is append-only: the database refuses UPDATE, DELETE and TRUNCATE", async () => {
    await audit.record(database.db, { action: "auth.sign_out", organizationId: "org-2" });
    await expect(database.pool.query(`UPDATE audit_event SET action = 'tampered'`)).rejects.toThrow(
      /append-only/,
    );
    await expect(database.pool.query(`DELETE FROM audit_event`)).rejects.toThrow(/append-only/);
    await expect(database.pool.query(`TRUNCATE audit_event`)).rejects.toThrow(/append-only/);
    expect(await audit.listForOrganization(database.db, "org-2", 10)).toHaveLength(1);
  });
});
