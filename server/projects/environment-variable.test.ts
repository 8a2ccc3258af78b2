// Environment variables through the API: sealed at rest and bound to their row, masked in listings,
// revealed only by an audited call, bulk paste previewed then applied atomically.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startProjectWorld, type ProjectWorld } from "../test/projects.ts";
import { failure } from "../test/trpc.ts";

describe("environment variables", () => {
  let world: ProjectWorld;
  let caller: Awaited<ReturnType<ProjectWorld["callerFor"]>>;
  let scope: { organizationId: string; projectId: string; environment: "production" | "preview" };

  const rawRows = () =>
    world.server.database.db.environmentVariable.findMany({
      where: { projectId: scope.projectId },
      select: { id: true, key: true, environment: true, encryptedValue: true, valueHint: true },
    });

  beforeAll(async () => {
    world = await startProjectWorld();
    caller = await world.callerFor(world.cookie);
    const project = await caller.project.create({
      organizationId: world.organizationId,
      repository: "acme/web",
      name: "web",
      flyAppName: `env-test-${crypto.randomUUID().slice(0, 8)}`,
      region: "ams",
    });
    scope = { organizationId: world.organizationId, projectId: project.id, environment: "production" };
  });
  afterAll(() => world.close());

  it("stores values sealed, lists them masked, and reveals one with an audit event", async () => {
    const long = "sk_live_0123456789abcdefWXYZ";
    await caller.environmentVariable.set({ ...scope, key: "STRIPE_KEY", value: long });
    await caller.environmentVariable.set({ ...scope, key: "SHORT", value: "hunter2" });

    const listed = await caller.environmentVariable.list(scope);
    expect(listed.variables).toMatchObject([
      { key: "SHORT", maskedValue: "••••••••", valueBytes: 7, updatedBy: "The Octocat" },
      { key: "STRIPE_KEY", maskedValue: "••••••••WXYZ", valueBytes: long.length },
    ]);
    expect(JSON.stringify(listed)).not.toContain("hunter2");
    expect(JSON.stringify(listed)).not.toContain(long);

    for (const row of await rawRows()) {
      expect(row.encryptedValue).toMatch(/^v1\./);
      expect(row.encryptedValue).not.toContain("hunter2");
      expect(row.encryptedValue).not.toContain(long);
    }

    expect(await caller.environmentVariable.reveal({ ...scope, key: "STRIPE_KEY" })).toEqual({ value: long });
    const [event] = await world.server.services.audit.listForOrganization(
      world.server.database.db,
      scope.organizationId,
      1,
    );
    expect(event).toMatchObject({
      action: "environment_variable.reveal",
      metadata: { environment: "production", key: "STRIPE_KEY" },
    });
  });

  it("keeps production and preview apart, and marks the environment changed", async () => {
    const before = await world.server.database.db.project.findUniqueOrThrow({
      where: { id: scope.projectId },
      select: { productionEnvChangedAt: true, previewEnvChangedAt: true },
    });
    await caller.environmentVariable.set({
      ...scope,
      environment: "preview",
      key: "STRIPE_KEY",
      value: "sk_test",
    });
    expect(
      await caller.environmentVariable.reveal({ ...scope, environment: "preview", key: "STRIPE_KEY" }),
    ).toEqual({
      value: "sk_test",
    });
    expect(await caller.environmentVariable.reveal({ ...scope, key: "STRIPE_KEY" })).not.toEqual({
      value: "sk_test",
    });
    const after = await world.server.database.db.project.findUniqueOrThrow({
      where: { id: scope.projectId },
      select: { productionEnvChangedAt: true, previewEnvChangedAt: true },
    });
    expect(after.previewEnvChangedAt?.getTime()).toBeGreaterThan(before.previewEnvChangedAt?.getTime() ?? 0);
    expect(after.productionEnvChangedAt).toEqual(before.productionEnvChangedAt);
  });

  it("refuses a ciphertext copied onto another row", async () => {
    await caller.environmentVariable.set({ ...scope, key: "DATABASE_URL", value: "postgres://secret@db" });
    const rows = await rawRows();
    const source = rows.find((row) => row.key === "DATABASE_URL" && row.environment === "production");
    const target = rows.find((row) => row.key === "SHORT");
    if (!source || !target) throw new Error("rows missing");
    await world.server.database.db.environmentVariable.update({
      where: { id: target.id },
      data: { encryptedValue: source.encryptedValue },
    });
    expect(await failure(caller.environmentVariable.reveal({ ...scope, key: "SHORT" }))).toMatchObject({
      code: "INTERNAL_SERVER_ERROR",
      reason: "DECRYPTION_FAILED",
    });
    await caller.environmentVariable.remove({ ...scope, key: "SHORT" });
    expect((await caller.environmentVariable.list(scope)).variables.map((v) => v.key)).not.toContain("SHORT");
  });

  it.each([
    ["lowercase", "Use uppercase letters, digits and underscores, not starting with a digit"],
    ["1ABC", "Use uppercase letters, digits and underscores, not starting with a digit"],
    ["FLY_REGION", "Names starting with FLY_ are reserved by Fly.io"],
    ["", "A name is required"],
  ])("refuses the key %j with a field error", async (key, message) => {
    const result = await failure(caller.environmentVariable.set({ ...scope, key, value: "x" }));
    expect(result.code).toBe("BAD_REQUEST");
    expect((result.fieldErrors as Record<string, string[]>).key).toContain(message);
  });

  it("refuses values over 64 KB", async () => {
    const result = await failure(
      caller.environmentVariable.set({ ...scope, key: "BIG", value: "x".repeat(64 * 1024 + 1) }),
    );
    expect(result).toMatchObject({
      code: "BAD_REQUEST",
      fieldErrors: { value: ["Values are limited to 64 KB"] },
    });
    await caller.environmentVariable.set({ ...scope, key: "BIG", value: "é".repeat(32 * 1024) });
  });

  it("previews a pasted .env file line by line and applies it atomically on confirm", async () => {
    const text = [
      "# copied from Heroku",
      "export NEW_KEY=one",
      'DATABASE_URL="postgres://changed@db"',
      "not a variable",
      "FLY_APP_NAME=nope",
      'MULTI="line one',
      'line two"',
    ].join("\n");
    const preview = await caller.environmentVariable.previewPaste({ ...scope, text, mode: "replace" });
    expect(preview).toMatchObject({
      added: ["MULTI", "NEW_KEY"],
      changed: ["DATABASE_URL"],
      removed: ["BIG", "STRIPE_KEY"],
      invalid: [
        { line: 4, reason: "Expected KEY=value" },
        { line: 5, reason: expect.stringContaining("FLY_") },
      ],
    });
    // Previewing changes nothing.
    expect(await caller.environmentVariable.reveal({ ...scope, key: "DATABASE_URL" })).toEqual({
      value: "postgres://secret@db",
    });

    // A change after the preview refuses the whole apply.
    await caller.environmentVariable.set({ ...scope, key: "LATE", value: "1" });
    expect(
      await failure(
        caller.environmentVariable.applyPaste({
          ...scope,
          text,
          mode: "replace",
          baseVersion: preview.baseVersion,
        }),
      ),
    ).toMatchObject({ code: "CONFLICT", reason: "ENVIRONMENT_CHANGED_SINCE_PREVIEW" });
    expect((await caller.environmentVariable.list(scope)).variables.map((v) => v.key)).toContain(
      "STRIPE_KEY",
    );

    const fresh = await caller.environmentVariable.previewPaste({ ...scope, text, mode: "merge" });
    expect(fresh.removed).toEqual([]);
    const applied = await caller.environmentVariable.applyPaste({
      ...scope,
      text,
      mode: "merge",
      baseVersion: fresh.baseVersion,
    });
    expect(applied).toMatchObject({ added: ["MULTI", "NEW_KEY"], changed: ["DATABASE_URL"], removed: [] });
    expect(await caller.environmentVariable.reveal({ ...scope, key: "MULTI" })).toEqual({
      value: "line one\nline two",
    });
    expect((await caller.environmentVariable.list(scope)).variables.map((v) => v.key)).toEqual([
      "BIG",
      "DATABASE_URL",
      "LATE",
      "MULTI",
      "NEW_KEY",
      "STRIPE_KEY",
    ]);
  });
});
