// What a batch of pushes means for the projects that track them, against real projects in PostgreSQL:
// one lookup for the whole batch, and each push paired with its own projects (branch, and repository
// by id or by name in any case).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createProjectRepository } from "../projects/project.repository.ts";
import { startProjectWorld, type ProjectWorld } from "../test/projects.ts";
import type { BranchPush } from "../webhooks/webhook.processor.ts";
import type { PushPayload } from "../webhooks/webhook.schema.ts";
import type { DeploymentRow } from "./deployment.repository.ts";
import { createDeploymentTriggers } from "./deployment-triggers.ts";

describe("deployment triggers", () => {
  let world: ProjectWorld;
  let repositoryId: number;
  let webId: string;

  beforeAll(async () => {
    world = await startProjectWorld();
    const caller = await world.callerFor(world.cookie);
    const create = (name: string, productionBranch: string) =>
      caller.project.create({
        organizationId: world.organizationId,
        repository: "acme/web",
        name,
        productionBranch,
        flyAppName: `${name}-${crypto.randomUUID().slice(0, 8)}`,
        region: "ams",
      });
    const web = await create("web", "main");
    webId = web.id;
    await create("docs", "docs");
    const paused = await create("paused", "main");
    await caller.project.update({
      organizationId: world.organizationId,
      projectId: paused.id,
      settings: { autoDeploy: false },
    });
    const row = await createProjectRepository().findById(world.server.database.db, web.id);
    repositoryId = Number(row?.repositoryId);
  });
  afterAll(() => world.close());

  const push = (repository: string, branch: string, id = repositoryId): BranchPush => ({
    repository,
    branch,
    deliveryRowId: crypto.randomUUID(),
    payload: {
      ref: `refs/heads/${branch}`,
      before: "0".repeat(40),
      after: "a".repeat(40),
      deleted: false,
      head_commit: null,
      repository: { id, name: repository.split("/")[1] ?? "", full_name: repository },
    } satisfies PushPayload,
  });

  it("looks the batch up once and pairs every push with the projects that track it", async () => {
    const projects = createProjectRepository();
    let lookups = 0;
    const requested: string[] = [];
    const triggers = createDeploymentTriggers({
      projects: {
        ...projects,
        listTracking: (...args) => {
          lookups++;
          return projects.listTracking(...args);
        },
      },
      deployments: {
        request: (_db, project, request) => {
          requested.push(`${project.name}@${request.branch}`);
          return Promise.resolve({ number: requested.length } as DeploymentRow);
        },
      },
    });
    const db = world.server.database.db;
    const pushes = [
      push("acme/web", "main"),
      // The name in another case, under an id no project has: matched by name.
      push("ACME/Web", "docs", 987_654_321),
      // Renamed on GitHub: matched by the repository id.
      push("acme/renamed", "main"),
      push("acme/web", "feature"),
      push("other/repo", "main", 987_654_321),
    ];
    const decide = await triggers.matchPushes(db, pushes);
    const outcomes = [];
    for (const each of pushes) outcomes.push(await decide(db, each));

    expect(lookups).toBe(1);
    expect(requested).toEqual(["web@main", "docs@docs", "web@main"]);
    expect(outcomes).toEqual([
      { status: "processed", reason: "deployment #1 queued" },
      { status: "processed", reason: "deployment #2 queued" },
      { status: "processed", reason: "deployment #3 queued" },
      { status: "ignored", reason: "ignored: no project tracks acme/web@feature" },
      { status: "ignored", reason: "ignored: no project tracks other/repo@main" },
    ]);
  });

  it("says auto-deploy is off when only paused projects track the branch", async () => {
    const caller = await world.callerFor(world.cookie);
    await caller.project.update({
      organizationId: world.organizationId,
      projectId: webId,
      settings: { autoDeploy: false },
    });
    const triggers = createDeploymentTriggers({
      projects: createProjectRepository(),
      deployments: { request: () => Promise.reject(new Error("nothing should be requested")) },
    });
    const db = world.server.database.db;
    const main = push("acme/web", "main");
    const decide = await triggers.matchPushes(db, [main]);
    expect(await decide(db, main)).toEqual({
      status: "ignored",
      reason: "ignored: auto-deploy is off for web, paused",
    });
  });
});
