import { spawn } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/** The CLI entry as the sandbox launcher runs it: env config, one ready line, clean SIGTERM. */

const MAIN = new URL("./main.ts", import.meta.url).pathname;
let dir: string;
let keyFile: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "gh-emulator-cli-"));
  keyFile = join(dir, "app.pub.pem");
  const { publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  await writeFile(keyFile, publicKey.export({ type: "spki", format: "pem" }));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function run(env: Record<string, string>) {
  return spawn(process.execPath, ["--import", "tsx", MAIN], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
}

describe("main.ts", () => {
  it("prints one ready line, serves, and exits 0 on SIGTERM", async () => {
    const child = run({
      GITHUB_EMULATOR_PORT: "0",
      GITHUB_EMULATOR_APP_ID: "77",
      GITHUB_EMULATOR_APP_PUBLIC_KEY_FILE: keyFile,
      GITHUB_EMULATOR_CLIENT_ID: "Iv1.cli",
      GITHUB_EMULATOR_CLIENT_SECRET: "secret",
      GITHUB_EMULATOR_WEBHOOK_SECRET: "whsec",
      GITHUB_EMULATOR_USER_TOKEN_TTL: "60",
    });
    const firstLine = await new Promise<string>((resolve) => {
      createInterface({ input: child.stdout }).once("line", resolve);
    });
    const ready = JSON.parse(firstLine) as { ready: boolean; url: string };
    expect(ready.ready).toBe(true);
    expect(ready.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const response = await fetch(`${ready.url}/api/v3/repos/octocat/hello`, {
      headers: { "user-agent": "cli-test" },
    });
    expect(response.status).toBe(200);
    const exit = new Promise<number | null>((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    expect(await exit).toBe(0);
  });

  it("exits 1 with a clear message on bad configuration", async () => {
    const child = run({ GITHUB_EMULATOR_APP_ID: "not-a-number" });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    expect(code).toBe(1);
    expect(stderr).toContain("GITHUB_EMULATOR_APP_ID");
    expect(stderr).toContain("GITHUB_EMULATOR_APP_PUBLIC_KEY_FILE");
  });
});
