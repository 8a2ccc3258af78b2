// A Hangar worker process SIGKILLed in the middle of a rollout: its lease expires, another worker takes
// the deployment over, resumes it at the rollout (the image from its checkpoint, no rebuild) and takes
// it live. One deployment, not two; nothing left in "deploying".
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findFreePort } from "../db/embedded-postgres.ts";
import { FLY_TOKEN } from "../test/fly.ts";
import { TEST_ENCRYPTION_SECRET } from "../test/harness.ts";
import { type HangarProcess, startHangarProcess, waitForReady } from "../test/hangar-process.ts";
import { isTerminalDeployment, pushCommit, waitForDeployment } from "../test/deployments.ts";
import { startProjectWorld, type ProjectWorld } from "../test/projects.ts";

const SLOW_FLY_TOML = [
  "[http_service]",
  "  internal_port = 8080",
  "[[http_service.checks]]",
  // 100 s of emulated time: 2 s of real time at the test emulator's 50× speed.
  '  grace_period = "100s"',
  '  interval = "15s"',
  '  path = "/healthz"',
  '  timeout = "2s"',
  "",
].join("\n");

describe("a worker killed mid-rollout", { timeout: 120_000 }, () => {
  let world: ProjectWorld;
  let worker: HangarProcess | undefined;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "hangar-deploy-crash-"));

  beforeAll(async () => {
    world = await startProjectWorld({ server: { deploymentWorker: false } });
  });
  afterAll(async () => {
    worker?.signalGroup("SIGKILL");
    await world.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("is resumed by another worker and goes live once", async () => {
    const caller = await world.callerFor(world.cookie);
    const appName = `crash-${crypto.randomUUID().slice(0, 8)}`;
    const project = await caller.project.create({
      organizationId: world.organizationId,
      repository: "acme/web",
      name: "crash",
      flyAppName: appName,
      region: "ams",
    });
    const image = `registry.fly.io/${appName}:crash`;
    await world.fly.control("POST", "/images", { ref: image });

    // A real Hangar worker process, configured for production against the emulators.
    const port = await findFreePort();
    const github = world.github.settings;
    worker = startHangarProcess({
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      HANGAR_DATA_DIR: dataDir,
      DATABASE_URL: world.server.database.url,
      HANGAR_ROLE: "worker",
      LOG_LEVEL: "warn",
      GITHUB_APP_ID: String(github.appId),
      GITHUB_APP_SLUG: github.appSlug,
      GITHUB_APP_PRIVATE_KEY: github.privateKeyPem,
      GITHUB_CLIENT_ID: github.clientId,
      GITHUB_CLIENT_SECRET: github.clientSecret,
      GITHUB_API_URL: github.apiUrl,
      GITHUB_WEB_URL: github.webUrl,
      GITHUB_WEBHOOK_SECRET: github.webhookSecret,
      BETTER_AUTH_SECRET: "crash-test-better-auth-secret-0123456789",
      ENCRYPTION_SECRET: TEST_ENCRYPTION_SECRET,
      FLY_API_URL: world.fly.url,
      HANGAR_BUILDER: "image",
      BUILD_IMAGE_TEMPLATE: "registry.fly.io/{app}:crash",
      DEPLOYMENT_LEASE_SECONDS: "3",
    });
    await waitForReady(`http://127.0.0.1:${port}`, worker);

    const sha = await pushCommit(world, { message: "crash me", files: { "fly.toml": SLOW_FLY_TOML } });
    const rolling = await waitForDeployment(
      world,
      project.id,
      (d) => d.commitSha === sha && d.step === "rollout",
      30_000,
    );
    worker.signalGroup("SIGKILL");
    await worker.exited;

    // Still "deploying", held by a dead worker, until its lease runs out and this process takes over.
    expect(
      (await caller.deployment.byId({ organizationId: world.organizationId, deploymentId: rolling.id }))
        .status,
    ).toBe("deploying");
    const recovery = await world.server.deployments.startWorker();
    try {
      const finished = await waitForDeployment(
        world,
        project.id,
        (d) => d.id === rolling.id && isTerminalDeployment(d),
        40_000,
      );
      expect(finished).toMatchObject({ status: "live", imageRef: image });
      const row = await world.server.database.db.deployment.findUniqueOrThrow({
        where: { id: rolling.id },
        select: { attempts: true },
      });
      expect(row.attempts).toBe(2);
      const all = await caller.deployment.list({
        organizationId: world.organizationId,
        projectId: project.id,
        limit: 10,
      });
      expect(all.filter((d) => d.commitSha === sha)).toHaveLength(1);
      const log = (
        await caller.deployment.logs({ organizationId: world.organizationId, deploymentId: rolling.id })
      )
        .map((line) => line.text)
        .join("\n");
      expect(log).toContain("Resumed by another worker (attempt 2)");
      expect(log.match(/── build ──/g) ?? []).toHaveLength(1);

      const machines = (await (
        await fetch(`${world.fly.url}/v1/apps/${appName}/machines`, {
          headers: { authorization: `Bearer ${FLY_TOKEN}` },
        })
      ).json()) as { state: string; config: { image: string } }[];
      expect(machines.map((machine) => [machine.state, machine.config.image])).toEqual(
        machines.map(() => ["started", image]),
      );
    } finally {
      recovery.stop();
    }
  });
});
