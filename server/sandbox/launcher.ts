// Sandbox mode: with no GitHub App configured, Hangar starts its GitHub and Fly.io emulators as
// separate programs and talks to them over HTTP exactly as it would to GitHub and Fly. Their
// credentials (the emulated App's key pair, OAuth client, Fly token) are generated once and kept under
// the data directory with mode 0600. Server code never imports the emulators; it only starts them.
import { type ChildProcess, spawn } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import * as z from "zod";
import type { GitHubAppSettings } from "../github/github-settings.ts";
import type { Logger } from "../observability/logger.ts";

const ROOT = path.resolve(import.meta.dirname, "..", "..");
const READY_TIMEOUT_MS = 30_000;
const SANDBOX_APP_ID = 424242;
const SANDBOX_APP_SLUG = "hangar-sandbox";

/** The emulated App's settings, as Hangar's GitHub client takes them, plus the emulator's control page. */
export type SandboxGitHub = GitHubAppSettings & { controlUrl: string };

export type SandboxFly = { apiUrl: string; controlUrl: string; token: string };

export type Sandbox = { github: SandboxGitHub; fly: SandboxFly; stop(): Promise<void> };

const credentialsSchema = z.object({
  privateKeyPem: z.string().min(1),
  publicKeyPem: z.string().min(1),
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
  flyToken: z.string().min(1),
});
type SandboxCredentials = z.infer<typeof credentialsSchema>;

function loadOrCreateCredentials(dataDir: string): SandboxCredentials {
  const file = path.join(dataDir, "sandbox-emulators.json");
  if (fs.existsSync(file)) {
    const stored = credentialsSchema.safeParse(JSON.parse(fs.readFileSync(file, "utf8")));
    if (stored.success) return stored.data;
  }
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const credentials: SandboxCredentials = {
    privateKeyPem: privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
    publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
    clientId: `Iv23${randomBytes(8).toString("hex")}`,
    clientSecret: randomBytes(20).toString("hex"),
    flyToken: `fo1_sandbox_${randomBytes(16).toString("base64url")}`,
  };
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(file, JSON.stringify(credentials, null, 2), { mode: 0o600 });
  return credentials;
}

/** Starts one emulator and resolves with the URL it prints on its ready line. */
function startEmulator(
  name: string,
  entry: string,
  env: Record<string, string>,
  logger: Logger,
): Promise<{ url: string; child: ChildProcess }> {
  // The emulator exits when its stdin closes, so it never outlives Hangar, even after a SIGKILL. It runs
  // on the same Node as Hangar, which strips its types itself.
  const child = spawn(process.execPath, [entry, "--exit-with-stdin"], {
    cwd: ROOT,
    env,
    stdio: ["pipe", "pipe", "pipe"],
  });
  const log = logger.child({ component: `${name}-emulator` });
  child.stderr?.on("data", (chunk: Buffer) => log.warn(chunk.toString().trim()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGTERM");
      reject(new Error(`The ${name} emulator did not start within ${READY_TIMEOUT_MS / 1000} s.`));
    }, READY_TIMEOUT_MS);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`The ${name} emulator exited during start-up (code ${code}).`));
    });
    if (!child.stdout) throw new Error("emulator stdout is not piped");
    const lines = createInterface({ input: child.stdout });
    lines.on("line", (line) => {
      const ready = z.object({ ready: z.literal(true), url: z.string() }).safeParse(safeJson(line));
      if (ready.success) {
        clearTimeout(timer);
        child.removeAllListeners("exit");
        child.once("exit", (code) => log.warn({ code }, `${name} emulator exited`));
        resolve({ url: ready.data.url, child });
      } else if (line.trim()) {
        log.debug(line);
      }
    });
  });
}

function safeJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return null;
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill("SIGKILL"), 3_000);
    child.once("exit", () => {
      clearTimeout(force);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

export async function startSandbox(options: {
  dataDir: string;
  childEnv: { PATH: string; HOME: string };
  publicUrl: string;
  webhookSecret: string;
  /** Emulated Fly time runs this many times faster than real time (health-check grace periods…). */
  flyTimeScale: number;
  logger: Logger;
}): Promise<Sandbox> {
  const credentials = loadOrCreateCredentials(options.dataDir);
  const publicKeyFile = path.join(options.dataDir, "sandbox-github-app.pub.pem");
  fs.writeFileSync(publicKeyFile, credentials.publicKeyPem, { mode: 0o600 });

  const [github, fly] = await Promise.all([
    startEmulator(
      "github",
      "emulators/github/main.ts",
      {
        ...options.childEnv,
        GITHUB_EMULATOR_PORT: "0",
        GITHUB_EMULATOR_APP_ID: String(SANDBOX_APP_ID),
        GITHUB_EMULATOR_APP_SLUG: SANDBOX_APP_SLUG,
        GITHUB_EMULATOR_APP_PUBLIC_KEY_FILE: publicKeyFile,
        GITHUB_EMULATOR_CLIENT_ID: credentials.clientId,
        GITHUB_EMULATOR_CLIENT_SECRET: credentials.clientSecret,
        GITHUB_EMULATOR_WEBHOOK_SECRET: options.webhookSecret,
        GITHUB_EMULATOR_WEBHOOK_URL: `${options.publicUrl}/api/webhooks/github`,
        GITHUB_EMULATOR_SETUP_URL: `${options.publicUrl}/api/github/setup`,
      },
      options.logger,
    ),
    startEmulator(
      "fly",
      "emulators/fly/main.ts",
      {
        FLY_EMULATOR_PORT: "0",
        FLY_EMULATOR_SEED_ORG: "personal",
        FLY_EMULATOR_SEED_TOKEN: credentials.flyToken,
        FLY_EMULATOR_TIME_SCALE: String(options.flyTimeScale),
      },
      options.logger,
    ),
  ]);

  return {
    github: {
      appId: SANDBOX_APP_ID,
      appSlug: SANDBOX_APP_SLUG,
      privateKeyPem: credentials.privateKeyPem,
      webhookSecret: options.webhookSecret,
      clientId: credentials.clientId,
      clientSecret: credentials.clientSecret,
      apiUrl: `${github.url}/api/v3`,
      webUrl: github.url,
      controlUrl: `${github.url}/_emulator`,
    },
    fly: { apiUrl: fly.url, controlUrl: `${fly.url}/_emulator`, token: credentials.flyToken },
    async stop() {
      await Promise.all([stopChild(github.child), stopChild(fly.child)]);
    },
  };
}

/** What GET /api/sandbox tells the dashboard: where the emulators are, never a secret but the Fly token. */
export function describeSandbox(sandbox: Sandbox) {
  return {
    mode: "sandbox" as const,
    github: {
      apiUrl: sandbox.github.apiUrl,
      webUrl: sandbox.github.webUrl,
      controlUrl: sandbox.github.controlUrl,
    },
    // The seeded emulator token opens nothing but the emulator; showing it lets a person paste it.
    fly: { apiUrl: sandbox.fly.apiUrl, controlUrl: sandbox.fly.controlUrl, token: sandbox.fly.token },
  };
}

export type SandboxDescription = ReturnType<typeof describeSandbox>;
