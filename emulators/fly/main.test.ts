import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";

const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));

function runMain(environment: Record<string, string>) {
  return spawn(process.execPath, ["--import", "tsx", MAIN], {
    env: { ...process.env, ...environment },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

describe("main.ts (the emulator program)", () => {
  test("prints one ready line, serves the seeded token, and exits cleanly on SIGTERM", async () => {
    const child = runMain({
      FLY_EMULATOR_PORT: "0",
      FLY_EMULATOR_SEED_ORG: "acme",
      FLY_EMULATOR_SEED_TOKEN: "seeded",
      FLY_EMULATOR_TIME_SCALE: "20",
    });
    const lines = createInterface({ input: child.stdout });
    const [line] = (await once(lines, "line")) as [string];
    const ready = JSON.parse(line) as { ready: boolean; url: string };
    expect(ready).toEqual({
      ready: true,
      url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) as unknown,
    });
    const current = await fetch(`${ready.url}/v1/tokens/current`, {
      headers: { authorization: "FlyV1 seeded" },
    });
    expect(((await current.json()) as { tokens: { org_slug: string }[] }).tokens[0]?.org_slug).toBe("acme");
    const state = (await (await fetch(`${ready.url}/_emulator/state`)).json()) as { timeScale: number };
    expect(state.timeScale).toBe(20);
    child.kill("SIGTERM");
    const [code] = (await once(child, "exit")) as [number | null];
    expect(code).toBe(0);
  });

  test("rejects invalid configuration with a clear message and exit code 1", async () => {
    const child = runMain({ FLY_EMULATOR_PORT: "not-a-port", FLY_EMULATOR_TIME_SCALE: "-1" });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, "exit")) as [number | null];
    expect(code).toBe(1);
    expect(stderr).toContain("Invalid Fly emulator configuration");
    expect(stderr).toContain("FLY_EMULATOR_PORT");
    expect(stderr).toContain("FLY_EMULATOR_TIME_SCALE");
  });
});
