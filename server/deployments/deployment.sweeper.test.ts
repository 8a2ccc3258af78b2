// Nothing stays non-terminal: the sweeper fails a deployment that waited too long in the queue, asks one
// that ran too long to cancel, and hands deployments with a dead worker's lease or a lost job back to
// the queue.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../test/harness.ts";

describe("deployment sweeper", () => {
  let server: TestServer;
  let projectId: string;

  beforeAll(async () => {
    server = await startTestServer({
      deploymentWorker: false,
      deploymentSettings: (settings) => ({
        ...settings,
        sweep: { intervalMs: 60_000, requeueAfterMs: 1_000, maxQueuedMs: 60_000, maxRunningMs: 120_000 },
      }),
    });
    const organization = await server.database.db.organization.create({
      data: { id: crypto.randomUUID(), name: "Acme", slug: `acme-${crypto.randomUUID().slice(0, 6)}` },
      select: { id: true },
    });
    ({ id: projectId } = await server.database.db.project.create({
      data: {
        organizationId: organization.id,
        name: "web",
        installationId: 1n,
        repositoryId: 1n,
        repositoryFullName: "acme/web",
        productionBranch: "main",
        flyAppName: "acme-sweeper-test",
        region: "ams",
      },
      select: { id: true },
    }));
  });
  afterAll(() => server.close());

  let number = 0;
  async function deployment(fields: {
    flyAppName: string;
    status: string;
    createdAt?: Date;
    startedAt?: Date;
    leaseExpiresAt?: Date;
  }) {
    number += 1;
    return server.database.db.deployment.create({
      data: {
        projectId,
        number,
        environment: "production",
        trigger: "push",
        branch: "main",
        commitSha: "b".repeat(40),
        ...(fields.leaseExpiresAt ? { leaseOwner: "dead-worker" } : {}),
        ...fields,
      },
      select: { id: true },
    });
  }
  const ago = (ms: number) => new Date(Date.now() - ms);
  const row = (id: string) =>
    server.database.db.deployment.findUniqueOrThrow({
      where: { id },
      select: { status: true, failureReason: true, cancelRequestedAt: true },
    });

  it("ends, cancels or requeues whatever would otherwise wait forever", async () => {
    const stale = await deployment({ flyAppName: "app-stale", status: "queued", createdAt: ago(61_000) });
    const endless = await deployment({
      flyAppName: "app-endless",
      status: "building",
      startedAt: ago(121_000),
      leaseExpiresAt: new Date(Date.now() + 60_000),
    });
    const orphaned = await deployment({
      flyAppName: "app-orphaned",
      status: "deploying",
      startedAt: ago(5_000),
      leaseExpiresAt: ago(1_000),
    });
    const forgotten = await deployment({
      flyAppName: "app-forgotten",
      status: "queued",
      createdAt: ago(2_000),
    });
    const fresh = await deployment({ flyAppName: "app-fresh", status: "queued" });

    const result = await server.deployments.sweeper.sweep();
    expect(result.expired).toEqual([stale.id]);
    expect(await row(stale.id)).toMatchObject({
      status: "failed",
      failureReason: "Waited in the queue for more than 1 minute.",
    });
    expect((await row(endless.id)).cancelRequestedAt).not.toBeNull();
    expect(result.resumed).toEqual([orphaned.id]);
    expect(result.requeued).toEqual([forgotten.id]);
    expect(result.requeued).not.toContain(fresh.id);

    const jobs = await server.database.pool.query<{ deploymentId: string }>(
      `SELECT data->>'deploymentId' AS "deploymentId" FROM pgboss.job WHERE name = 'deployment-run'`,
    );
    expect(jobs.rows.map((job) => job.deploymentId).sort()).toEqual([orphaned.id, forgotten.id].sort());
  });
});
