// The installation lifecycle handlers, called directly with GitHub's example payloads on a real database.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAuditRepository } from "../audit/audit.repository.ts";
import { createAuditService } from "../audit/audit.service.ts";
import { createTestDatabase, type TestDatabase } from "../test/database.ts";
import { webhookExamples } from "../test/webhook-examples.ts";
import type { InstallationHandlers } from "../webhooks/webhook.processor.ts";
import {
  type InstallationPayload,
  type InstallationRepositoriesPayload,
  installationPayload,
  installationRepositoriesPayload,
} from "../webhooks/webhook.schema.ts";
import { createInstallationRepository } from "./github.repository.ts";
import { createInstallationHandlers } from "./installation-handlers.ts";

function example(event: "installation", action: string): InstallationPayload;
function example(event: "installation_repositories", action: string): InstallationRepositoriesPayload;
function example(event: string, action: string) {
  const found = webhookExamples(event).find((candidate) => candidate.action === action);
  if (!found) throw new Error(`no ${event}.${action} example`);
  const schema = event === "installation" ? installationPayload : installationRepositoriesPayload;
  return schema.parse(structuredClone(found));
}

/** The same example payload about another installation id, so each test has its own row. */
function withInstallationId<T extends { installation: { id: number } }>(payload: T, id: number): T {
  return { ...payload, installation: { ...payload.installation, id } };
}

