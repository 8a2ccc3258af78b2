// Projects against the GitHub and Fly.io emulators over HTTP: creation checks the repository and
// creates the Fly app, every invalid field is a field error, and a failure half-way leaves neither side
// half-created.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FLY_TOKEN } from "../test/fly.ts";
import { signUp } from "../test/harness.ts";
import { failure } from "../test/trpc.ts";
import { startProjectWorld, type ProjectWorld } from "../test/projects.ts";
import { createLogger } from "../observability/logger.ts";
import { createProjectRepository } from "./project.repository.ts";
import { createProjectService } from "./project.service.ts";

describe("projects", () => {
  let world: ProjectWorld;
  let caller: Awaited<ReturnType<ProjectWorld["callerFor"]>>;
  let organizationId: string;

  const flyApp = async (name: string) =>
    (await fetch(`${world.fly.url}/v1/apps/${name}`, { headers: { authorization: `Bearer ${FLY_TOKEN}` } }))
      .status;

  const base = () => ({
    organizationId,
    repository: "acme/web",
    name: `web-${crypto.randomUUID().slice(0, 8)}`,
    flyAppName: `acme-web-${crypto.randomUUID().slice(0, 8)}`,
    region: "ams",
  });

  beforeAll(async () => {
    world = await startProjectWorld();
    caller = await world.callerFor(world.cookie);
    organizationId = world.organizationId;
  });
  afterAll(() => world.close());

  it("creates a project from a repository: defaults, the Fly app, and the audit event", async () => {
    const input = base();
    const project = await caller.project.create(input);
    expect(project).toMatchObject({
      name: input.name,
      repositoryFullName: "acme/web",
      productionBranch: "main",
      rootDirectory: "",
      dockerfilePath: "Dockerfile",
      flyConfigPath: "fly.toml",
      flyAppName: input.flyAppName,
      region: "ams",
      autoDeploy: true,
      previewsEnabled: false,
      installationId: world.installationId,
    });
    expect(await flyApp(input.flyAppName)).toBe(200);
    expect(await caller.project.byId({ organizationId, projectId: project.id })).toMatchObject({
      id: project.id,
    });
    expect((await caller.project.list({ organizationId })).map((listed) => listed.id)).toContain(project.id);
    const audit = await world.server.services.audit.listForOrganization(
      world.server.database.db,
      organizationId,
      5,
    );
    expect(audit[0]).toMatchObject({ action: "project.create", targetId: project.id });
  });

  it("normalises paths and lets several projects track one repository and branch", async () => {
    const first = await caller.project.create({
      ...base(),
      repository: "acme/api",
      rootDirectory: "./services//api/",
      dockerfilePath: "./Dockerfile",
      productionBranch: "main",
    });
    const second = await caller.project.create({
      ...base(),
      repository: "acme/api",
      productionBranch: "main",
    });
    expect(first).toMatchObject({ rootDirectory: "services/api", dockerfilePath: "Dockerfile" });
    expect(second.repositoryFullName).toBe(first.repositoryFullName);
  });

  it.each([
    ["flyAppName", { flyAppName: "Acme_Web" }, "Use only lowercase letters, digits and dashes"],
    ["flyAppName", { flyAppName: "-web" }, "Start and end with a letter or digit"],
    ["flyAppName", { flyAppName: "a".repeat(63) }, "Use at most 62 characters"],
    ["productionBranch", { productionBranch: "feature..x" }, '".." is not allowed'],
    ["productionBranch", { productionBranch: "a b" }, "Spaces and ~ ^ : ? * [ \\ are not allowed"],
    ["rootDirectory", { rootDirectory: "../etc" }, '".." is not allowed'],
    ["rootDirectory", { rootDirectory: "/srv" }, "Use a path relative to the repository"],
    ["dockerfilePath", { dockerfilePath: "a\u0000b" }, "Control characters are not allowed"],
    ["region", { region: "AMS" }, "Choose a region"],
    ["repository", { repository: "not a repo" }, "Use the form owner/repository, e.g. acme/web"],
  ])("refuses an invalid %s with a field error: %j", async (field, override, message) => {
    const input = { ...base(), ...override };
    const result = await failure(caller.project.create(input));
    expect(result.code).toBe("BAD_REQUEST");
    expect((result.fieldErrors as Record<string, string[]>)[field]).toContain(message);
    expect(await flyApp(input.flyAppName)).not.toBe(200);
  });

  it("refuses a region Fly does not have, before creating anything", async () => {
    const input = { ...base(), region: "xyz" };
    expect(await failure(caller.project.create(input))).toMatchObject({
      code: "BAD_REQUEST",
      reason: "FLY_REGION_UNKNOWN",
      fieldErrors: { region: ['Fly.io has no region "xyz".'] },
    });
    expect(await flyApp(input.flyAppName)).toBe(404);
  });

  it("says when an app name is taken, on Fly or by another project", async () => {
    const existing = await caller.project.create(base());
    expect(
      await caller.project.appNameAvailability({ organizationId, flyAppName: existing.flyAppName }),
    ).toEqual({
      available: false,
      message: "A Hangar project already uses this app name.",
    });
    expect(
      await failure(caller.project.create({ ...base(), flyAppName: existing.flyAppName })),
    ).toMatchObject({ code: "CONFLICT", reason: "FLY_APP_NAME_TAKEN" });

    // Created on Fly outside Hangar: only Fly knows, and says so.
    const outside = `outside-${crypto.randomUUID().slice(0, 8)}`;
    const created = await fetch(`${world.fly.url}/v1/apps`, {
      method: "POST",
      headers: { authorization: `Bearer ${FLY_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ app_name: outside, org_slug: "acme" }),
    });
    expect(created.status).toBe(201);
    expect(await caller.project.appNameAvailability({ organizationId, flyAppName: outside })).toEqual({
      available: false,
      message: "This name is taken on Fly.io.",
    });
    expect(await failure(caller.project.create({ ...base(), flyAppName: outside }))).toMatchObject({
      code: "CONFLICT",
      fieldErrors: { flyAppName: ["This Fly app name is taken. Choose another."] },
    });
    const free = `free-${crypto.randomUUID().slice(0, 8)}`;
    expect(await caller.project.appNameAvailability({ organizationId, flyAppName: free })).toEqual({
      available: true,
      message: "Available",
    });
  });

  it("creates nothing on Fly when the repository check fails", async () => {
    const input = { ...base(), repository: "acme/nope" };
    expect(await failure(caller.project.create(input))).toMatchObject({
      code: "NOT_FOUND",
      reason: "REPOSITORY_NOT_FOUND",
    });
    expect(await flyApp(input.flyAppName)).toBe(404);
  });

  it("destroys the Fly app it created when the project cannot be recorded", async () => {
    const services = world.server.services;
    const failingRepository = {
      ...createProjectRepository(),
      insert: () => Promise.reject(new Error("the database went away")),
    };
    const projects = createProjectService({
      db: world.server.database.db,
      repository: failingRepository,
      github: services.github,
      flyCredentials: services.flyCredentials,
      audit: services.audit,
      logger: createLogger({ level: "silent" }),
    });
    const input = base();
    await expect(
      projects.create({
        ...input,
        actorUserId: world.userId,
        rootDirectory: "",
        dockerfilePath: "Dockerfile",
        flyConfigPath: "fly.toml",
        autoDeploy: true,
        previewsEnabled: false,
      }),
    ).rejects.toThrow("the database went away");
    expect(await flyApp(input.flyAppName)).toBe(404);
    expect(await world.server.database.db.project.count({ where: { flyAppName: input.flyAppName } })).toBe(0);
  });

  it("updates settings, refusing invalid values and a name another project has", async () => {
    const project = await caller.project.create(base());
    const other = await caller.project.create(base());
    const updated = await caller.project.update({
      organizationId,
      projectId: project.id,
      settings: { productionBranch: "release/v2", autoDeploy: false, rootDirectory: "app/" },
    });
    expect(updated).toMatchObject({
      productionBranch: "release/v2",
      autoDeploy: false,
      rootDirectory: "app",
    });
    expect(
      await failure(
        caller.project.update({
          organizationId,
          projectId: project.id,
          settings: { productionBranch: "x.lock" },
        }),
      ),
    ).toMatchObject({ code: "BAD_REQUEST" });
    expect(
      await failure(
        caller.project.update({ organizationId, projectId: project.id, settings: { name: other.name } }),
      ),
    ).toMatchObject({
      code: "CONFLICT",
      reason: "PROJECT_NAME_TAKEN",
      fieldErrors: { name: expect.any(Array) },
    });
  });

  it("hides another organisation's project behind NOT_FOUND", async () => {
    const project = await caller.project.create(base());
    const stranger = await signUp(world.server);
    const strangerCaller = await world.callerFor(stranger.cookie);
    const [strangerOrganization] = await strangerCaller.organization.list();
    if (!strangerOrganization) throw new Error("no organization");
    const scoped = { organizationId: strangerOrganization.id, projectId: project.id };
    expect(await failure(strangerCaller.project.byId(scoped))).toMatchObject({ code: "NOT_FOUND" });
    expect(await failure(strangerCaller.project.delete({ ...scoped, destroyFlyApp: true }))).toMatchObject({
      code: "NOT_FOUND",
    });
    expect(await flyApp(project.flyAppName)).toBe(200);
  });

  it("deletes a project, destroying the Fly app only when asked", async () => {
    const kept = await caller.project.create(base());
    await caller.project.delete({ organizationId, projectId: kept.id, destroyFlyApp: false });
    expect(await flyApp(kept.flyAppName)).toBe(200);
    expect(await failure(caller.project.byId({ organizationId, projectId: kept.id }))).toMatchObject({
      code: "NOT_FOUND",
    });

    const destroyed = await caller.project.create(base());
    await caller.project.delete({ organizationId, projectId: destroyed.id, destroyFlyApp: true });
    expect(await flyApp(destroyed.flyAppName)).toBe(404);
    const audit = await world.server.services.audit.listForOrganization(
      world.server.database.db,
      organizationId,
      1,
    );
    expect(audit[0]).toMatchObject({
      action: "project.delete",
      metadata: { flyAppName: destroyed.flyAppName, flyAppDestroyed: true },
    });
  });
});
