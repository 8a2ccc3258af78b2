/** Options of one emulator instance; all serialisable so a parent process can pass them through env vars. */
export interface GitHubEmulatorOptions {
  /** 0 or undefined picks a free port. */
  port?: number;
  host?: string;
  appId: number;
  appSlug?: string;
  /** PEM of the App's public key, used to verify App JWTs (RS256). */
  appPublicKeyPem: string;
  clientId: string;
  clientSecret: string;
  /** An empty string means "no secret": deliveries are then sent unsigned, as GitHub does. */
  webhookSecret: string;
  /** Where deliveries are POSTed; undefined records them without sending. */
  webhookUrl?: string;
  /** The App's "Setup URL": the install flow redirects there with installation_id and setup_action. */
  setupUrl?: string;
  userTokenTtlSeconds?: number;
  installationTokenTtlSeconds?: number;
}

export interface ResolvedOptions {
  port: number;
  host: string;
  appId: number;
  appSlug: string;
  appPublicKeyPem: string;
  clientId: string;
  clientSecret: string;
  webhookSecret: string;
  webhookUrl: string | undefined;
  setupUrl: string | undefined;
  userTokenTtlSeconds: number;
  installationTokenTtlSeconds: number;
}

export function resolveOptions(options: GitHubEmulatorOptions): ResolvedOptions {
  return {
    port: options.port ?? 0,
    host: options.host ?? "127.0.0.1",
    appId: options.appId,
    appSlug: options.appSlug ?? "hangar-sandbox",
    appPublicKeyPem: options.appPublicKeyPem,
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    webhookSecret: options.webhookSecret,
    webhookUrl: options.webhookUrl,
    setupUrl: options.setupUrl,
    userTokenTtlSeconds: options.userTokenTtlSeconds ?? 28_800,
    installationTokenTtlSeconds: options.installationTokenTtlSeconds ?? 3_600,
  };
}
