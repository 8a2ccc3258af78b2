// The sandbox builder (SPEC §2): nothing is compiled. It reads the Dockerfile, writes the build log a
// BuildKit build of it would (one step per instruction), and registers the image with the Fly
// emulator's registry over its control API, so machines can then "pull" it.
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { AppError } from "../../errors.ts";
import { throwIfStopped } from "./build-errors.ts";
import type { Builder, BuildRequest } from "./builder.ts";

const INSTRUCTIONS = new Set([
  "ADD",
  "ARG",
  "CMD",
  "COPY",
  "ENTRYPOINT",
  "ENV",
  "EXPOSE",
  "FROM",
  "HEALTHCHECK",
  "LABEL",
  "MAINTAINER",
  "ONBUILD",
  "RUN",
  "SHELL",
  "STOPSIGNAL",
  "USER",
  "VOLUME",
  "WORKDIR",
]);

const REGISTRATION_TIMEOUT_MS = 10_000;

export type SandboxBuilderOptions = {
  /** The Fly emulator's control API, e.g. `http://127.0.0.1:4280/_emulator`. */
  flyEmulatorControlUrl: string;
  /** A pause before each log line, to make the log stream like a real build. */
  lineDelayMs?: number;
};

/**
 * One string per instruction, as Docker reads them: comment and empty lines dropped, continuation
 * lines joined, whitespace collapsed. Heredoc bodies are skipped as they do not start with a keyword.
 */
function dockerfileInstructions(text: string): string[] {
  const instructions: string[] = [];
  let pending = "";
  const finish = (instruction: string) => {
    const [keyword = "", ...rest] = instruction.trim().split(/\s+/);
    if (INSTRUCTIONS.has(keyword.toUpperCase()))
      instructions.push([keyword.toUpperCase(), ...rest].join(" "));
  };
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === "" || line.startsWith("#")) continue;
    if (line.endsWith("\\")) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    finish(pending + line);
    pending = "";
  }
  finish(pending);
  return instructions;
}

async function readDockerfile(request: BuildRequest): Promise<{ text: string; shownPath: string }> {
  const shownPath = path.posix.join(request.rootDirectory || ".", request.dockerfilePath);
  try {
    const text = await fs.readFile(
      path.join(request.workspaceDir, request.rootDirectory, request.dockerfilePath),
      "utf8",
    );
    return { text, shownPath };
  } catch {
    throw new AppError("BAD_REQUEST", `No Dockerfile at ${shownPath}.`, { reason: "DOCKERFILE_MISSING" });
  }
}

/**
 * How the emulated machines behave, chosen by the Dockerfile so that failures can be tried in the
 * sandbox: `LABEL sandbox.health=failing` fails health checks, `LABEL sandbox.crash=true` crash-loops.
 */
function sandboxBehaviour(instructions: string[]): { healthy: boolean; crashLoop: boolean } {
  const labels = instructions.filter((instruction) => instruction.startsWith("LABEL ")).join(" ");
  return {
    healthy: !/sandbox\.health\s*=\s*"?failing"?/.test(labels),
    crashLoop: /sandbox\.crash\s*=\s*"?true"?/.test(labels),
  };
}

export function createSandboxBuilder(options: SandboxBuilderOptions): Builder {
  const lineDelayMs = options.lineDelayMs ?? 0;
  const controlUrl = options.flyEmulatorControlUrl.replace(/\/+$/, "");

  async function emit(request: BuildRequest, lines: string[]): Promise<void> {
    for (const line of lines) {
      if (lineDelayMs > 0) {
        // An abort cuts the pause short; throwIfStopped turns it into the build's error.
        await sleep(lineDelayMs, undefined, { signal: request.signal }).catch(() => {});
      }
      throwIfStopped(request.signal);
      request.log(line);
    }
  }

  /** The emulator's registry (POST /_emulator/images) is what makes the image pullable by machines. */
  async function register(
    imageRef: string,
    behaviour: { healthy: boolean; crashLoop: boolean },
    signal: AbortSignal,
  ): Promise<void> {
    let response: Response;
    try {
      response = await fetch(`${controlUrl}/images`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ ref: imageRef, ...behaviour }),
        signal: AbortSignal.any([signal, AbortSignal.timeout(REGISTRATION_TIMEOUT_MS)]),
      });
    } catch (error) {
      throwIfStopped(signal);
      throw new AppError("BAD_GATEWAY", "The sandbox registry (the Fly emulator) could not be reached.", {
        reason: "SANDBOX_REGISTRY_FAILED",
        cause: error,
      });
    }
    await response.body?.cancel();
    if (response.status !== 201) {
      throw new AppError(
        "BAD_GATEWAY",
        `The sandbox registry (the Fly emulator) refused the image (HTTP ${response.status}).`,
        { reason: "SANDBOX_REGISTRY_FAILED" },
      );
    }
  }

  return {
    kind: "sandbox",
    async build(request) {
      throwIfStopped(request.signal);
      const { text, shownPath } = await readDockerfile(request);
      const instructions = dockerfileInstructions(text);
      if (!instructions.some((instruction) => instruction.startsWith("FROM "))) {
        throw new AppError("BAD_REQUEST", `The Dockerfile at ${shownPath} has no FROM instruction.`, {
          reason: "DOCKERFILE_INVALID",
        });
      }
      const imageRef = `registry.fly.io/${request.appName}:${request.imageLabel}`;
      const digest = createHash("sha256").update(text).update(request.commitSha).digest("hex");
      const exportStep = `#${instructions.length + 2}`;

      await emit(request, [
        "==> Building image (sandbox: the steps are simulated, nothing is compiled)",
        `#1 [internal] load build definition from ${path.posix.basename(request.dockerfilePath)}`,
        `#1 transferring dockerfile: ${Buffer.byteLength(text)}B done`,
        "#1 DONE 0.0s",
        ...instructions.flatMap((instruction, index) => [
          `#${index + 2} [${index + 1}/${instructions.length}] ${instruction}`,
          `#${index + 2} DONE 0.0s`,
        ]),
        `${exportStep} exporting to image`,
        `${exportStep} exporting layers done`,
        `${exportStep} writing image sha256:${digest} done`,
        `${exportStep} naming to ${imageRef} done`,
        `${exportStep} pushing ${imageRef}`,
      ]);
      await register(imageRef, sandboxBehaviour(instructions), request.signal);
      await emit(request, [`${exportStep} DONE 0.0s`, "--> Building image done", `image: ${imageRef}`]);
      return { imageRef };
    },
  };
}
