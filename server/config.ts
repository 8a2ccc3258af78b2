// The one module that reads the environment. Everything else receives a typed `Config`.
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import * as z from "zod";
import { imageTemplateProblem } from "./deployments/builders/image-builder.ts";

const MIN_SECRET_LENGTH = 32;

/** Empty strings in .env files mean "not set", as in most tools. */
const optionalString = z.preprocess((value) => (value === "" ? undefined : value), z.string().optional());

const secret = z
  .string()
  .min(MIN_SECRET_LENGTH, `must be at least ${MIN_SECRET_LENGTH} characters of random data`);

const envSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: optionalString,
  PUBLIC_URL: optionalString.pipe(z.url({ protocol: /^https?$/ }).optional()),
  HANGAR_DATA_DIR: z.string().min(1).default("./.hangar"),
  HANGAR_ROLE: z.enum(["all", "web", "worker"]).default("all"),
  DATABASE_URL: optionalString.pipe(
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL")
      .optional(),
  ),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  TRUST_PROXY: z
    .enum(["true", "false", "1", "0"])
    .default("false")
    .transform((value) => value === "true" || value === "1"),
  BETTER_AUTH_SECRET: optionalString.pipe(secret.optional()),
  ENCRYPTION_SECRET: optionalString.pipe(secret.optional()),
  ENCRYPTION_SECRET_PREVIOUS: optionalString.pipe(secret.optional()),
  API_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(600),
  SIGN_IN_FAILURES_ALLOWED: z.coerce.number().int().min(1).default(5),
  SIGN_IN_FAILURE_WINDOW_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .default(15 * 60),
  GITHUB_APP_ID: optionalString.pipe(
    z
      .string()
      .regex(/^[1-9]\d{0,15}$/, "must be the App's numeric id")
      .transform(Number)
      .optional(),
  ),
  GITHUB_APP_SLUG: optionalString,
  /** PEM; literal `\n` sequences (one-line env values) are turned into newlines. */
  GITHUB_APP_PRIVATE_KEY: optionalString,
  GITHUB_APP_PRIVATE_KEY_FILE: optionalString,
  GITHUB_CLIENT_ID: optionalString,
  GITHUB_CLIENT_SECRET: optionalString,
  GITHUB_API_URL: optionalString.pipe(
    z
      .url({ protocol: /^https?$/ })
      .default("https://api.github.com")
      .transform((url) => url.replace(/\/+$/, "")),
  ),
  GITHUB_WEB_URL: optionalString.pipe(
    z
      .url({ protocol: /^https?$/ })
      .default("https://github.com")
      .transform((url) => url.replace(/\/+$/, "")),
  ),
  GITHUB_WEBHOOK_SECRET: optionalString.pipe(z.string().min(16, "must be at least 16 characters").optional()),
  GITHUB_WEBHOOK_SECRET_PREVIOUS: optionalString.pipe(
    z.string().min(16, "must be at least 16 characters").optional(),
  ),
  WEBHOOK_FAILURES_PER_MINUTE: z.coerce.number().int().min(1).default(30),
  FLY_API_URL: optionalString.pipe(
    z
      .url({ protocol: /^https?$/ })
      .transform((url) => url.replace(/\/+$/, ""))
      .optional(),
  ),
  HANGAR_BUILDER: optionalString.pipe(z.enum(["sandbox", "flyctl", "image"]).optional()),
  FLYCTL_PATH: optionalString.pipe(z.string().default("flyctl")),
  BUILD_TIMEOUT_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .default(30 * 60),
  BUILD_IMAGE_TEMPLATE: optionalString,
  DEPLOYMENT_LEASE_SECONDS: z.coerce.number().int().min(2).max(600).default(20),
  WORKER_NICE: z.coerce.number().int().min(0).max(19).default(10),
  WEBHOOK_BURST_PROCESSING_SHARE: z.coerce.number().gt(0).max(1).default(0.25),
  SANDBOX_FLY_TIME_SCALE: z.coerce.number().min(1).max(1000).default(1),
});

