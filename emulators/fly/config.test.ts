import { describe, expect, test } from "vitest";
import { loadConfig } from "./config.ts";

describe("loadConfig", () => {
  test("defaults: random port, org `personal`, no token, real time", () => {
    expect(loadConfig({})).toEqual({
      ok: true,
      config: { port: 0, seedOrg: "personal", seedToken: undefined, timeScale: 1 },
    });
    expect(loadConfig({ FLY_EMULATOR_PORT: "", FLY_EMULATOR_SEED_TOKEN: "" })).toMatchObject({
      ok: true,
      config: { port: 0 },
    });
  });

  test("reads every variable", () => {
    expect(
      loadConfig({
        FLY_EMULATOR_PORT: "4280",
        FLY_EMULATOR_SEED_ORG: "acme",
        FLY_EMULATOR_SEED_TOKEN: "t",
        FLY_EMULATOR_TIME_SCALE: "2.5",
      }),
    ).toEqual({ ok: true, config: { port: 4280, seedOrg: "acme", seedToken: "t", timeScale: 2.5 } });
  });

  test.each([
    ["FLY_EMULATOR_PORT", "70000"],
    ["FLY_EMULATOR_PORT", "http"],
    ["FLY_EMULATOR_SEED_ORG", "Not A Slug"],
    ["FLY_EMULATOR_TIME_SCALE", "0"],
  ])("rejects %s=%j, naming the variable", (name, value) => {
    const result = loadConfig({ [name]: value });
    expect(result.ok).toBe(false);
    expect(result.ok ? "" : result.message).toContain(name);
  });
});
