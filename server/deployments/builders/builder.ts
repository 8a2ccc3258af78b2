// The build step of a deployment (SPEC §5.6): turn a commit's source into an image reference that Fly
// machines can run. One small interface; configuration picks the implementation.
import type { Config } from "../../config.ts";
import { createFlyctlBuilder } from "./flyctl-builder.ts";
import { createImageBuilder } from "./image-builder.ts";
import { createSandboxBuilder } from "./sandbox-builder.ts";

export type BuildRequest = {
  deploymentId: string;
  /** The Fly app the image is for. */
  appName: string;
  commitSha: string;
  /** The extracted source (repository root), already checked to be safe. */
  workspaceDir: string;
  /** Relative to the workspace; "" is the repository root. */
  rootDirectory: string;
  /** Relative to rootDirectory. */
  dockerfilePath: string;
  /** Relative to rootDirectory. */
  flyConfigPath: string;
  /** The image tag, e.g. `hangar-<deploymentNumber>-<shortsha>`. */
  imageLabel: string;
  /** The organisation's Fly token: passed in a child's environment only, never in argv or logs. */
  flyToken: string;
  /** Cancel or step timeout. Aborting with an AppError as reason makes that the build's error. */
  signal: AbortSignal;
  /** Each output line, in order; the caller redacts and stores them. Must not throw (streams call it). */
  log: (line: string) => void;
};

export type BuildResult = { imageRef: string };

export type BuilderKind = Config["builder"]["kind"];

export interface Builder {
  readonly kind: BuilderKind;
  build(request: BuildRequest): Promise<BuildResult>;
}

export function createBuilder(deps: {
  config: Pick<Config, "builder" | "childEnv" | "fly">;
  /** The Fly emulator's control API (`…/_emulator`); only the sandbox builder uses it. */
  flyEmulatorControlUrl: string | undefined;
}): Builder {
  const { builder, childEnv, fly } = deps.config;
  switch (builder.kind) {
    case "flyctl":
      return createFlyctlBuilder({
        flyctlPath: builder.flyctlPath,
        childEnv,
        // flyctl then talks to the same Machines API as Hangar does.
        flapsBaseUrl: fly.apiUrl,
        timeoutSeconds: builder.timeoutSeconds,
      });
    case "image":
      if (builder.imageTemplate === undefined)
        throw new Error("The image builder needs BUILD_IMAGE_TEMPLATE.");
      return createImageBuilder({ template: builder.imageTemplate });
    case "sandbox":
      if (deps.flyEmulatorControlUrl === undefined) {
        throw new Error("The sandbox builder needs the Fly emulator (sandbox mode).");
      }
      return createSandboxBuilder({ flyEmulatorControlUrl: deps.flyEmulatorControlUrl });
  }
}