export type Config = {
  env: "development" | "production" | "test";
  /** Sandbox: no GitHub App configured, so Hangar runs against its own emulators. */
  mode: "sandbox" | "production";
  role: "all" | "web" | "worker";
  port: number;
  host: string;
  publicUrl: string;
  dataDir: string;
  /** Undefined means: start the embedded PostgreSQL under `dataDir`. */
  databaseUrl: string | undefined;
  databasePoolSize: number;
  logLevel: z.infer<typeof envSchema>["LOG_LEVEL"];
  trustProxy: boolean;
  /** The little of the environment passed on to child programs (the sandbox emulators). */
  childEnv: { PATH: string; HOME: string };
  secrets: {
    betterAuth: string;
    encryption: string;
    /** The encryption secret before the last rotation: still decrypts, never encrypts. */
    encryptionPrevious: string | undefined;
  };
  webhooks: {
    /** Deliveries signed with either secret are accepted, so the secret can be rotated without loss. */
    secrets: { current: string; previous: string | undefined };
  };
  /** The GitHub App in production mode; undefined in sandbox mode, where the launcher provides one. */
  githubApp:
    | {
        appId: number;
        appSlug: string;
        privateKeyPem: string;
        clientId: string;
        clientSecret: string;
        apiUrl: string;
        webUrl: string;
      }
    | undefined;
  /**
   * The Fly Machines API. FLY_API_URL wins; otherwise https://api.machines.dev in production and, in
   * sandbox mode, undefined: the launcher's Fly emulator.
   */
  fly: { apiUrl: string | undefined };
  /** How deployments get their image (SPEC §5.6): simulated in sandbox mode, flyctl in production. */
  builder: {
    kind: "sandbox" | "flyctl" | "image";
    flyctlPath: string;
    timeoutSeconds: number;
    /** For kind "image": a reference with placeholders, e.g. `ghcr.io/acme/{app}:{sha}`. */
    imageTemplate: string | undefined;
  };
  /** How long a deployment's worker may go silent before another worker takes the deployment over. */
  deploymentLeaseSeconds: number;
  /** CPU priority (nice) a worker-only process lowers itself to, so web processes win a burst. */
  workerNice: number;
  /**
   * While deliveries are still being acknowledged and a backlog stands, the share of its time the webhook
   * worker spends processing (1: it never gives way).
   */
  webhookBurstShare: number;
  /** Sandbox mode: how much faster than real time the Fly emulator's clock runs. */
  sandboxFlyTimeScale: number;
  limits: {
    apiRequestsPerMinute: number;
    signInFailuresAllowed: number;
    signInFailureWindowSeconds: number;
    webhookFailuresPerMinutePerIp: number;
  };
};

