import { describe, expect, test } from "vitest";
import { IMAGE, prepareApp, useTestEmulator, type MachineBody, type StateDump } from "./test-support.ts";

const APP = "secrets-app";
const emulator = useTestEmulator(async (started) => {
  await prepareApp(started, APP);
});

type UpdateResponse = {
  version: number;
  Version: number;
  secrets: { name: string; digest: string; value?: string }[];
};

const setSecrets = (values: Record<string, string | null>) =>
  emulator.api<UpdateResponse>("POST", `/v1/apps/${APP}/secrets`, { body: { values } });

async function machineSees(machineId: string) {
  const state = await emulator.control<StateDump>("GET", "/state");
  return state.body.machines.find((machine) => machine.id === machineId)?.secretsSeen;
}

async function launch(body: Record<string, unknown> = {}): Promise<MachineBody> {
  const machine = (
    await emulator.api<MachineBody>("POST", `/v1/apps/${APP}/machines`, {
      body: { config: { image: IMAGE }, ...body },
    })
  ).body;
  await emulator.api("GET", `/v1/apps/${APP}/machines/${machine.id}/wait?state=started`);
  return machine;
}

describe("secrets", () => {
  test("bulk set and unset are versioned; values only with show_secrets", async () => {
    const first = await setSecrets({ API_KEY: "k1", DATABASE_URL: "postgres://one" });
    expect(first.body).toMatchObject({ version: 1, Version: 1 });
    expect(first.body.secrets.map((secret) => secret.name)).toEqual(["API_KEY", "DATABASE_URL"]);
    expect(first.body.secrets[0]).not.toHaveProperty("value");
    expect((await setSecrets({ API_KEY: "k2", DATABASE_URL: null })).body.version).toBe(2);
    // Unsetting a name that does not exist changes nothing (how `fly secrets sync` learns the version).
    expect((await setSecrets({ NOT_THERE: null })).body.version).toBe(2);
    const hidden = await emulator.api<{ secrets: Record<string, string>[] }>(
      "GET",
      `/v1/apps/${APP}/secrets`,
    );
    expect(hidden.body.secrets).toEqual([
      expect.objectContaining({
        name: "API_KEY",
        digest: expect.stringMatching(/^[0-9a-f]{16}$/) as unknown,
      }),
    ]);
    expect(hidden.body.secrets[0]).not.toHaveProperty("value");
    const shown = await emulator.api<{ secrets: Record<string, string>[] }>(
      "GET",
      `/v1/apps/${APP}/secrets?show_secrets=true`,
    );
    expect(shown.body.secrets[0]).toMatchObject({ name: "API_KEY", value: "k2" });
    const single = await emulator.api("POST", `/v1/apps/${APP}/secrets/SESSION_KEY`, {
      body: { value: "s" },
    });
    expect(single.status).toBe(201);
    expect(single.body).toMatchObject({ name: "SESSION_KEY", version: 3 });
    expect((await emulator.api("DELETE", `/v1/apps/${APP}/secrets/SESSION_KEY`)).body).toEqual({
      version: 4,
      Version: 4,
    });
    expect((await emulator.api("DELETE", `/v1/apps/${APP}/secrets/SESSION_KEY`)).status).toBe(404);
    expect((await setSecrets({ "bad-name": "x" })).status).toBe(400);
  });

  test("a machine booting right after a write sees the old version unless it asks for min_secrets_version", async () => {
    await setSecrets({ API_KEY: "old" });
    // Let version 1 reach the hosts, then write version 2 and launch straight away. Real time for this
    // part: both machines boot 0.7 s later, before version 2 propagates (1 s).
    await new Promise((resolve) => setTimeout(resolve, 40));
    await emulator.control("POST", "/clock", { timeScale: 1 });
    const { version } = (await setSecrets({ API_KEY: "new" })).body;
    const [stale, fresh] = await Promise.all([launch(), launch({ min_secrets_version: version })]);
    expect(await machineSees(stale.id)).toEqual({ version: 1, values: { API_KEY: "old" } });
    expect(await machineSees(fresh.id)).toEqual({ version: 2, values: { API_KEY: "new" } });
    const state = await emulator.control<StateDump>("GET", "/state");
    expect(state.body.machines.find((machine) => machine.id === fresh.id)?.minSecretsVersion).toBe(2);
  });

  test("once propagated, every booting machine sees the latest version; updates pick it up", async () => {
    await setSecrets({ API_KEY: "v1" });
    await new Promise((resolve) => setTimeout(resolve, 40)); // 2 s emulated: v1 has propagated
    const machine = await launch();
    await setSecrets({ API_KEY: "v2" });
    expect((await machineSees(machine.id))?.values).toEqual({ API_KEY: "v1" });
    const updated = await emulator.api<MachineBody>("POST", `/v1/apps/${APP}/machines/${machine.id}`, {
      body: { config: { image: IMAGE }, min_secrets_version: 2 },
    });
    await emulator.api(
      "GET",
      `/v1/apps/${APP}/machines/${machine.id}/wait?state=started&version=${updated.body.instance_id}`,
    );
    expect(await machineSees(machine.id)).toEqual({ version: 2, values: { API_KEY: "v2" } });
  });

  test("min_secrets_version newer than any write is refused; skip_secrets boots without secrets", async () => {
    await setSecrets({ API_KEY: "v1" });
    const tooNew = await emulator.api("POST", `/v1/apps/${APP}/machines`, {
      body: { config: { image: IMAGE }, min_secrets_version: 9 },
    });
    expect(tooNew.status).toBe(400);
    const bare = await launch({ skip_secrets: true });
    expect(await machineSees(bare.id)).toBeNull();
  });
});