describe("installation lifecycle handlers", () => {
  let database: TestDatabase;
  let handlers: InstallationHandlers;
  const repository = createInstallationRepository();
  const audit = createAuditService({ repository: createAuditRepository() });
  const revoked: number[] = [];
  let nextId = 5_000_000;

  beforeAll(async () => {
    database = await createTestDatabase();
    handlers = createInstallationHandlers({
      repository,
      audit,
      onAccessRevoked: (installationId) => revoked.push(installationId),
    });
  });
  afterAll(() => database.drop());

  const stored = (id: number) =>
    database.db.gitHubInstallation.findUnique({
      where: { id: BigInt(id) },
      include: { repositories: { orderBy: { fullName: "asc" } } },
    });

  async function linkedToNewOrganization(id: number): Promise<string> {
    const organization = await database.db.organization.create({
      data: { id: randomUUID(), name: "Acme", slug: `acme-${id}` },
    });
    await repository.update(database.db, id, { organizationId: organization.id, linkedAt: new Date() });
    return organization.id;
  }

  it("created: records the installation and its repositories, not yet connected to an organization", async () => {
    const id = nextId++;
    const payload = withInstallationId(example("installation", "created"), id);
    const outcome = await handlers.onInstallation(database.db, payload);
    expect(outcome).toEqual({
      status: "processed",
      reason: `installation ${id} (Codertocat) created with 1 repositories; not connected to an organization yet`,
    });
    const row = await stored(id);
    expect(row).toMatchObject({
      accountLogin: "Codertocat",
      accountType: "User",
      repositorySelection: "selected",
      organizationId: null,
      suspendedAt: null,
      deletedAt: null,
    });
    expect(row?.repositories.map((repo) => repo.fullName)).toEqual(["Codertocat/Hello-World"]);

    // A redelivery changes nothing.
    await handlers.onInstallation(database.db, payload);
    expect((await stored(id))?.repositories).toHaveLength(1);
  });

  it("installation_repositories: adds and removes repositories, and audits it for a linked installation", async () => {
    const id = nextId++;
    await handlers.onInstallation(database.db, withInstallationId(example("installation", "created"), id));
    const organizationId = await linkedToNewOrganization(id);

    const added = withInstallationId(example("installation_repositories", "added"), id);
    expect(await handlers.onInstallationRepositories(database.db, added)).toEqual({
      status: "processed",
      reason: `installation ${id} (Codertocat): 1 repositories added, 0 removed`,
    });
    expect((await stored(id))?.repositories.map((repo) => repo.fullName)).toEqual([
      "Codertocat/Hello-World",
      "Codertocat/Space",
    ]);

    const helloWorld = (await stored(id))?.repositories.find(
      (repo) => repo.fullName === "Codertocat/Hello-World",
    );
    const removed: InstallationRepositoriesPayload = {
      ...added,
      action: "removed",
      repositories_added: [],
      repositories_removed: [
        { id: Number(helloWorld?.repositoryId), name: "Hello-World", full_name: "Codertocat/Hello-World" },
      ],
    };
    await handlers.onInstallationRepositories(database.db, removed);
    expect((await stored(id))?.repositories.map((repo) => repo.fullName)).toEqual(["Codertocat/Space"]);

    const events = await audit.listForOrganization(database.db, organizationId, 10);
    expect(events.map((event) => event.action)).toEqual([
      "github.repositories_changed",
      "github.repositories_changed",
    ]);
    expect(events[1]?.metadata).toEqual({ added: ["Codertocat/Space"], removed: [] });
  });

  it("suspend and unsuspend: tracked, audited, and the installation's cached token dropped", async () => {
    const id = nextId++;
    await handlers.onInstallation(database.db, withInstallationId(example("installation", "created"), id));
    const organizationId = await linkedToNewOrganization(id);

    const suspend = withInstallationId(example("installation", "suspend"), id);
    expect(await handlers.onInstallation(database.db, suspend)).toMatchObject({ status: "processed" });
    expect((await stored(id))?.suspendedAt?.toISOString()).toBe("2021-04-29T02:32:50.000Z");
    expect(revoked).toContain(id);

    await handlers.onInstallation(database.db, withInstallationId(example("installation", "unsuspend"), id));
    expect((await stored(id))?.suspendedAt).toBeNull();

    const actions = (await audit.listForOrganization(database.db, organizationId, 10)).map(
      (event) => event.action,
    );
    expect(actions).toEqual(["github.installation_unsuspended", "github.installation_suspended"]);
  });

  it("new_permissions_accepted: refreshes what GitHub says about the installation", async () => {
    const id = nextId++;
    await handlers.onInstallation(database.db, withInstallationId(example("installation", "created"), id));
    const outcome = await handlers.onInstallation(
      database.db,
      withInstallationId(example("installation", "new_permissions_accepted"), id),
    );
    expect(outcome.reason).toContain("new permissions accepted");
    expect((await stored(id))?.repositorySelection).toBe("all");
  });

  it("deleted: a tombstone without repositories that late, out-of-order deliveries cannot revive", async () => {
    const id = nextId++;
    await handlers.onInstallation(database.db, withInstallationId(example("installation", "created"), id));
    const organizationId = await linkedToNewOrganization(id);

    const deleted = withInstallationId(example("installation", "deleted"), id);
    expect(await handlers.onInstallation(database.db, deleted)).toMatchObject({ status: "processed" });
    const row = await stored(id);
    expect(row?.deletedAt).toBeInstanceOf(Date);
    expect(row?.repositories).toEqual([]);
    expect(revoked).toContain(id);

    const late = withInstallationId(example("installation_repositories", "added"), id);
    expect(await handlers.onInstallationRepositories(database.db, late)).toEqual({
      status: "ignored",
      reason: `ignored: installation ${id} (Codertocat) was already deleted`,
    });
    expect(
      await handlers.onInstallation(database.db, withInstallationId(example("installation", "created"), id)),
    ).toMatchObject({ status: "ignored" });
    expect((await stored(id))?.repositories).toEqual([]);
    expect(await repository.listForOrganization(database.db, organizationId)).toEqual([]);
    const actions = (await audit.listForOrganization(database.db, organizationId, 10)).map(
      (event) => event.action,
    );
    expect(actions).toEqual(["github.installation_deleted"]);
  });

  it("a repositories event for an installation not seen yet records it (deliveries can arrive out of order)", async () => {
    const id = nextId++;
    const outcome = await handlers.onInstallationRepositories(
      database.db,
      withInstallationId(example("installation_repositories", "added"), id),
    );
    expect(outcome.status).toBe("processed");
    expect((await stored(id))?.repositories.map((repo) => repo.fullName)).toEqual(["Codertocat/Space"]);
  });
});
