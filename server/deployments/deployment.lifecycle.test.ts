// What can happen to a deployment besides going live: superseded by a newer push, cancelled during the
// build or the rollout, a failed health check, manual deploys, redeploys and rollbacks. Builds are
// slowed down (per log line) so that the test can act while one runs.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FLY_TOKEN } from "../test/fly.ts";
import {
  type DeploymentSummary,
  isTerminalDeployment,
  pushCommit,
  waitForDeployment,
} from "../test/deployments.ts";
import { startProjectWorld, type ProjectWorld } from "../test/projects.ts";

const WEB_DOCKERFILE = [
  "FROM node:24-alpine",
  "WORKDIR /app",
  "COPY package.json ./",
  "RUN npm install --omit=dev",
  "COPY . .",
  "ENV PORT=8080",
  "EXPOSE 8080",
  'CMD ["node", "server.js"]',
  "",
].join("\n");

describe("deployment lifecycle", () => {
  let world: ProjectWorld;
  let caller: Awaited<ReturnType<ProjectWorld["callerFor"]>>;
  let organizationId: string;
  let projectId: string;
  let appName: string;

  const machines = async () => {
    const response = await fetch(`${world.fly.url}/v1/apps/${appName}/machines`, {
      headers: { authorization: `Bearer ${FLY_TOKEN}` },
    });
    return (await response.json()) as { id: string; state: string; config: { image: string } }[];
  };
  const logText = async (deploymentId: string) =>
    (await caller.deployment.logs({ organizationId, deploymentId })).map((line) => line.text).join("\n");
  const terminal = (sha: string) => (d: DeploymentSummary) => d.commitSha === sha && isTerminalDeployment(d);

  beforeAll(async () => {
    world = await startProjectWorld({ server: { builderLineDelayMs: 40 } });
    caller = await world.callerFor(world.cookie);
    organizationId = world.organizationId;
    appName = `life-${crypto.randomUUID().slice(0, 8)}`;
    ({ id: projectId } = await caller.project.create({
      organizationId,
      repository: "acme/web",
      name: "web",
      flyAppName: appName,
      region: "ams",
    }));
    await caller.environmentVariable.set({
      organizationId,
      projectId,
      environment: "production",
      key: "GREETING",
      value: "hello-first-value",
    });
  });
  afterAll(() => world.close());

  let firstLive: DeploymentSummary;

  it("supersedes queued deployments: the latest commit wins", async () => {
    // A health check grace period of 150 s (3 s at the emulator's ×50) keeps the first deployment running
    // while the next two pushes are processed, however loaded the machine is.
    const first = await pushCommit(world, {
      message: "first",
      files: {
        "fly.toml": [
          "[http_service]",
          "  internal_port = 8080",
          "[[http_service.checks]]",
          '  grace_period = "150s"',
          '  interval = "15s"',
          '  path = "/healthz"',
          '  timeout = "2s"',
          "",
        ].join("\n"),
      },
    });
    await waitForDeployment(world, projectId, (d) => d.commitSha === first && d.step === "build");
    const second = await pushCommit(world, { message: "second" });
    const third = await pushCommit(world, { message: "third" });
    firstLive = await waitForDeployment(world, projectId, terminal(first));
    const superseded = await waitForDeployment(world, projectId, terminal(second));
    const latest = await waitForDeployment(world, projectId, terminal(third));
    expect(firstLive.status).toBe("live");
    expect(superseded).toMatchObject({
      status: "superseded",
      failureReason: `superseded by #${latest.number}`,
    });
    expect(latest.status).toBe("live");
    expect((await machines()).map((machine) => machine.config.image)).toEqual(
      (await machines()).map(() => latest.imageRef),
    );
  });

  it("cancels during the build and leaves the app on its previous release", async () => {
    const before = (await machines()).map((machine) => machine.config.image);
    const sha = await pushCommit(world, { message: "to be cancelled" });
    const building = await waitForDeployment(
      world,
      projectId,
      (d) => d.commitSha === sha && d.step === "build",
    );
    await caller.deployment.cancel({ organizationId, deploymentId: building.id });
    const cancelled = await waitForDeployment(world, projectId, terminal(sha));
    expect(cancelled).toMatchObject({ status: "cancelled", failedStep: "build" });
    expect((await machines()).map((machine) => machine.config.image)).toEqual(before);
    expect(await logText(cancelled.id)).toContain("Cancelled; the app stays on its previous release.");
  });

  it("fails a rollout whose health checks fail and restores the previous image", async () => {
    const before = (await machines()).map((machine) => machine.config.image);
    const sha = await pushCommit(world, {
      message: "break the health check",
      files: {
        Dockerfile: WEB_DOCKERFILE.replace("EXPOSE 8080", 'EXPOSE 8080\nLABEL sandbox.health="failing"'),
      },
    });
    const failed = await waitForDeployment(world, projectId, terminal(sha), 40_000);
    expect(failed).toMatchObject({ status: "failed", failedStep: "rollout" });
    expect(failed.failureReason).toMatch(/check/i);
    expect((await machines()).map((machine) => machine.config.image)).toEqual(before);
    // Put the Dockerfile back for the tests after this one.
    await pushCommit(world, { message: "fix the health check", files: { Dockerfile: WEB_DOCKERFILE } });
  });

  it("cancels during the rollout and restores the previous image", async () => {
    const settled = await waitForDeployment(
      world,
      projectId,
      (d) => d.trigger === "push" && d.status === "live" && d.number > firstLive.number + 2,
      40_000,
    );
    const before = (await machines()).map((machine) => machine.config.image);
    expect(before).toEqual(before.map(() => settled.imageRef));
    // A long grace period keeps the rollout waiting for health checks long enough to cancel it.
    const sha = await pushCommit(world, {
      message: "slow health check",
      files: {
        "fly.toml": [
          'app = "acme-web"',
          "[http_service]",
          "  internal_port = 8080",
          "[[http_service.checks]]",
          '  grace_period = "300s"',
          '  interval = "15s"',
          '  path = "/healthz"',
          '  timeout = "2s"',
          "",
        ].join("\n"),
      },
    });
    const rolling = await waitForDeployment(
      world,
      projectId,
      (d) => d.commitSha === sha && d.step === "rollout",
      20_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    await caller.deployment.cancel({ organizationId, deploymentId: rolling.id });
    const cancelled = await waitForDeployment(world, projectId, terminal(sha), 40_000);
    expect(cancelled).toMatchObject({ status: "cancelled", failedStep: "rollout" });
    expect((await machines()).map((machine) => machine.config.image)).toEqual(before);
  });

  it("deploys by hand, redeploys a commit with a fresh build, and rolls back without one", async () => {
    const manual = await caller.deployment.deploy({ organizationId, projectId });
    const live = await waitForDeployment(
      world,
      projectId,
      (d) => d.id === manual.id && isTerminalDeployment(d),
      40_000,
    );
    expect(live).toMatchObject({ status: "live", trigger: "manual" });

    // The redeploy sets the new value on Fly; the rollback to the first release brings the old one back.
    await caller.environmentVariable.set({
      organizationId,
      projectId,
      environment: "production",
      key: "GREETING",
      value: "hello-second-value",
    });
    const redeploy = await caller.deployment.redeploy({ organizationId, deploymentId: live.id });
    const redeployed = await waitForDeployment(
      world,
      projectId,
      (d) => d.id === redeploy.id && isTerminalDeployment(d),
      40_000,
    );
    expect(redeployed).toMatchObject({ status: "live", trigger: "redeploy", commitSha: live.commitSha });
    expect(redeployed.imageRef).not.toBe(live.imageRef);
    expect(await logText(redeployed.id)).toContain("── build ──");
    expect(await logText(redeployed.id)).toContain("Updated 1 secret(s) (GREETING)");

    const rollback = await caller.deployment.rollback({
      organizationId,
      deploymentId: firstLive.id,
      environmentChoice: "snapshot",
    });
    const rolledBack = await waitForDeployment(
      world,
      projectId,
      (d) => d.id === rollback.id && isTerminalDeployment(d),
      40_000,
    );
    expect(rolledBack).toMatchObject({ status: "live", trigger: "rollback", imageRef: firstLive.imageRef });
    const log = await logText(rolledBack.id);
    expect(log).not.toContain("── build ──");
    expect(log).toContain("Updated 1 secret(s) (GREETING)");
    expect(log).not.toContain("hello-first-value");
    expect(log).not.toContain("hello-second-value");
    expect((await machines()).map((machine) => machine.config.image)).toEqual(
      (await machines()).map(() => firstLive.imageRef),
    );
  });

  it("refuses to roll back to a deployment that never went live", async () => {
    const [latest] = await caller.deployment
      .list({ organizationId, projectId, limit: 50 })
      .then((all) => all.filter((d) => d.status === "cancelled"));
    if (!latest) throw new Error("no cancelled deployment");
    await expect(
      caller.deployment.rollback({ organizationId, deploymentId: latest.id, environmentChoice: "current" }),
    ).rejects.toMatchObject({
      code: "PRECONDITION_FAILED",
    });
  });

  it("skips commits marked [skip deploy] and says so on the delivery", async () => {
    const count = (await caller.deployment.list({ organizationId, projectId, limit: 100 })).length;
    await pushCommit(world, { message: "docs only [skip deploy]" });
    const deadline = Date.now() + 5_000;
    let reasons = "";
    while (Date.now() < deadline && !reasons.includes("skip deploy")) {
      reasons = JSON.stringify(await caller.webhookDelivery.list({ organizationId }));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(reasons).toContain("skip deploy");
    expect((await caller.deployment.list({ organizationId, projectId, limit: 100 })).length).toBe(count);
  });
});
