// The database rules deployments rely on, checked against PostgreSQL itself: one running deployment per
// app whoever asks, leases that only their owner renews, and a takeover only after a lease expires.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../test/database.ts";
import { createDeploymentRepository } from "./deployment.repository.ts";

describe("deployment repository", () => {
  let database: TestDatabase;
  const repository = createDeploymentRepository();
  let projectId: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    const organization = await database.db.organization.create({
      data: { id: crypto.randomUUID(), name: "Acme", slug: `acme-${crypto.randomUUID().slice(0, 6)}` },
      select: { id: true },
    });
    ({ id: projectId } = await database.db.project.create({
      data: {
        organizationId: organization.id,
        name: "web",
        installationId: 1n,
        repositoryId: 1n,
        repositoryFullName: "acme/web",
        productionBranch: "main",
        flyAppName: "acme-web-repo-test",
        region: "ams",
      },
      select: { id: true },
    }));
  });
  afterAll(() => database.drop());

  async function queue(flyAppName = "acme-web-repo-test") {
    const number = await repository.allocateNumber(database.db, projectId);
    return repository.insert(database.db, number, {
      projectId,
      environment: "production",
      flyAppName,
      trigger: "push",
      branch: "main",
      commitSha: "a".repeat(40),
      commitMessage: null,
      commitAuthor: null,
    });
  }

  it("lets exactly one of several workers start deployments of one app at a time", async () => {
    const first = await queue();
    const second = await queue();
    const claims = await Promise.all([
      repository.claim(database.db, first.id, "worker-a", 30),
      repository.claim(database.db, second.id, "worker-b", 30),
    ]);
    expect(claims.map((claim) => claim.kind).sort()).toEqual(["blocked", "claimed"]);
    // A second claim of a held deployment is refused too.
    const held = claims[0]?.kind === "claimed" ? first : second;
    expect((await repository.claim(database.db, held.id, "worker-c", 30)).kind).toBe("unavailable");
    // Another app is not held back.
    const other = await queue("acme-web-other-app");
    expect((await repository.claim(database.db, other.id, "worker-c", 30)).kind).toBe("claimed");
  });

  it("renews a lease for its owner only, and hands an expired one to the next worker", async () => {
    const deployment = await queue("acme-lease-app");
    expect((await repository.claim(database.db, deployment.id, "worker-a", 1)).kind).toBe("claimed");
    expect(await repository.heartbeat(database.db, deployment.id, "worker-b", 30)).toBeNull();
    expect(await repository.heartbeat(database.db, deployment.id, "worker-a", 1)).toEqual({
      cancelRequested: false,
    });
    await repository.requestCancel(database.db, deployment.id, "someone");
    expect(await repository.heartbeat(database.db, deployment.id, "worker-a", 1)).toEqual({
      cancelRequested: true,
    });

    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect((await repository.expiredLeases(database.db)).map((row) => row.id)).toContain(deployment.id);
    const takeover = await repository.claim(database.db, deployment.id, "worker-b", 30);
    expect(takeover.kind).toBe("claimed");
    if (takeover.kind === "claimed") expect(takeover.deployment.attempts).toBe(2);
    // The old owner has lost it: its heartbeat and its finish do nothing.
    expect(await repository.heartbeat(database.db, deployment.id, "worker-a", 30)).toBeNull();
    expect(await repository.finish(database.db, deployment.id, "worker-a", { status: "live" })).toBe(false);
    expect(await repository.finish(database.db, deployment.id, "worker-b", { status: "cancelled" })).toBe(
      true,
    );
  });

  it("supersedes the queued deployments of an app, and numbers deployments per project", async () => {
    const a = await queue("acme-supersede-app");
    const b = await queue("acme-supersede-app");
    expect(b.number).toBe(a.number + 1);
    const superseded = await repository.supersedeQueued(database.db, "acme-supersede-app", b.number + 1);
    expect(superseded.sort()).toEqual([a.id, b.id].sort());
    const row = await repository.find(database.db, a.id);
    expect(row).toMatchObject({ status: "superseded", failureReason: `superseded by #${b.number + 1}` });
  });
});
