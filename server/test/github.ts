// Tests' GitHub: the emulator in-process on a free port, and GitHubAppSettings pointing at it, with a
// key pair generated here. Hangar's code under test reaches it over HTTP only, as it would GitHub.
import { generateKeyPairSync } from "node:crypto";
// eslint-disable-next-line no-restricted-imports -- tests start the emulator; server code never imports it
import { type GitHubEmulatorOptions, startGitHubEmulator } from "../../emulators/github/server.ts";
import { createEncryption } from "../crypto/encryption.ts";
import type { GitHubAppSettings } from "../github/github-settings.ts";
import { createMetrics } from "../observability/metrics.ts";
import { type Resilience, type ServicePolicy, createResilience } from "../resilience/resilience.ts";

export type TestGitHub = {
  settings: GitHubAppSettings;
  /** The emulator's control API (JSON). */
  control<T = unknown>(path: string, body?: unknown, method?: string): Promise<T>;
  close(): Promise<void>;
};

const keys = generateKeyPairSync("rsa", { modulusLength: 2048 });

export async function startTestGitHub(
  overrides: Pick<GitHubEmulatorOptions, "userTokenTtlSeconds" | "installationTokenTtlSeconds"> = {},
): Promise<TestGitHub> {
  const settings = {
    appId: 31337,
    appSlug: "hangar-test",
    privateKeyPem: keys.privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
    webhookSecret: "test-webhook-secret-0123456789",
    clientId: "Iv23liHangarTests",
    clientSecret: "hangar-test-client-secret",
  };
  const emulator = await startGitHubEmulator({
    appId: settings.appId,
    appSlug: settings.appSlug,
    appPublicKeyPem: keys.publicKey.export({ type: "spki", format: "pem" }).toString(),
    clientId: settings.clientId,
    clientSecret: settings.clientSecret,
    webhookSecret: settings.webhookSecret,
    ...overrides,
  });
  return {
    settings: { ...settings, apiUrl: `${emulator.url}/api/v3`, webUrl: emulator.url },
    async control<T>(path: string, body?: unknown, method = "POST"): Promise<T> {
      const response = await fetch(`${emulator.url}/_emulator${path}`, {
        method,
        headers: { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`emulator ${method} ${path} → ${response.status} ${text}`);
      return (text ? JSON.parse(text) : undefined) as T;
    },
    close: () => emulator.close(),
  };
}

/** Cookies as a browser keeps them for one origin: enough for the OAuth redirects in tests. */
function mergeCookies(jar: Map<string, string>, response: Response): void {
  for (const cookie of response.headers.getSetCookie()) {
    const [pair = ""] = cookie.split(";");
    const index = pair.indexOf("=");
    const name = pair.slice(0, index);
    const value = pair.slice(index + 1);
    if (value === "" || /max-age=0/i.test(cookie)) jar.delete(name);
    else jar.set(name, value);
  }
}

function cookieHeader(jar: Map<string, string>): string {
  return [...jar].map(([name, value]) => `${name}=${value}`).join("; ");
}

/**
 * Runs "Sign in with GitHub" (or, with `cookie`, "Connect GitHub" for a signed-in user) over HTTP the
 * way a browser does: Hangar → the emulator's authorize page → Authorize as `login` → Hangar's callback.
 * Returns the session cookie header and where Hangar finally redirected.
 */
export async function authorizeWithGitHub(
  serverUrl: string,
  github: { settings: { webUrl: string } },
  options: { login?: string; cookie?: string } = {},
): Promise<{ cookie: string; location: string }> {
  const jar = new Map<string, string>();
  for (const pair of options.cookie?.split("; ") ?? []) {
    const index = pair.indexOf("=");
    if (index > 0) jar.set(pair.slice(0, index), pair.slice(index + 1));
  }
  const start = await fetch(`${serverUrl}/api/auth/${options.cookie ? "link-social" : "sign-in/social"}`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: serverUrl, cookie: cookieHeader(jar) },
    body: JSON.stringify({ provider: "github", callbackURL: "/github" }),
  });
  if (!start.ok) throw new Error(`starting GitHub sign-in failed: ${start.status} ${await start.text()}`);
  mergeCookies(jar, start);
  const { url } = (await start.json()) as { url: string };
  const authorizeUrl = new URL(url);
  if (authorizeUrl.origin !== github.settings.webUrl) throw new Error(`unexpected authorize URL ${url}`);

  // The emulator's Authorize button posts the query parameters back with the chosen user.
  const authorize = await fetch(`${github.settings.webUrl}/login/oauth/authorize`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      ...Object.fromEntries(authorizeUrl.searchParams),
      login: options.login ?? "octocat",
      decision: "authorize",
    }),
    redirect: "manual",
  });
  const callback = authorize.headers.get("location");
  if (!callback) throw new Error(`the authorize page did not redirect: ${authorize.status}`);

  const finish = await fetch(callback, { headers: { cookie: cookieHeader(jar) }, redirect: "manual" });
  mergeCookies(jar, finish);
  return { cookie: cookieHeader(jar), location: finish.headers.get("location") ?? "" };
}

/** The real resilience layer with waits short enough for tests and a breaker that stays closed. */
export function testResilience(policy: Partial<ServicePolicy> = {}): Resilience {
  return createResilience({
    metrics: createMetrics(),
    policies: {
      github: {
        initialDelayMs: 1,
        maxDelayMs: 20,
        maxRetryAfterMs: 1_000,
        breakerThreshold: 1_000,
        timeoutMs: 5_000,
        ...policy,
      },
    },
  });
}

/** GitHub user tokens' encryption, as main.ts builds it from ENCRYPTION_SECRET. */
export const testEncryption = createEncryption({
  secret: "test-encryption-secret-of-at-least-32-characters",
  purpose: "github-token",
});
