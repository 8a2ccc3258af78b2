import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../config.ts";
import { createBuilder } from "./builder.ts";

function config(environment: Record<string, string>) {
  return loadConfig({
    HANGAR_DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), "hangar-config-")),
    ...environment,
  });
}

describe("createBuilder", () => {
  it("builds with the builder the configuration names", () => {
    const controlUrl = "http://127.0.0.1:4280/_emulator";
    expect(createBuilder({ config: config({}), flyEmulatorControlUrl: controlUrl }).kind).toBe("sandbox");
    expect(
      createBuilder({ config: config({ HANGAR_BUILDER: "flyctl" }), flyEmulatorControlUrl: undefined }).kind,
    ).toBe("flyctl");
    expect(
      createBuilder({
        config: config({ HANGAR_BUILDER: "image", BUILD_IMAGE_TEMPLATE: "ghcr.io/acme/{app}:{sha}" }),
        flyEmulatorControlUrl: undefined,
      }).kind,
    ).toBe("image");
  });

  it("refuses the sandbox builder without the Fly emulator", () => {
    expect(() => createBuilder({ config: config({}), flyEmulatorControlUrl: undefined })).toThrowError(
      /needs the Fly emulator/,
    );
  });
});
