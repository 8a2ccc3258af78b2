// Push to live against the GitHub and Fly.io emulators over HTTP: webhook → queue → source → sandbox
// build → secrets → rollout → live, with the log stored redacted and GitHub told at every step.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FLY_TOKEN } from "../test/fly.ts";
import { isTerminalDeployment, pushCommit, waitForDeployment } from "../test/deployments.ts";
import { startProjectWorld, type ProjectWorld } from "../test/projects.ts";

describe("deployments", () => {
  let world: ProjectWorld;
  let caller: Awaited<ReturnType<ProjectWorld["callerFor"]>>;
  let projectId: string;
  let appName: string;

  const fly = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${world.fly.url}/v1${path}`, {
      headers: { authorization: `Bearer ${FLY_TOKEN}` },
    });
    return (await response.json()) as T;
  };

  beforeAll(async () => {
    world = await startProjectWorld();
    caller = await world.callerFor(world.cookie);
    appName = `deploy-${crypto.randomUUID().slice(0, 8)}`;
    const project = await caller.project.create({
      organizationId: world.organizationId,
      repository: "acme/web",
      name: "web",
      flyAppName: appName,
      region: "ams",
    });
    projectId = project.id;
    await caller.environmentVariable.set({
      organizationId: world.organizationId,
      projectId,
      environment: "production",
      key: "API_SECRET",
      value: "s3cr3t-value-that-must-not-leak",
    });
  });
  afterAll(() => world.close());

  it("deploys a push to the production branch and records it on the delivery", async () => {
    const sha = await pushCommit(world, { message: "Say hello" });
    const deployment = await waitForDeployment(
      world,
      projectId,
      (d) => d.commitSha === sha && isTerminalDeployment(d),
    );
    expect(deployment).toMatchObject({ status: "live", trigger: "push", failureReason: null });
    expect(deployment.imageRef).toMatch(new RegExp(`^registry\\.fly\\.io/${appName}:hangar-1-`));

    const machines = await fly<
      { id: string; state: string; config: { image: string; metadata: Record<string, string> } }[]
    >(`/apps/${appName}/machines`);
    expect(machines.length).toBeGreaterThan(0);
    for (const machine of machines) {
      expect(machine.state).toBe("started");
      expect(machine.config.image).toBe(deployment.imageRef);
    }
    const secrets = await fly<{ name: string }[] | { secrets: { name: string }[] }>(
      `/apps/${appName}/secrets`,
    );
    expect(JSON.stringify(secrets)).toContain("API_SECRET");

    const inbox = await caller.webhookDelivery.list({ organizationId: world.organizationId });
    expect(JSON.stringify(inbox)).toContain(`deployment #${deployment.number} queued`);

    const lines = await caller.deployment.logs({
      organizationId: world.organizationId,
      deploymentId: deployment.id,
    });
    const text = lines.map((line) => line.text).join("\n");
    expect(text).toContain("── build ──");
    expect(text).toContain(`Deployment #${deployment.number} is live.`);
    expect(text).not.toContain("s3cr3t-value-that-must-not-leak");
    expect(lines.map((line) => line.seq)).toEqual(lines.map((_, index) => index + 1));

    // Prometheus sees it: deployment durations by outcome.
    const metrics = await (await fetch(`${world.server.url}/metrics`)).text();
    expect(metrics).toMatch(/hangar_deployment_duration_seconds_count\{outcome="live"\} [1-9]/);
  });

  it("redacts secret values, also base64- and URL-encoded, before a log line is stored", async () => {
    const secret = "s3cr3t-value-that-must-not-leak";
    const encoded = Buffer.from(secret).toString("base64");
    const sha = await pushCommit(world, {
      message: `oops ${secret} and ${encoded} and ${encodeURIComponent(secret + "/x")}`,
    });
    const deployment = await waitForDeployment(
      world,
      projectId,
      (d) => d.commitSha === sha && isTerminalDeployment(d),
    );
    const stored = await world.server.database.db.deploymentLogLine.findMany({
      where: { deploymentId: deployment.id },
      select: { text: true },
    });
    const text = stored.map((line) => line.text).join("\n");
    expect(text).toContain("oops [redacted] and [redacted]");
    expect(text).not.toContain(secret);
    expect(text).not.toContain(encoded);
  });

  it("marks the environment 'redeploy needed' after a variable changes, until a deployment syncs it", async () => {
    const scope = { organizationId: world.organizationId, projectId };
    expect((await caller.project.byId(scope)).redeployNeeded).toEqual({ production: false, preview: false });
    await caller.environmentVariable.set({
      ...scope,
      environment: "production",
      key: "NEW_FLAG",
      value: "on",
    });
    expect((await caller.project.byId(scope)).redeployNeeded).toEqual({ production: true, preview: false });
    const deployment = await caller.deployment.deploy(scope);
    await waitForDeployment(world, projectId, (d) => d.id === deployment.id && isTerminalDeployment(d));
    expect((await caller.project.byId(scope)).redeployNeeded).toEqual({ production: false, preview: false });
  });

  it("tells GitHub: a deployment with queued, in_progress and success statuses", async () => {
    const [latest] = await caller.deployment.list({
      organizationId: world.organizationId,
      projectId,
      limit: 1,
    });
    if (!latest) throw new Error("no deployment");
    const deadline = Date.now() + 10_000;
    let states: string[] = [];
    while (Date.now() < deadline) {
      const response = await fetch(`${world.github.settings.webUrl}/_emulator/deployments`);
      const all = (await response.json()) as {
        sha: string;
        statuses: { state: string; log_url?: string; environment_url?: string }[];
      }[];
      // Several deployments share this commit (the later ones redeploy it): find this one's by its log URL.
      const mine = all.find((candidate) =>
        candidate.statuses.some((status) => status.log_url?.endsWith(`/deployments/${latest.id}`)),
      );
      states = mine?.statuses.map((status) => status.state) ?? [];
      if (states.includes("success")) {
        expect(mine?.statuses.at(-1)?.log_url).toContain(`/deployments/${latest.id}`);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(states).toEqual(["queued", "in_progress", "success"]);
  });
});