export class ConfigError extends Error {
  readonly problems: string[];

  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join("\n")}`);
    this.name = "ConfigError";
    this.problems = problems;
  }
}

const generatedSecretsSchema = z.object({ betterAuth: secret, encryption: secret, webhook: secret });
type GeneratedSecrets = z.infer<typeof generatedSecretsSchema>;

/**
 * Sandbox secrets are generated once and kept under the data directory (mode 0600), so sessions and
 * encrypted values survive restarts without the user having to invent secrets.
 */
function loadOrCreateSandboxSecrets(dataDir: string): GeneratedSecrets {
  const file = path.join(dataDir, "sandbox-secrets.json");
  if (fs.existsSync(file)) {
    const stored = generatedSecretsSchema.partial().safeParse(JSON.parse(fs.readFileSync(file, "utf8")));
    const complete = generatedSecretsSchema.safeParse(stored.data);
    if (complete.success) return complete.data;
    // Keep what exists (sessions, encrypted values depend on it) and add what a newer Hangar needs.
    if (stored.success) return writeSandboxSecrets(file, dataDir, stored.data);
  }
  return writeSandboxSecrets(file, dataDir, {});
}

function writeSandboxSecrets(
  file: string,
  dataDir: string,
  existing: Partial<GeneratedSecrets>,
): GeneratedSecrets {
  const fresh = () => randomBytes(32).toString("base64url");
  const generated = {
    betterAuth: existing.betterAuth ?? fresh(),
    encryption: existing.encryption ?? fresh(),
    webhook: existing.webhook ?? fresh(),
  };
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(file, JSON.stringify(generated, null, 2), { mode: 0o600 });
  return generated;
}

/** The App's private key from the variable or the file it names; a problem is recorded, not thrown. */
function readGitHubPrivateKey(source: Record<string, string | undefined>, problems: string[]) {
  let pem = source.GITHUB_APP_PRIVATE_KEY;
  const file = source.GITHUB_APP_PRIVATE_KEY_FILE;
  if (!pem && file) {
    try {
      pem = fs.readFileSync(file, "utf8");
    } catch (error) {
      problems.push(`GITHUB_APP_PRIVATE_KEY_FILE: cannot read ${file} (${(error as Error).message})`);
      return undefined;
    }
  }
  if (!pem) return undefined;
  pem = pem.replace(/\\n/g, "\n").trim();
  if (!/^-----BEGIN (RSA )?PRIVATE KEY-----[\s\S]+-----END (RSA )?PRIVATE KEY-----$/.test(pem)) {
    problems.push(
      `${source.GITHUB_APP_PRIVATE_KEY ? "GITHUB_APP_PRIVATE_KEY" : "GITHUB_APP_PRIVATE_KEY_FILE"}: not a PEM private key`,
    );
    return undefined;
  }
  return pem;
}

/** Validates the environment and returns the configuration, or throws one ConfigError listing every problem. */
export function loadConfig(source: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(source);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((issue) => `${issue.path.join(".") || "(environment)"}: ${issue.message}`);
  const mode = source.GITHUB_APP_ID ? "production" : "sandbox";
  if (mode === "production") {
    for (const name of [
      "BETTER_AUTH_SECRET",
      "ENCRYPTION_SECRET",
      "DATABASE_URL",
      "PUBLIC_URL",
      "GITHUB_WEBHOOK_SECRET",
      "GITHUB_APP_SLUG",
      "GITHUB_CLIENT_ID",
      "GITHUB_CLIENT_SECRET",
    ]) {
      if (!source[name]) problems.push(`${name}: required when a GitHub App is configured`);
    }
    if (!source.GITHUB_APP_PRIVATE_KEY && !source.GITHUB_APP_PRIVATE_KEY_FILE) {
      problems.push(
        "GITHUB_APP_PRIVATE_KEY or GITHUB_APP_PRIVATE_KEY_FILE: required when a GitHub App is configured",
      );
    }
  }
  const privateKeyPem = readGitHubPrivateKey(source, problems);
  if (mode === "production" && source.HANGAR_BUILDER === "sandbox") {
    problems.push("HANGAR_BUILDER: sandbox needs sandbox mode (it registers images with the Fly emulator)");
  }
  if (source.HANGAR_BUILDER === "image") {
    const template = source.BUILD_IMAGE_TEMPLATE;
    const problem = template ? imageTemplateProblem(template) : "required when HANGAR_BUILDER is image";
    if (problem) problems.push(`BUILD_IMAGE_TEMPLATE: ${problem}`);
  }
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const env = parsed.data;

  const dataDir = path.resolve(env.HANGAR_DATA_DIR);
  const generated =
    env.BETTER_AUTH_SECRET && env.ENCRYPTION_SECRET && env.GITHUB_WEBHOOK_SECRET
      ? undefined
      : loadOrCreateSandboxSecrets(dataDir);
  const host = env.HOST ?? (mode === "production" ? "0.0.0.0" : "127.0.0.1");

  return {
    env: env.NODE_ENV,
    mode,
    role: env.HANGAR_ROLE,
    port: env.PORT,
    host,
    publicUrl: (env.PUBLIC_URL ?? `http://localhost:${env.PORT}`).replace(/\/$/, ""),
    dataDir,
    databaseUrl: env.DATABASE_URL,
    databasePoolSize: env.DATABASE_POOL_SIZE,
    logLevel: env.LOG_LEVEL,
    trustProxy: env.TRUST_PROXY,
    childEnv: { PATH: source.PATH ?? "/usr/bin:/bin", HOME: source.HOME ?? "/tmp" },
    secrets: {
      betterAuth: env.BETTER_AUTH_SECRET ?? generated?.betterAuth ?? "",
      encryption: env.ENCRYPTION_SECRET ?? generated?.encryption ?? "",
      encryptionPrevious: env.ENCRYPTION_SECRET_PREVIOUS,
    },
    webhooks: {
      secrets: {
        current: env.GITHUB_WEBHOOK_SECRET ?? generated?.webhook ?? "",
        previous: env.GITHUB_WEBHOOK_SECRET_PREVIOUS,
      },
    },
    githubApp:
      env.GITHUB_APP_ID !== undefined
        ? {
            appId: env.GITHUB_APP_ID,
            appSlug: env.GITHUB_APP_SLUG ?? "",
            privateKeyPem: privateKeyPem ?? "",
            clientId: env.GITHUB_CLIENT_ID ?? "",
            clientSecret: env.GITHUB_CLIENT_SECRET ?? "",
            apiUrl: env.GITHUB_API_URL,
            webUrl: env.GITHUB_WEB_URL,
          }
        : undefined,
    fly: { apiUrl: env.FLY_API_URL ?? (mode === "production" ? "https://api.machines.dev" : undefined) },
    builder: {
      kind: env.HANGAR_BUILDER ?? (mode === "production" ? "flyctl" : "sandbox"),
      flyctlPath: env.FLYCTL_PATH,
      timeoutSeconds: env.BUILD_TIMEOUT_SECONDS,
      imageTemplate: env.BUILD_IMAGE_TEMPLATE,
    },
    deploymentLeaseSeconds: env.DEPLOYMENT_LEASE_SECONDS,
    workerNice: env.WORKER_NICE,
    webhookBurstShare: env.WEBHOOK_BURST_PROCESSING_SHARE,
    sandboxFlyTimeScale: env.SANDBOX_FLY_TIME_SCALE,
    limits: {
      apiRequestsPerMinute: env.API_RATE_LIMIT_PER_MINUTE,
      signInFailuresAllowed: env.SIGN_IN_FAILURES_ALLOWED,
      signInFailureWindowSeconds: env.SIGN_IN_FAILURE_WINDOW_SECONDS,
      webhookFailuresPerMinutePerIp: env.WEBHOOK_FAILURES_PER_MINUTE,
    },
  };
}
