import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./config.ts";

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "hangar-config-"));
}

/** A PEM as it is often put into one-line environment values: newlines written as `\\n`. */
const TEST_PEM_ONE_LINE =
  "-----BEGIN PRIVATE KEY-----\\nMIIBVQIBADANBgkqhkiG9w0BAQEFAASC\\n-----END PRIVATE KEY-----";

describe("loadConfig", () => {
  it("defaults to sandbox mode on port 3000 with an embedded database", () => {
    const config = loadConfig({ HANGAR_DATA_DIR: tempDir() });
    expect(config.mode).toBe("sandbox");
    expect(config.port).toBe(3000);
    expect(config.databaseUrl).toBeUndefined();
    expect(config.publicUrl).toBe("http://localhost:3000");
    expect(config.host).toBe("127.0.0.1");
  });

  it("generates sandbox secrets once, keeps them with mode 0600 and reuses them", () => {
    const dataDir = tempDir();
    const first = loadConfig({ HANGAR_DATA_DIR: dataDir });
    const second = loadConfig({ HANGAR_DATA_DIR: dataDir });
    expect(first.secrets.betterAuth.length).toBeGreaterThanOrEqual(32);
    expect(second.secrets).toEqual(first.secrets);
    const mode = fs.statSync(path.join(dataDir, "sandbox-secrets.json")).mode & 0o777;
    expect(mode).toBe(0o600);
  });

  it("lists every invalid variable in one error", () => {
    let caught: unknown;
    try {
      loadConfig({
        PORT: "seventy",
        DATABASE_URL: "mysql://x",
        LOG_LEVEL: "loud",
        WEBHOOK_BURST_PROCESSING_SHARE: "0",
        HANGAR_DATA_DIR: tempDir(),
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const problems = (caught as ConfigError).problems.join("\n");
    expect(problems).toContain("PORT");
    expect(problems).toContain("DATABASE_URL");
    expect(problems).toContain("LOG_LEVEL");
    // The worker would never process during a burst.
    expect(problems).toContain("WEBHOOK_BURST_PROCESSING_SHARE");
  });

  it("requires real secrets, a database and a public URL once a GitHub App is configured", () => {
    expect(() => loadConfig({ GITHUB_APP_ID: "123", HANGAR_DATA_DIR: tempDir() })).toThrowError(
      /BETTER_AUTH_SECRET[\s\S]*ENCRYPTION_SECRET[\s\S]*DATABASE_URL[\s\S]*PUBLIC_URL/,
    );
    expect(() =>
      loadConfig({ GITHUB_APP_ID: "123", BETTER_AUTH_SECRET: "short", HANGAR_DATA_DIR: tempDir() }),
    ).toThrowError(/BETTER_AUTH_SECRET: must be at least 32 characters/);
  });

  it("chooses the builder by mode unless HANGAR_BUILDER says otherwise, and checks the image template", () => {
    const sandbox = loadConfig({ HANGAR_DATA_DIR: tempDir() });
    expect(sandbox.builder).toEqual({
      kind: "sandbox",
      flyctlPath: "flyctl",
      timeoutSeconds: 1800,
      imageTemplate: undefined,
    });
    const flyctl = loadConfig({
      HANGAR_BUILDER: "flyctl",
      FLYCTL_PATH: "/opt/fly/bin/flyctl",
      BUILD_TIMEOUT_SECONDS: "600",
      HANGAR_DATA_DIR: tempDir(),
    });
    expect(flyctl.builder).toMatchObject({
      kind: "flyctl",
      flyctlPath: "/opt/fly/bin/flyctl",
      timeoutSeconds: 600,
    });
    const image = loadConfig({
      HANGAR_BUILDER: "image",
      BUILD_IMAGE_TEMPLATE: "ghcr.io/acme/{app}:{sha}",
      HANGAR_DATA_DIR: tempDir(),
    });
    expect(image.builder).toMatchObject({ kind: "image", imageTemplate: "ghcr.io/acme/{app}:{sha}" });
    expect(() =>
      loadConfig({ HANGAR_BUILDER: "docker", BUILD_TIMEOUT_SECONDS: "0", HANGAR_DATA_DIR: tempDir() }),
    ).toThrowError(/HANGAR_BUILDER[\s\S]*BUILD_TIMEOUT_SECONDS/);
    expect(() =>
      loadConfig({ GITHUB_APP_ID: "123", HANGAR_BUILDER: "sandbox", HANGAR_DATA_DIR: tempDir() }),
    ).toThrowError(/HANGAR_BUILDER: sandbox needs sandbox mode/);
    expect(() => loadConfig({ HANGAR_BUILDER: "image", HANGAR_DATA_DIR: tempDir() })).toThrowError(
      /BUILD_IMAGE_TEMPLATE: required when HANGAR_BUILDER is image/,
    );
    expect(() =>
      loadConfig({
        HANGAR_BUILDER: "image",
        BUILD_IMAGE_TEMPLATE: "ghcr.io/acme/web:{tag}",
        HANGAR_DATA_DIR: tempDir(),
      }),
    ).toThrowError(/BUILD_IMAGE_TEMPLATE: has an unknown placeholder \{tag\}/);
  });

  it("lists every missing GitHub App variable, and reads the private key from a file", () => {
    expect(() => loadConfig({ GITHUB_APP_ID: "123", HANGAR_DATA_DIR: tempDir() })).toThrowError(
      /GITHUB_APP_SLUG[\s\S]*GITHUB_CLIENT_ID[\s\S]*GITHUB_CLIENT_SECRET[\s\S]*GITHUB_APP_PRIVATE_KEY or GITHUB_APP_PRIVATE_KEY_FILE/,
    );
    const dataDir = tempDir();
    const keyFile = path.join(dataDir, "app.pem");
    fs.writeFileSync(keyFile, `${TEST_PEM_ONE_LINE.replaceAll("\\n", "\n")}\n`);
    const config = loadConfig({
      GITHUB_APP_ID: "7",
      GITHUB_APP_SLUG: "hangar",
      GITHUB_APP_PRIVATE_KEY_FILE: keyFile,
      GITHUB_CLIENT_ID: "Iv23li",
      GITHUB_CLIENT_SECRET: "secret",
      GITHUB_API_URL: "https://ghe.example.com/api/v3/",
      GITHUB_WEB_URL: "https://ghe.example.com",
      BETTER_AUTH_SECRET: "a".repeat(40),
      ENCRYPTION_SECRET: "b".repeat(40),
      GITHUB_WEBHOOK_SECRET: "c".repeat(40),
      DATABASE_URL: "postgresql://user@db.internal/hangar",
      PUBLIC_URL: "https://hangar.example.com",
      HANGAR_DATA_DIR: dataDir,
    });
    expect(config.githubApp?.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n[\s\S]+KEY-----$/);
    expect(config.githubApp?.apiUrl).toBe("https://ghe.example.com/api/v3");
    expect(() =>
      loadConfig({ GITHUB_APP_PRIVATE_KEY: "not a key", HANGAR_DATA_DIR: tempDir() }),
    ).toThrowError(/GITHUB_APP_PRIVATE_KEY: not a PEM private key/);
  });

  it("accepts a complete production configuration without touching the data directory's secrets", () => {
    const dataDir = tempDir();
    const config = loadConfig({
      GITHUB_APP_ID: "123",
      BETTER_AUTH_SECRET: "a".repeat(40),
      ENCRYPTION_SECRET: "b".repeat(40),
      GITHUB_WEBHOOK_SECRET: "c".repeat(40),
      GITHUB_APP_SLUG: "hangar",
      GITHUB_APP_PRIVATE_KEY: TEST_PEM_ONE_LINE,
      GITHUB_CLIENT_ID: "Iv23liExample",
      GITHUB_CLIENT_SECRET: "d".repeat(40),
      DATABASE_URL: "postgresql://user@db.internal/hangar",
      PUBLIC_URL: "https://hangar.example.com/",
      HANGAR_DATA_DIR: dataDir,
    });
    expect(config.mode).toBe("production");
    expect(config.githubApp).toEqual({
      appId: 123,
      appSlug: "hangar",
      privateKeyPem: TEST_PEM_ONE_LINE.replaceAll("\\n", "\n"),
      clientId: "Iv23liExample",
      clientSecret: "d".repeat(40),
      apiUrl: "https://api.github.com",
      webUrl: "https://github.com",
    });
    expect(config.publicUrl).toBe("https://hangar.example.com");
    expect(config.host).toBe("0.0.0.0");
    expect(config.builder.kind).toBe("flyctl");
    expect(fs.existsSync(path.join(dataDir, "sandbox-secrets.json"))).toBe(false);
  });
});
