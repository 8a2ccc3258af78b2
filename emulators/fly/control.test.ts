import { describe, expect, test } from "vitest";
import {
  IMAGE,
  ORG,
  prepareApp,
  useTestEmulator,
  TOKEN,
  type MachineBody,
  type StateDump,
} from "./test-support.ts";

const emulator = useTestEmulator();

async function page(path: string): Promise<{ status: number; html: string }> {
  const response = await fetch(`${emulator.url}${path}`);
  return { status: response.status, html: await response.text() };
}

describe("control API", () => {
  test("reset returns to the seed: apps, images, extra orgs and tokens, faults and clock are gone", async () => {
    await prepareApp(emulator, "before-reset");
    await emulator.control("POST", "/orgs", { slug: "acme" });
    await emulator.control("POST", "/tokens", { token: "acme-token", orgSlug: "acme" });
    await emulator.control("POST", "/faults", { latencyMs: 1 });
    await emulator.control("POST", "/clock", { timeScale: 3 });
    expect((await emulator.control("POST", "/reset")).status).toBe(204);
    const state = (await emulator.control<StateDump>("GET", "/state")).body;
    expect(state).toMatchObject({ apps: [], machines: [], images: [], faults: null, timeScale: 50 });
    expect(state.organizations.map((organization) => organization.slug)).toEqual([ORG]);
    expect(state.tokens.map((token) => token.token)).toEqual([TOKEN]);
    expect((await emulator.api("GET", "/v1/apps/before-reset", { token: "acme-token" })).status).toBe(401);
    expect((await emulator.api("GET", `/v1/apps?org_slug=${ORG}`)).status).toBe(200);
  });

  test("reset ends pending waits", async () => {
    await prepareApp(emulator, "waiting");
    const machine = await emulator.api<MachineBody>("POST", "/v1/apps/waiting/machines", {
      body: { config: { image: IMAGE }, skip_launch: true },
    });
    const waiting = emulator.api(
      "GET",
      `/v1/apps/waiting/machines/${machine.body.id}/wait?state=started&timeout=60`,
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    await emulator.control("POST", "/reset");
    expect((await waiting).status).toBe(404);
  });

  test("orgs and tokens are validated", async () => {
    expect((await emulator.control("POST", "/orgs", { slug: "Bad Slug" })).status).toBe(400);
    expect((await emulator.control("POST", "/orgs", { slug: ORG })).status).toBe(409);
    expect((await emulator.control("POST", "/tokens", { token: "t", orgSlug: "nowhere" })).status).toBe(404);
    expect((await emulator.control("POST", "/tokens", { token: TOKEN, orgSlug: ORG })).status).toBe(409);
  });

  test("images normalise Docker references", async () => {
    await prepareApp(emulator, "docker-hub");
    await emulator.control("POST", "/images", { ref: "nginx" });
    const machine = await emulator.api<MachineBody>("POST", "/v1/apps/docker-hub/machines", {
      body: { config: { image: "docker.io/library/nginx:latest" } },
    });
    const waited = await emulator.api(
      "GET",
      `/v1/apps/docker-hub/machines/${machine.body.id}/wait?state=started`,
    );
    expect(waited.status).toBe(200);
    const fetched = await emulator.api<{ image_ref: Record<string, string> }>(
      "GET",
      `/v1/apps/docker-hub/machines/${machine.body.id}`,
    );
    expect(fetched.body.image_ref).toMatchObject({ repository: "library/nginx", tag: "latest" });
  });

  test("the clock speeds transitions up and down", async () => {
    expect((await emulator.control("POST", "/clock", { timeScale: 0 })).status).toBe(400);
    expect((await emulator.control("POST", "/clock", { timeScale: 1 })).body).toMatchObject({ timeScale: 1 });
    await prepareApp(emulator, "clocked");
    const machine = await emulator.api<MachineBody>("POST", "/v1/apps/clocked/machines", {
      body: { config: { image: IMAGE } },
    });
    const started = performance.now();
    await emulator.control("POST", "/clock", { timeScale: 100 });
    await emulator.api("GET", `/v1/apps/clocked/machines/${machine.body.id}/wait?state=started`);
    expect(performance.now() - started).toBeLessThan(500);
  });
});

describe("pages", () => {
  test("the status page lists apps, machines with state, image and version, and recent events", async () => {
    await prepareApp(emulator, "shown-app");
    const machine = await emulator.api<MachineBody>("POST", "/v1/apps/shown-app/machines", {
      body: { config: { image: IMAGE } },
    });
    await emulator.api("GET", `/v1/apps/shown-app/machines/${machine.body.id}/wait?state=started`);
    const { status, html } = await page("/_emulator");
    expect(status).toBe(200);
    for (const text of [
      "shown-app",
      machine.body.id,
      "started",
      IMAGE,
      machine.body.instance_id,
      "Recent events",
      "launch created",
    ]) {
      expect(html).toContain(text);
    }
  });

  test("a deployed app's sandbox URL serves only with a healthy started machine", async () => {
    expect((await page("/_apps/nobody/")).status).toBe(404);
    await prepareApp(emulator, "hello");
    expect((await page("/_apps/hello/")).status).toBe(503);
    const machine = await emulator.api<MachineBody>("POST", "/v1/apps/hello/machines", {
      body: { config: { image: IMAGE } },
    });
    await emulator.api("GET", `/v1/apps/hello/machines/${machine.body.id}/wait?state=started`);
    const served = await page("/_apps/hello/");
    expect(served.status).toBe(200);
    expect(served.html).toContain("Hello from hello");
    expect(served.html).toContain(IMAGE);
    expect(served.html).toContain(machine.body.instance_id);
    expect((await page("/_apps/hello")).status).toBe(200);
    expect((await page("/_apps/hello/some/path")).status).toBe(200);
  });
});
