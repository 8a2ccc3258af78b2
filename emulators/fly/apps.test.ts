import { describe, expect, test } from "vitest";
import { IMAGE, ORG, prepareApp, useTestEmulator, type MachineBody, type StateDump } from "./test-support.ts";

const emulator = useTestEmulator();

const INVALID_NAME = {
  error: "Validation failed: Name under 63 chars using numbers, lowercase letters and dashes",
};

describe("apps", () => {
  test.each(["a", "my-app", "app-123", "0day", "x".repeat(62)])("accepts the name %j", async (name) => {
    const response = await emulator.api("POST", "/v1/apps", { body: { name, org_slug: ORG } });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ name, status: "pending", organization: { slug: ORG } });
  });

  test.each(["", "My-App", "my_app", "my.app", "-app", "app-", "app name", "x".repeat(63), "café"])(
    "rejects the name %j with 422",
    async (name) => {
      const response = await emulator.api("POST", "/v1/apps", { body: { name, org_slug: ORG } });
      expect(response.status).toBe(422);
      expect(response.body).toEqual(INVALID_NAME);
    },
  );

  test("accepts `app_name` as well as `name`", async () => {
    const response = await emulator.api("POST", "/v1/apps?wait=true", {
      body: { app_name: "legacy-name", org_slug: ORG },
    });
    expect(response.status).toBe(201);
    expect((await emulator.api("GET", "/v1/apps/legacy-name")).status).toBe(200);
  });

  test("names are global: taken in any organization → 422 name_taken", async () => {
    await emulator.control("POST", "/orgs", { slug: "acme" });
    await emulator.control("POST", "/tokens", { token: "acme-token", orgSlug: "acme" });
    await emulator.api("POST", "/v1/apps", {
      token: "acme-token",
      body: { name: "popular", org_slug: "acme" },
    });
    const response = await emulator.api("POST", "/v1/apps", { body: { name: "popular", org_slug: ORG } });
    expect(response.status).toBe(422);
    expect(response.body).toEqual({
      error: "Validation failed: Name has already been taken",
      status: "name_taken",
    });
  });

  test("org_slug is required to list and to create", async () => {
    expect((await emulator.api("GET", "/v1/apps")).status).toBe(400);
    expect((await emulator.api("POST", "/v1/apps", { body: { name: "no-org" } })).status).toBe(400);
  });

  test("lists an organization's apps with counts; status turns deployed once a machine starts", async () => {
    await prepareApp(emulator, "listed");
    const machine = await emulator.api<MachineBody>("POST", "/v1/apps/listed/machines", {
      body: { config: { image: IMAGE } },
    });
    await emulator.api("GET", `/v1/apps/listed/machines/${machine.body.id}/wait?state=started`);
    const list = await emulator.api("GET", `/v1/apps?org_slug=${ORG}`);
    expect(list.body).toMatchObject({
      total_apps: 1,
      apps: [
        {
          name: "listed",
          status: "deployed",
          machine_count: 1,
          organization: { slug: ORG, name: "Personal" },
        },
      ],
    });
  });

  test("deleting an app destroys its machines and frees the name", async () => {
    await prepareApp(emulator, "doomed");
    const machine = await emulator.api<MachineBody>("POST", "/v1/apps/doomed/machines", {
      body: { config: { image: IMAGE } },
    });
    const waiting = emulator.api("GET", `/v1/apps/doomed/machines/${machine.body.id}/wait?state=destroyed`);
    const deleted = await emulator.api("DELETE", "/v1/apps/doomed");
    expect(deleted.status).toBe(202);
    expect(deleted.body).toBeUndefined();
    expect((await waiting).body).toMatchObject({ ok: true, state: "destroyed" });
    expect((await emulator.api("GET", "/v1/apps/doomed/machines")).status).toBe(404);
    const state = await emulator.control<StateDump>("GET", "/state");
    expect(state.body.machines.filter((candidate) => candidate.app === "doomed")).toEqual([]);
    expect(
      state.body.events.some(
        (event) => event.machineId === machine.body.id && event.message.startsWith("destroy destroyed"),
      ),
    ).toBe(true);
    expect((await emulator.api("POST", "/v1/apps", { body: { name: "doomed", org_slug: ORG } })).status).toBe(
      201,
    );
  });
});
