import { readFileSync } from "node:fs";
import { z } from "zod";
import type { GitHubEmulatorOptions } from "./options.ts";

/** The CLI's configuration, from GITHUB_EMULATOR_* environment variables. */

const optionalUrl = z.url().optional();
const positiveInt = z.coerce.number().int().positive();

const environmentSchema = z.object({
  GITHUB_EMULATOR_PORT: z.coerce.number().int().min(0).max(65_535).default(0),
  GITHUB_EMULATOR_HOST: z.string().min(1).default("127.0.0.1"),
  GITHUB_EMULATOR_APP_ID: positiveInt,
  GITHUB_EMULATOR_APP_SLUG: z
    .string()
    .regex(/^[a-z0-9-]+$/)
    .default("hangar-sandbox"),
  GITHUB_EMULATOR_APP_PUBLIC_KEY_FILE: z.string().min(1),
  GITHUB_EMULATOR_CLIENT_ID: z.string().min(1),
  GITHUB_EMULATOR_CLIENT_SECRET: z.string().min(1),
  GITHUB_EMULATOR_WEBHOOK_SECRET: z.string().default(""),
  GITHUB_EMULATOR_WEBHOOK_URL: optionalUrl,
  GITHUB_EMULATOR_SETUP_URL: optionalUrl,
  GITHUB_EMULATOR_USER_TOKEN_TTL: positiveInt.optional(),
  GITHUB_EMULATOR_INSTALLATION_TOKEN_TTL: positiveInt.optional(),
});

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): GitHubEmulatorOptions {
  // Empty variables count as unset, so `FOO=` in a .env file falls back to the default.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ""));
  const parsed = environmentSchema.safeParse(present);
  if (!parsed.success)
    throw new ConfigError(`Invalid GitHub emulator configuration:\n${z.prettifyError(parsed.error)}`);
  const config = parsed.data;
  let appPublicKeyPem: string;
  try {
    appPublicKeyPem = readFileSync(config.GITHUB_EMULATOR_APP_PUBLIC_KEY_FILE, "utf8");
  } catch (error) {
    throw new ConfigError(
      `Cannot read GITHUB_EMULATOR_APP_PUBLIC_KEY_FILE (${config.GITHUB_EMULATOR_APP_PUBLIC_KEY_FILE}): ${(error as Error).message}`,
    );
  }
  return {
    port: config.GITHUB_EMULATOR_PORT,
    host: config.GITHUB_EMULATOR_HOST,
    appId: config.GITHUB_EMULATOR_APP_ID,
    appSlug: config.GITHUB_EMULATOR_APP_SLUG,
    appPublicKeyPem,
    clientId: config.GITHUB_EMULATOR_CLIENT_ID,
    clientSecret: config.GITHUB_EMULATOR_CLIENT_SECRET,
    webhookSecret: config.GITHUB_EMULATOR_WEBHOOK_SECRET,
    webhookUrl: config.GITHUB_EMULATOR_WEBHOOK_URL,
    setupUrl: config.GITHUB_EMULATOR_SETUP_URL,
    userTokenTtlSeconds: config.GITHUB_EMULATOR_USER_TOKEN_TTL,
    installationTokenTtlSeconds: config.GITHUB_EMULATOR_INSTALLATION_TOKEN_TTL,
  };
}
