// Everything Hangar needs to talk to one GitHub App: production reads it from the environment, the
// sandbox launcher builds it for the emulator, tests build it for theirs. The code never asks which.
import type { Config } from "../config.ts";

export type GitHubAppSettings = {
  appId: number;
  appSlug: string;
  /** PKCS#1 or PKCS#8 PEM. */
  privateKeyPem: string;
  webhookSecret: string;
  /** The App's OAuth client (user sign-in and user-to-server tokens). */
  clientId: string;
  clientSecret: string;
  /** REST base, no trailing slash: https://api.github.com, or http://127.0.0.1:PORT/api/v3 for the emulator. */
  apiUrl: string;
  /** Web base, no trailing slash: https://github.com, or http://127.0.0.1:PORT. */
  webUrl: string;
};

/** Production mode's settings; undefined when no GitHub App is configured (sandbox mode). */
export function githubSettingsFromConfig(config: Config): GitHubAppSettings | undefined {
  if (!config.githubApp) return undefined;
  return { ...config.githubApp, webhookSecret: config.webhooks.secrets.current };
}
