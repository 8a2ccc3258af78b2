// Builds with flyctl on Fly's remote builders (SPEC §5.6, ref §3.4): `flyctl deploy --build-only --push`
// with an argument array (no shell) and an environment of its own, so the org's token travels in the
// environment only and none of Hangar's own variables (database URL, secrets) reach the child.
import { spawn } from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { AppError } from "../../errors.ts";
import { buildStoppedError, throwIfStopped } from "./build-errors.ts";
import type { Builder, BuildRequest, BuildResult } from "./builder.ts";

/** Between SIGTERM and SIGKILL of the build's process group. */
const DEFAULT_KILL_GRACE_MS = 10_000;
/** Output lines quoted in the error when flyctl fails. */
const TAIL_LINES = 20;
/** Longer lines (a runaway progress bar) are cut, to keep stored logs readable. */
const MAX_LINE_LENGTH = 4_000;
/** flyctl reports what it pushed as `image: registry.fly.io/<app>:<label>` (ref §3.2). */
const IMAGE_LINE = /^image:\s*(\S+)$/;

export type FlyctlBuilderOptions = {
  /** The executable (config FLYCTL_PATH): a name looked up on PATH, or a path. */
  flyctlPath: string;
  /** PATH and HOME: all flyctl gets of Hangar's environment. */
  childEnv: { PATH: string; HOME: string };
  /** The Machines API flyctl should use (FLY_FLAPS_BASE_URL), when Hangar is pointed at one. */
  flapsBaseUrl?: string | undefined;
  timeoutSeconds: number;
  killGraceMs?: number;
};

/** `--flag=value` throughout, so that no value (a path, say) can ever be read as a flag. */
function flyctlArguments(request: BuildRequest): string[] {
  return [
    "deploy",
    "--build-only",
    "--push",
    `--image-label=${request.imageLabel}`,
    "--remote-only",
    `--app=${request.appName}`,
    `--config=${request.flyConfigPath}`,
    `--dockerfile=${request.dockerfilePath}`,
  ];
}

async function requireDirectory(directory: string, rootDirectory: string): Promise<void> {
  const stats = await fs.stat(directory).catch(() => undefined);
  if (!stats?.isDirectory()) {
    throw new AppError("BAD_REQUEST", `The repository has no directory "${rootDirectory}".`, {
      reason: "ROOT_DIRECTORY_MISSING",
    });
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    // A negative pid addresses the whole process group the detached child leads.
    process.kill(-pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
  }
}

function spawnError(error: NodeJS.ErrnoException, flyctlPath: string): AppError {
  if (error.code === "ENOENT") {
    return new AppError("PRECONDITION_FAILED", "flyctl is not installed or not on PATH (set FLYCTL_PATH).", {
      reason: "FLYCTL_NOT_FOUND",
      cause: error,
    });
  }
  return new AppError(
    "INTERNAL_SERVER_ERROR",
    `flyctl (${flyctlPath}) could not be started: ${error.code}.`,
    {
      reason: "FLYCTL_NOT_STARTED",
      cause: error,
    },
  );
}

export function createFlyctlBuilder(options: FlyctlBuilderOptions): Builder {
  const killGraceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;

  async function run(request: BuildRequest, signal: AbortSignal): Promise<BuildResult> {
    const cwd = path.join(request.workspaceDir, request.rootDirectory);
    await requireDirectory(cwd, request.rootDirectory);
    throwIfStopped(signal);

    const child = spawn(options.flyctlPath, flyctlArguments(request), {
      cwd,
      env: {
        ...options.childEnv,
        ...(options.flapsBaseUrl ? { FLY_FLAPS_BASE_URL: options.flapsBaseUrl } : {}),
        FLY_API_TOKEN: request.flyToken,
        FLY_NO_UPDATE_CHECK: "1",
        NO_COLOR: "1",
      },
      // Its own process group, so that cancelling also stops what flyctl started.
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });

    const tail: string[] = [];
    let reportedImage: string | undefined;
    const onLine = (raw: string) => {
      // flyctl should never print the token; if it did, it must not reach the error message either.
      const redacted = request.flyToken ? raw.replaceAll(request.flyToken, "[redacted]") : raw;
      const line = redacted.length > MAX_LINE_LENGTH ? `${redacted.slice(0, MAX_LINE_LENGTH)}…` : redacted;
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
      reportedImage = IMAGE_LINE.exec(line.trim())?.[1] ?? reportedImage;
      request.log(line);
    };
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream, crlfDelay: Infinity }).on("line", onLine);
    }

    type Exit = { code: number | null; signal: NodeJS.Signals | null };
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    // `close` comes once the output is fully read (the tail and the image line need all of it), and so
    // also only after every descendant holding the output pipes has ended.
    const closed = new Promise<Exit>((resolve) =>
      child.once("close", (code, exitSignal) => resolve({ code, signal: exitSignal })),
    );
    let onAbort = () => {};
    const outcome = await new Promise<Exit | "stopped">((resolve, reject) => {
      onAbort = () => resolve("stopped");
      signal.addEventListener("abort", onAbort, { once: true });
      child.on("error", (error) => reject(spawnError(error, options.flyctlPath)));
      void closed.then(resolve);
    }).finally(() => signal.removeEventListener("abort", onAbort));

    if (outcome === "stopped") {
      if (child.pid !== undefined) await stopGroup(child.pid, closed, exited);
      child.stdout.destroy();
      child.stderr.destroy();
      throw buildStoppedError(signal);
    }
    if (outcome.code === 0) {
      return { imageRef: reportedImage ?? `registry.fly.io/${request.appName}:${request.imageLabel}` };
    }
    const how =
      outcome.code === null ? `was stopped by ${outcome.signal}` : `exited with code ${outcome.code}`;
    throw new AppError("BAD_GATEWAY", `flyctl ${how}. Last output:\n${tail.join("\n")}`, {
      reason: "BUILD_FAILED",
    });
  }

  /** SIGTERM to the group, SIGKILL to whatever is left after the grace period. */
  async function stopGroup(pid: number, closed: Promise<unknown>, exited: Promise<void>): Promise<void> {
    signalGroup(pid, "SIGTERM");
    const grace = new AbortController();
    await Promise.race([closed, sleep(killGraceMs, undefined, { signal: grace.signal }).catch(() => {})]);
    grace.abort();
    // Also sweeps descendants that ignored SIGTERM or outlived flyctl.
    signalGroup(pid, "SIGKILL");
    await exited;
  }

  return {
    kind: "flyctl",
    async build(request) {
      const timeout = new AbortController();
      const timedOut = new AppError(
        "GATEWAY_TIMEOUT",
        `The build did not finish within ${options.timeoutSeconds} seconds.`,
        { reason: "BUILD_TIMED_OUT" },
      );
      const timer = setTimeout(() => timeout.abort(timedOut), options.timeoutSeconds * 1000);
      try {
        return await run(request, AbortSignal.any([request.signal, timeout.signal]));
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
