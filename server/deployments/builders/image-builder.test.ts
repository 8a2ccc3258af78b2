import { describe, expect, it } from "vitest";
import { AppError } from "../../errors.ts";
import type { BuildRequest } from "./builder.ts";
import { createImageBuilder, imageTemplateProblem } from "./image-builder.ts";

function request(overrides: Partial<BuildRequest> = {}): BuildRequest & { lines: string[] } {
  const lines: string[] = [];
  return {
    deploymentId: "dep_1",
    appName: "my-app",
    commitSha: "abc1234def5678abc1234def5678abc1234def56",
    workspaceDir: "/nonexistent",
    rootDirectory: "",
    dockerfilePath: "Dockerfile",
    flyConfigPath: "fly.toml",
    imageLabel: "hangar-7-abc1234",
    flyToken: "unused",
    signal: new AbortController().signal,
    log: (line) => lines.push(line),
    lines,
    ...overrides,
  };
}

async function failure(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

describe("image builder", () => {
  it("deploys the reference the template names for the commit, saying so in one log line", async () => {
    const build = request();

    const result = await createImageBuilder({ template: "ghcr.io/acme/{app}:{short_sha}-{label}" }).build(
      build,
    );

    expect(result).toEqual({ imageRef: "ghcr.io/acme/my-app:abc1234-hangar-7-abc1234" });
    expect(build.lines).toEqual([
      "Using the prebuilt image ghcr.io/acme/my-app:abc1234-hangar-7-abc1234 (nothing is built)",
    ]);
    await expect(
      createImageBuilder({ template: "registry.example.com:5000/web:{sha}" }).build(request()),
    ).resolves.toEqual({
      imageRef: "registry.example.com:5000/web:abc1234def5678abc1234def5678abc1234def56",
    });
  });

  it("accepts Docker references", () => {
    for (const template of [
      "nginx",
      "nginx:1.27-alpine",
      "docker.io/library/node:20",
      "localhost:5000/web:{label}",
      "registry.fly.io/{app}:{label}",
      "ghcr.io/acme/my_team/web-app:{sha}",
      `ghcr.io/acme/web@sha256:${"a".repeat(64)}`,
    ]) {
      expect(imageTemplateProblem(template), template).toBeUndefined();
    }
  });

  it("refuses templates that are not Docker references or use unknown placeholders", () => {
    for (const [template, problem] of [
      ["ghcr.io/acme/web:{tag}", /unknown placeholder \{tag\}/],
      ["ghcr.io/acme/web :latest", /not an image reference/],
      ["ghcr.io/acme/web:{sha}\n", /not an image reference/],
      ["ghcr.io/acme/web:{sha}; rm -rf /", /not an image reference/],
      ["ghcr.io/Acme/web:{sha}", /not an image reference/],
      ["ACME/web", /not an image reference/],
      ["https://ghcr.io/acme/web", /not an image reference/],
      ["ghcr.io/acme/web:", /not an image reference/],
      ["", /not an image reference/],
      [`ghcr.io/${"a".repeat(250)}:{sha}`, /longer than 255/],
    ] as const) {
      expect(imageTemplateProblem(template), template).toMatch(problem);
    }
    let caught: unknown;
    try {
      createImageBuilder({ template: "ghcr.io/acme/web:$(id)" });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(AppError);
    expect((caught as AppError).reason).toBe("IMAGE_TEMPLATE_INVALID");
  });

  it("refuses a reference that only this request makes invalid", async () => {
    const builder = createImageBuilder({ template: "ghcr.io/acme/{app}:{sha}" });

    const error = await failure(builder.build(request({ appName: "My App" })));

    expect(error.reason).toBe("IMAGE_REFERENCE_INVALID");
  });

  it("does nothing for a build that was already stopped, with the reason it was stopped for", async () => {
    const builder = createImageBuilder({ template: "ghcr.io/acme/web:{sha}" });
    const cancelled = new AbortController();
    cancelled.abort();
    const superseded = new AbortController();
    superseded.abort(
      new AppError("CONFLICT", "A newer push superseded this deployment.", { reason: "SUPERSEDED" }),
    );

    const build = request({ signal: cancelled.signal });
    expect((await failure(builder.build(build))).reason).toBe("BUILD_CANCELLED");
    expect(build.lines).toEqual([]);
    expect((await failure(builder.build(request({ signal: superseded.signal })))).reason).toBe("SUPERSEDED");
  });
});
