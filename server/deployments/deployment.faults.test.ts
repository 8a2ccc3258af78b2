// Fly.io misbehaving (SPEC §8): with 30% of the Machines API's answers errors, 429s or timeouts, every
// deployment still ends in a terminal state with a reason, and once the faults stop a deployment goes
// live again.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isTerminalDeployment, pushCommit, waitForDeployment } from "../test/deployments.ts";
import { startProjectWorld, type ProjectWorld } from "../test/projects.ts";

describe("deployments under Fly faults", { timeout: 180_000 }, () => {
  let world: ProjectWorld;
  let projectId: string;

  beforeAll(async () => {
    world = await startProjectWorld();
    const caller = await world.callerFor(world.cookie);
    ({ id: projectId } = await caller.project.create({
      organizationId: world.organizationId,
      repository: "acme/web",
      name: "faulty",
      flyAppName: `faults-${crypto.randomUUID().slice(0, 8)}`,
      region: "ams",
    }));
  });
  afterAll(() => world.close());

  it("ends every deployment in a terminal state, and deploys again once the faults stop", async () => {
    await world.fly.control("POST", "/faults", {
      errorRate: 0.15,
      rateLimitRate: 0.1,
      retryAfterSeconds: 0,
      timeoutRate: 0.05,
      routes: ["/v1/apps/*/machines", "/v1/apps/*/secrets"],
    });
    const outcomes: string[] = [];
    for (let round = 1; round <= 4; round++) {
      const sha = await pushCommit(world, { message: `under faults ${round}` });
      const ended = await waitForDeployment(
        world,
        projectId,
        (d) => d.commitSha === sha && isTerminalDeployment(d),
        60_000,
      );
      outcomes.push(ended.status);
      if (ended.status === "failed") expect(ended.failureReason).toBeTruthy();
    }
    expect(outcomes.every((status) => status === "live" || status === "failed")).toBe(true);
    // The faults did happen: the emulator answered some calls with them.
    const faulted = (await world.fly.requests()).filter((request) => request.fault !== null);
    expect(faulted.length).toBeGreaterThan(0);

    await world.fly.control("DELETE", "/faults");
    const sha = await pushCommit(world, { message: "faults over" });
    const ended = await waitForDeployment(
      world,
      projectId,
      (d) => d.commitSha === sha && isTerminalDeployment(d),
      60_000,
    );
    expect(ended.status).toBe("live");
    const running = await world.server.database.db.deployment.count({
      where: { projectId, status: { notIn: ["live", "failed", "cancelled", "superseded"] } },
    });
    expect(running).toBe(0);
  });
});
