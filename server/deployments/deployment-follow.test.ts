// The live log over real HTTP: the tRPC subscription streams a running deployment's status and lines as
// server-sent events, ends when the deployment does, and resumes after Last-Event-ID without a gap.
import superjson from "superjson";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isTerminalDeployment, pushCommit, waitForDeployment } from "../test/deployments.ts";
import { startProjectWorld, type ProjectWorld } from "../test/projects.ts";

type FollowEvent = {
  id: string | undefined;
  data: { deployment: { status: string }; lines: { seq: number; text: string }[] };
};

/** Reads the SSE stream to its end (the deployment ended) and returns its data events. */
async function follow(
  world: ProjectWorld,
  deploymentId: string,
  lastEventId?: string,
): Promise<FollowEvent[]> {
  const input = encodeURIComponent(
    JSON.stringify(superjson.serialize({ organizationId: world.organizationId, deploymentId })),
  );
  const response = await fetch(`${world.server.url}/api/trpc/deployment.follow?input=${input}`, {
    headers: {
      cookie: world.cookie,
      accept: "text/event-stream",
      ...(lastEventId ? { "last-event-id": lastEventId } : {}),
    },
    signal: AbortSignal.timeout(30_000),
  });
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toContain("text/event-stream");
  const events: FollowEvent[] = [];
  for (const block of (await response.text()).split("\n\n")) {
    const fields = new Map<string, string>();
    for (const line of block.split("\n")) {
      const index = line.indexOf(":");
      if (index > 0) fields.set(line.slice(0, index), line.slice(index + 1).trimStart());
    }
    const data = fields.get("data");
    if (!data || fields.has("event")) continue;
    events.push({ id: fields.get("id"), data: superjson.deserialize(JSON.parse(data) as never) });
  }
  return events;
}

describe("following a deployment live", () => {
  let world: ProjectWorld;
  let projectId: string;

  beforeAll(async () => {
    world = await startProjectWorld({ server: { builderLineDelayMs: 20 } });
    const caller = await world.callerFor(world.cookie);
    ({ id: projectId } = await caller.project.create({
      organizationId: world.organizationId,
      repository: "acme/web",
      name: "follow",
      flyAppName: `follow-${crypto.randomUUID().slice(0, 8)}`,
      region: "ams",
    }));
  });
  afterAll(() => world.close());

  it("streams status and every line while it runs, then ends; a resume misses nothing", async () => {
    const sha = await pushCommit(world, { message: "watch me" });
    const queued = await waitForDeployment(world, projectId, (d) => d.commitSha === sha);
    const events = await follow(world, queued.id);

    const statuses = events.map((event) => event.data.deployment.status);
    expect(statuses.at(-1)).toBe("live");
    expect(statuses).toContain("building");
    const seqs = events.flatMap((event) => event.data.lines.map((line) => line.seq));
    expect(seqs).toEqual(seqs.map((_, index) => index + 1));
    const finished = await waitForDeployment(
      world,
      projectId,
      (d) => d.id === queued.id && isTerminalDeployment(d),
    );
    const caller = await world.callerFor(world.cookie);
    const stored = await caller.deployment.logs({
      organizationId: world.organizationId,
      deploymentId: finished.id,
    });
    expect(seqs).toHaveLength(stored.length);

    // EventSource sends the last id it saw when it reconnects: the stream continues after that line.
    const middle = Math.floor(stored.length / 2);
    const resumed = await follow(world, queued.id, String(middle));
    const resumedSeqs = resumed.flatMap((event) => event.data.lines.map((line) => line.seq));
    expect(resumedSeqs[0]).toBe(middle + 1);
    expect(resumedSeqs.at(-1)).toBe(stored.length);
  });

  it("refuses an anonymous caller: an error event, no data", async () => {
    const caller = await world.callerFor(world.cookie);
    const [latest] = await caller.deployment.list({
      organizationId: world.organizationId,
      projectId,
      limit: 1,
    });
    if (!latest) throw new Error("no deployment");
    const input = encodeURIComponent(
      JSON.stringify(superjson.serialize({ organizationId: world.organizationId, deploymentId: latest.id })),
    );
    const anonymous = await fetch(`${world.server.url}/api/trpc/deployment.follow?input=${input}`, {
      headers: { accept: "text/event-stream" },
    });
    // Over SSE the refusal is an error event in the stream (the status line is already sent).
    const body = await anonymous.text();
    expect(body).toContain("UNAUTHORIZED");
    expect(body).not.toContain("lines");
  });
});
