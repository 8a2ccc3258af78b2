// The flyctl builder against a stand-in flyctl: a real executable, written here, that records how it was
// started (argv, environment, cwd, pid) and prints what the test wants.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { AppError } from "../../errors.ts";
import type { BuildRequest } from "./builder.ts";
import { createFlyctlBuilder, type FlyctlBuilderOptions } from "./flyctl-builder.ts";

const TOKEN = "FlyV1 fm2_test_token_that_must_stay_out_of_argv";
const CHILD_ENV = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: os.tmpdir() };

type Recorded = { argv: string[]; env: Record<string, string>; cwd: string; pid: number };

const startedPids: number[] = [];

afterEach(() => {
  vi.unstubAllEnvs();
  // A failed test must not leave its stand-ins running on a shared machine.
  for (const pid of startedPids.splice(0)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
});

function queueForCleanUp(pid: number): number {
  startedPids.push(pid);
  return pid;
}

function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A stand-in flyctl that records its start to record.json beside itself, then runs `body`. */
function standIn(body: string) {
  const dir = tempDir("hangar-flyctl-");
  const executable = path.join(dir, "flyctl");
  fs.writeFileSync(
    executable,
    `#!/usr/bin/env node
const fs = require("node:fs");
const path = require("node:path");
const { spawn } = require("node:child_process");
fs.writeFileSync(
  path.join(__dirname, "record.json"),
  JSON.stringify({ argv: process.argv.slice(2), env: process.env, cwd: process.cwd(), pid: process.pid }),
);
${body}
`,
    { mode: 0o755 },
  );
  const file = (name: string) => path.join(dir, name);
  const recorded = () => JSON.parse(fs.readFileSync(file("record.json"), "utf8")) as Recorded;
  return {
    dir,
    executable,
    recorded,
    /** The stand-in's pid, queued for clean-up. */
    pid: () => queueForCleanUp(recorded().pid),
    /** The pid of the process the stand-in started, queued for clean-up. */
    grandchildPid: () => queueForCleanUp(Number(fs.readFileSync(file("grandchild.pid"), "utf8"))),
  };
}

/** A repository checkout with the app in apps/web. */
function workspace(): string {
  const dir = tempDir("hangar-workspace-");
  fs.mkdirSync(path.join(dir, "apps", "web"), { recursive: true });
  return dir;
}

function request(overrides: Partial<BuildRequest> = {}): BuildRequest & { lines: string[] } {
  const lines: string[] = [];
  return {
    deploymentId: "dep_1",
    appName: "my-app",
    commitSha: "abc1234def5678abc1234def5678abc1234def56",
    workspaceDir: workspace(),
    rootDirectory: "apps/web",
    dockerfilePath: "Dockerfile",
    flyConfigPath: "fly.toml",
    imageLabel: "hangar-7-abc1234",
    flyToken: TOKEN,
    signal: new AbortController().signal,
    log: (line) => lines.push(line),
    lines,
    ...overrides,
  };
}

function builder(executable: string, options: Partial<FlyctlBuilderOptions> = {}) {
  return createFlyctlBuilder({ flyctlPath: executable, childEnv: CHILD_ENV, timeoutSeconds: 60, ...options });
}

async function failure(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

/** Running, as opposed to gone or a zombie nobody has reaped yet (PID 1 in containers often does not). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return true;
  }
}

describe("flyctl builder", () => {
  it("runs flyctl deploy --build-only --push in the root directory, the token in its environment only", async () => {
    vi.stubEnv("DATABASE_URL", "postgresql://hangar:database-password@db.internal/hangar");
    vi.stubEnv("ENCRYPTION_SECRET", "hangar-encryption-secret-that-flyctl-must-not-see");
    const flyctl = standIn(`
console.log("==> Building image");
console.error("WARN using the remote builder");
setTimeout(() => {
  console.log("--> Building image done");
  console.log("image: registry.fly.io/my-app:reported-by-flyctl");
  console.log("image size: 42 MB");
}, 50);
`);
    const build = request();

    const result = await builder(flyctl.executable, { flapsBaseUrl: "https://flaps.example.com" }).build(
      build,
    );

    const recorded = flyctl.recorded();
    expect(recorded.argv).toEqual([
      "deploy",
      "--build-only",
      "--push",
      "--image-label=hangar-7-abc1234",
      "--remote-only",
      "--app=my-app",
      "--config=fly.toml",
      "--dockerfile=Dockerfile",
    ]);
    expect(recorded.argv.join(" ")).not.toContain("fm2_");
    expect(recorded.env).toEqual({
      PATH: CHILD_ENV.PATH,
      HOME: CHILD_ENV.HOME,
      FLY_API_TOKEN: TOKEN,
      FLY_FLAPS_BASE_URL: "https://flaps.example.com",
      FLY_NO_UPDATE_CHECK: "1",
      NO_COLOR: "1",
    });
    expect(recorded.env.DATABASE_URL).toBeUndefined();
    expect(fs.realpathSync(recorded.cwd)).toBe(fs.realpathSync(path.join(build.workspaceDir, "apps/web")));
    expect(build.lines.filter((line) => line !== "WARN using the remote builder")).toEqual([
      "==> Building image",
      "--> Building image done",
      "image: registry.fly.io/my-app:reported-by-flyctl",
      "image size: 42 MB",
    ]);
    expect(build.lines).toContain("WARN using the remote builder");
    expect(result).toEqual({ imageRef: "registry.fly.io/my-app:reported-by-flyctl" });
  });

  it("passes arguments with spaces and shell metacharacters verbatim, and defaults the image reference", async () => {
    const flyctl = standIn(`console.log("built");`);
    const build = request({
      rootDirectory: "",
      dockerfilePath: "docker files/Dockerfile; rm -rf /",
      flyConfigPath: "$(touch pwned)/fly `touch pwned`.toml",
      imageLabel: "hangar-1-abc' \"&& touch pwned | x > y",
    });

    const result = await builder(flyctl.executable).build(build);

    expect(flyctl.recorded().argv).toEqual([
      "deploy",
      "--build-only",
      "--push",
      "--image-label=hangar-1-abc' \"&& touch pwned | x > y",
      "--remote-only",
      "--app=my-app",
      "--config=$(touch pwned)/fly `touch pwned`.toml",
      "--dockerfile=docker files/Dockerfile; rm -rf /",
    ]);
    expect(fs.existsSync(path.join(build.workspaceDir, "pwned"))).toBe(false);
    expect(result.imageRef).toBe(`registry.fly.io/my-app:${build.imageLabel}`);
  });

  it("fails with the exit code and the last output lines, without the token", async () => {
    const flyctl = standIn(`
for (let n = 1; n <= 30; n++) console.log("out-" + String(n).padStart(2, "0"));
console.error("Error: failed to authenticate with " + process.env.FLY_API_TOKEN);
process.exitCode = 3;
`);
    const build = request();

    const error = await failure(builder(flyctl.executable).build(build));

    expect(error.reason).toBe("BUILD_FAILED");
    expect(error.message).toMatch(/^flyctl exited with code 3\./);
    expect(error.message).toContain("out-30");
    expect(error.message).toContain("out-12");
    expect(error.message).not.toContain("out-10");
    expect(error.message).toContain("Error: failed to authenticate with [redacted]");
    expect(error.message).not.toContain(TOKEN);
    expect(build.lines).toHaveLength(31);
  });

  it("on cancel stops flyctl and what it started (its whole process group)", async () => {
    const flyctl = standIn(`
const sleeper = spawn("sleep", ["30"], { stdio: "inherit" });
fs.writeFileSync(path.join(__dirname, "grandchild.pid"), String(sleeper.pid));
console.log("building");
setInterval(() => {}, 1000);
`);
    const controller = new AbortController();
    const build = request({
      signal: controller.signal,
      log: (line) => {
        if (line === "building") controller.abort();
      },
    });
    const started = Date.now();

    const error = await failure(builder(flyctl.executable).build(build));
    const standInPid = flyctl.pid();
    const grandchildPid = flyctl.grandchildPid();

    expect(error.reason).toBe("BUILD_CANCELLED");
    expect(error.message).toBe("The build was cancelled.");
    // SIGTERM was enough: no waiting for the grace period.
    expect(Date.now() - started).toBeLessThan(5_000);
    await vi.waitFor(() => {
      expect(isRunning(standInPid)).toBe(false);
      expect(isRunning(grandchildPid)).toBe(false);
    });
  });

  it("kills the process group after the grace period when SIGTERM is ignored", async () => {
    const flyctl = standIn(`
process.on("SIGTERM", () => console.log("ignoring SIGTERM"));
// Ignored signals stay ignored across exec, so the sleep ignores SIGTERM too.
const sleeper = spawn("sh", ["-c", "trap '' TERM; exec sleep 30"], { stdio: "inherit" });
fs.writeFileSync(path.join(__dirname, "grandchild.pid"), String(sleeper.pid));
setTimeout(() => console.log("building"), 100);
setInterval(() => {}, 1000);
`);
    const controller = new AbortController();
    const lines: string[] = [];
    const build = request({
      signal: controller.signal,
      log: (line) => {
        lines.push(line);
        if (line === "building") controller.abort();
      },
    });
    const started = Date.now();

    const error = await failure(builder(flyctl.executable, { killGraceMs: 400 }).build(build));
    const standInPid = flyctl.pid();
    const grandchildPid = flyctl.grandchildPid();

    expect(error.reason).toBe("BUILD_CANCELLED");
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(lines).toContain("ignoring SIGTERM");
    await vi.waitFor(() => {
      expect(isRunning(standInPid)).toBe(false);
      expect(isRunning(grandchildPid)).toBe(false);
    });
  });

  it("stops a build that outlives BUILD_TIMEOUT_SECONDS and says so", async () => {
    const flyctl = standIn(`console.log("building"); setInterval(() => {}, 1000);`);

    const error = await failure(builder(flyctl.executable, { timeoutSeconds: 1 }).build(request()));
    const standInPid = flyctl.pid();

    expect(error.reason).toBe("BUILD_TIMED_OUT");
    expect(error.message).toBe("The build did not finish within 1 seconds.");
    await vi.waitFor(() => expect(isRunning(standInPid)).toBe(false));
  });

  it("says how to fix a missing flyctl, whether a path or a name looked up on PATH", async () => {
    for (const flyctlPath of [path.join(tempDir("hangar-flyctl-"), "flyctl"), "hangar-no-such-flyctl"]) {
      const error = await failure(builder(flyctlPath).build(request()));
      expect(error.reason).toBe("FLYCTL_NOT_FOUND");
      expect(error.message).toBe("flyctl is not installed or not on PATH (set FLYCTL_PATH).");
    }
  });

  it("refuses a root directory the repository does not have, before starting flyctl", async () => {
    const flyctl = standIn(`console.log("should not run");`);

    const error = await failure(builder(flyctl.executable).build(request({ rootDirectory: "apps/api" })));

    expect(error.reason).toBe("ROOT_DIRECTORY_MISSING");
    expect(fs.existsSync(path.join(flyctl.dir, "record.json"))).toBe(false);
  });
});
