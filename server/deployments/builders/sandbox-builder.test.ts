// The sandbox builder against a real Fly emulator over HTTP: what it "builds" must be pullable there.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { AppError } from "../../errors.ts";
import { FLY_ORG, FLY_TOKEN, startTestFly, type TestFly } from "../../test/fly.ts";
import type { BuildRequest } from "./builder.ts";
import { createSandboxBuilder } from "./sandbox-builder.ts";

const DOCKERFILE = `# syntax=docker/dockerfile:1
FROM node:24-alpine

WORKDIR /app
# dependencies first, for the layer cache
COPY package.json package-lock.json ./
RUN npm ci \\
    --omit=dev \\
    && npm cache clean --force
COPY . .
env NODE_ENV=production
EXPOSE 8080
CMD ["node", "server.js"]
`;

const IMAGE = "registry.fly.io/my-app:hangar-7-abc1234";

let fly: TestFly;

beforeAll(async () => {
  fly = await startTestFly();
});

afterAll(async () => {
  await fly.close();
});

beforeEach(async () => {
  await fly.control("POST", "/reset");
});

function workspace(dockerfile: string | undefined): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hangar-workspace-"));
  fs.mkdirSync(path.join(dir, "apps", "web"), { recursive: true });
  if (dockerfile !== undefined) fs.writeFileSync(path.join(dir, "apps", "web", "Dockerfile"), dockerfile);
  return dir;
}

function request(overrides: Partial<BuildRequest> = {}): BuildRequest & { lines: string[] } {
  const lines: string[] = [];
  return {
    deploymentId: "dep_1",
    appName: "my-app",
    commitSha: "abc1234def5678abc1234def5678abc1234def56",
    workspaceDir: workspace(DOCKERFILE),
    rootDirectory: "apps/web",
    dockerfilePath: "Dockerfile",
    flyConfigPath: "fly.toml",
    imageLabel: "hangar-7-abc1234",
    flyToken: FLY_TOKEN,
    signal: new AbortController().signal,
    log: (line) => lines.push(line),
    lines,
    ...overrides,
  };
}

function builder(options: { lineDelayMs?: number } = {}) {
  return createSandboxBuilder({ flyEmulatorControlUrl: `${fly.url}/_emulator`, ...options });
}

async function registeredImages(): Promise<string[]> {
  const state = await fly.control<{ images: { ref: string }[] }>("GET", "/state");
  return state.images.map((image) => image.ref);
}

async function failure(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

async function flyApi<T>(method: string, apiPath: string, body?: unknown): Promise<T> {
  const response = await fetch(`${fly.url}/v1${apiPath}`, {
    method,
    headers: { authorization: `Bearer ${FLY_TOKEN}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  expect(response.ok, `${method} ${apiPath} → ${response.status}`).toBe(true);
  return (await response.json()) as T;
}

/** The state a new machine running `image` settles in on the emulator. */
async function machineStateFor(image: string): Promise<string> {
  const machine = await flyApi<{ id: string }>("POST", "/apps/my-app/machines", { config: { image } });
  let state = "";
  await vi.waitFor(async () => {
    ({ state } = await flyApi<{ state: string }>("GET", `/apps/my-app/machines/${machine.id}`));
    expect(["started", "failed"]).toContain(state);
  });
  return state;
}

describe("sandbox builder", () => {
  it("logs a build of each Dockerfile instruction and registers the image, which machines can then run", async () => {
    const build = request();
    await flyApi("POST", "/apps", { name: "my-app", org_slug: FLY_ORG });
    expect(await machineStateFor(IMAGE)).toBe("failed");

    const result = await builder().build(build);

    expect(result).toEqual({ imageRef: IMAGE });
    expect(build.lines).toEqual([
      "==> Building image (sandbox: the steps are simulated, nothing is compiled)",
      "#1 [internal] load build definition from Dockerfile",
      `#1 transferring dockerfile: ${Buffer.byteLength(DOCKERFILE)}B done`,
      "#1 DONE 0.0s",
      "#2 [1/8] FROM node:24-alpine",
      "#2 DONE 0.0s",
      "#3 [2/8] WORKDIR /app",
      "#3 DONE 0.0s",
      "#4 [3/8] COPY package.json package-lock.json ./",
      "#4 DONE 0.0s",
      "#5 [4/8] RUN npm ci --omit=dev && npm cache clean --force",
      "#5 DONE 0.0s",
      "#6 [5/8] COPY . .",
      "#6 DONE 0.0s",
      "#7 [6/8] ENV NODE_ENV=production",
      "#7 DONE 0.0s",
      "#8 [7/8] EXPOSE 8080",
      "#8 DONE 0.0s",
      '#9 [8/8] CMD ["node", "server.js"]',
      "#9 DONE 0.0s",
      "#10 exporting to image",
      "#10 exporting layers done",
      expect.stringMatching(/^#10 writing image sha256:[0-9a-f]{64} done$/),
      `#10 naming to ${IMAGE} done`,
      `#10 pushing ${IMAGE}`,
      "#10 DONE 0.0s",
      "--> Building image done",
      `image: ${IMAGE}`,
    ]);
    expect(await registeredImages()).toEqual([IMAGE]);
    expect(await machineStateFor(IMAGE)).toBe("started");
  });

  it("fails without a Dockerfile, or with one that has no FROM, and registers nothing", async () => {
    const missing = await failure(builder().build(request({ workspaceDir: workspace(undefined) })));
    expect(missing.reason).toBe("DOCKERFILE_MISSING");
    expect(missing.message).toBe("No Dockerfile at apps/web/Dockerfile.");

    const invalid = await failure(
      builder().build(request({ workspaceDir: workspace("# nothing\nRUN true\n") })),
    );
    expect(invalid.reason).toBe("DOCKERFILE_INVALID");
    expect(await registeredImages()).toEqual([]);
  });

  it("stops between lines when cancelled, and registers nothing", async () => {
    const controller = new AbortController();
    const lines: string[] = [];
    const build = request({
      signal: controller.signal,
      log: (line) => {
        lines.push(line);
        if (lines.length === 3) controller.abort();
      },
    });

    const error = await failure(builder().build(build));

    expect(error.reason).toBe("BUILD_CANCELLED");
    expect(lines).toHaveLength(3);
    expect(await registeredImages()).toEqual([]);
  });

  it("paces its lines when asked, and reports a step timeout as a timeout", async () => {
    const build = request({ signal: AbortSignal.timeout(150) });

    const error = await failure(builder({ lineDelayMs: 25 }).build(build));

    expect(error.reason).toBe("BUILD_TIMED_OUT");
    expect(build.lines.length).toBeGreaterThan(0);
    expect(build.lines.length).toBeLessThan(10);
    expect(await registeredImages()).toEqual([]);
  });

  it("fails when the emulator does not take the image", async () => {
    const wrongUrl = createSandboxBuilder({ flyEmulatorControlUrl: `${fly.url}/not-the-control-api` });

    const error = await failure(wrongUrl.build(request()));

    expect(error.reason).toBe("SANDBOX_REGISTRY_FAILED");
    expect(error.message).toContain("HTTP 404");
  });
});
