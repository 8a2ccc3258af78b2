// A real Hangar HTTP server on a random port with its own database, wired exactly as main.ts does.
import { mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { createAuth, type Auth, type AuthSession } from "../auth/auth.ts";
import { createEncryption } from "../crypto/encryption.ts";
import { createFlyClient } from "../fly/fly-client.ts";
import { githubOAuthProvider } from "../github/github-auth.ts";
import { createGitHubClient } from "../github/github-client.ts";
import type { GitHubAppSettings } from "../github/github-settings.ts";
import { createGitHubSetupRouter } from "../github/github-setup.http.ts";
import { createApp } from "../http/app.ts";
import { createLogger } from "../observability/logger.ts";
import { createMetrics, type Metrics } from "../observability/metrics.ts";
import type { LimitSettings } from "../rate-limit/limiters.ts";
import { createResilience } from "../resilience/resilience.ts";
import { type Queue, startQueue } from "../queue/queue.ts";
import { createServices } from "../services.ts";
import { createSandboxBuilder } from "../deployments/builders/sandbox-builder.ts";
import {
  type DeploymentEngine,
  type DeploymentSettings,
  createDeploymentEngine,
  defaultDeploymentSettings,
} from "../deployments/deployments.ts";
import { type Webhooks, createWebhooks } from "../webhooks/webhooks.ts";
import type { Services } from "../trpc/context.ts";
import { createTestDatabase, type TestDatabase } from "./database.ts";
import { testEncryption, testResilience } from "./github.ts";

export const TEST_LIMITS: LimitSettings = {
  apiRequestsPerMinute: 1000,
  signInFailuresAllowed: 5,
  signInFailureWindowSeconds: 900,
  webhookFailuresPerMinutePerIp: 30,
};

export const TEST_WEBHOOK_SECRET = "test-webhook-secret-0123456789";
export const TEST_ENCRYPTION_SECRET = "test-encryption-secret-of-at-least-32-characters";

export const testEnvironmentEncryption = createEncryption({
  secret: TEST_ENCRYPTION_SECRET,
  purpose: "environment-variable",
});

/** Short leases and fast sweeps, so crash recovery shows within seconds. */
export function testDeploymentSettings(workspaceRoot: string): DeploymentSettings {
  const defaults = defaultDeploymentSettings({
    dataDir: workspaceRoot,
    buildTimeoutSeconds: 60,
    leaseSeconds: 3,
  });
  return {
    runner: {
      ...defaults.runner,
      heartbeatMs: 200,
      workspaceRoot,
      rollout: {
        initialMachineCount: 1,
        leaseTtlSeconds: 30,
        startedMs: 15_000,
        healthyMs: 15_000,
        smokeMs: 300,
      },
    },
    sweep: { intervalMs: 500, requeueAfterMs: 2_000, maxQueuedMs: 10 * 60_000, maxRunningMs: 10 * 60_000 },
  };
}

export type TestServer = {
  url: string;
  webhooks: Webhooks;
  deployments: DeploymentEngine;
  queue: Queue;
  database: TestDatabase;
  services: Services;
  auth: Auth;
  metrics: Metrics;
  close(): Promise<void>;
};

export async function startTestServer(
  options: {
    limits?: Partial<LimitSettings>;
    webhookSecrets?: { current: string; previous: string | undefined };
    /** Start the webhook worker (default true); tests of the receiver alone can leave jobs queued. */
    worker?: boolean;
    /** A GitHub App (e.g. server/test/github.ts's emulator): enables sign-in with GitHub and the github router. */
    github?: GitHubAppSettings;
    /** The Fly Machines API (e.g. server/test/fly.ts's emulator); by default a port nothing listens on. */
    flyApiUrl?: string;
    /** Run deployments (needs `github` and `flyApiUrl`; builds with the sandbox builder); default true. */
    deploymentWorker?: boolean;
    /** Slows the sandbox builder down (per log line), so a test can act while a build runs. */
    builderLineDelayMs?: number;
    /** Overrides of the test deployment settings (short leases, fast sweeps). */
    deploymentSettings?: (settings: DeploymentSettings) => DeploymentSettings;
  } = {},
): Promise<TestServer> {
  const database = await createTestDatabase();
  const workspaceRoot = await mkdtemp(path.join(os.tmpdir(), "hangar-workspaces-"));
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const logger = createLogger({ level: "silent" });
  const metrics = createMetrics();
  const githubClient = options.github
    ? createGitHubClient({ settings: options.github, resilience: testResilience(), logger })
    : undefined;
  const queue = await startQueue({ url: database.url, logger, poolSize: 3 });
  const services = createServices({
    db: database.db,
    pool: database.pool,
    queue,
    limits: { ...TEST_LIMITS, ...options.limits },
    logger,
    environmentEncryption: testEnvironmentEncryption,
    github: githubClient && { client: githubClient, encryption: testEncryption, logger },
    fly: {
      client: createFlyClient({
        apiUrl: options.flyApiUrl ?? "http://127.0.0.1:9",
        resilience: createResilience({
          metrics,
          policies: { fly: { initialDelayMs: 1, maxDelayMs: 20, timeoutMs: 5_000, breakerThreshold: 1_000 } },
        }),
      }),
      encryption: createEncryption({ secret: TEST_ENCRYPTION_SECRET, purpose: "fly-credential" }),
    },
  });
  await services.deploymentEvents.start();
  const defaults = testDeploymentSettings(workspaceRoot);
  const deployments = createDeploymentEngine({
    metrics,
    db: database.db,
    queue,
    services,
    logs: services.deploymentLogs,
    github: githubClient,
    builder: createSandboxBuilder({
      flyEmulatorControlUrl: `${options.flyApiUrl ?? "http://127.0.0.1:9"}/_emulator`,
      lineDelayMs: options.builderLineDelayMs ?? 0,
    }),
    encryption: testEnvironmentEncryption,
    settings: options.deploymentSettings ? options.deploymentSettings(defaults) : defaults,
    urls: {
      deployment: (deploymentId) => `${url}/deployments/${deploymentId}`,
      app: (flyAppName) => `${options.flyApiUrl ?? ""}/_apps/${flyAppName}`,
    },
    logger,
  });
  const webhooks = createWebhooks({
    db: database.db,
    pool: database.pool,
    claimPool: database.claimPool,
    secrets: options.webhookSecrets ?? { current: TEST_WEBHOOK_SECRET, previous: undefined },
    failureLimiter: services.limiters.webhookFailures,
    metrics,
    logger,
    projects: deployments.triggers,
    installations: services.github?.installationHandlers,
  });
  const webhookWorker = (options.worker ?? true) ? await webhooks.startWorker() : undefined;
  const deploymentWorker =
    (options.deploymentWorker ?? true) && deployments.runner ? await deployments.startWorker() : undefined;
  const auth = createAuth({
    publicUrl: url,
    secret: "test-secret-that-is-at-least-32-characters-long",
    trustedOrigins: [url],
    db: database.db,
    limiters: services.limiters,
    audit: services.audit,
    organizations: services.organizations,
    logger,
    github: githubClient && githubOAuthProvider({ client: githubClient, encryption: testEncryption }),
  });
  const app = createApp({
    publicUrl: url,
    production: false,
    showInternalErrors: false,
    trustProxy: false,
    logger,
    metrics,
    pool: database.pool,
    auth,
    services,
    webhookRouter: webhooks.router,
    githubSetupRouter: createGitHubSetupRouter({ auth, github: services.github, logger }),
  });
  server.on("request", app);

  return {
    url,
    webhooks,
    deployments,
    queue,
    database,
    services,
    auth,
    metrics,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      deploymentWorker?.stop();
      await webhookWorker?.stop();
      await queue.stop({ graceful: false, timeoutMs: 1_000 });
      await services.deploymentEvents.stop();
      await rm(workspaceRoot, { recursive: true, force: true });
      await database.drop();
    },
  };
}

export type SignedUpUser = { cookie: string; userId: string; email: string };

let counter = 0;

/** Signs a new user up over HTTP, as the dashboard does, and returns their session cookie. */
export async function signUp(
  server: TestServer,
  overrides: { email?: string; password?: string; name?: string } = {},
) {
  counter += 1;
  const email = overrides.email ?? `user${counter}-${Date.now()}@example.com`;
  const response = await fetch(`${server.url}/api/auth/sign-up/email`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: server.url },
    body: JSON.stringify({
      email,
      password: overrides.password ?? "correct-horse-battery",
      name: overrides.name ?? "Test User",
    }),
  });
  if (response.status !== 200) throw new Error(`sign-up failed: ${response.status} ${await response.text()}`);
  const body = (await response.json()) as { user: { id: string } };
  const cookie = response.headers
    .getSetCookie()
    .map((value) => value.split(";")[0])
    .join("; ");
  return { cookie, userId: body.user.id, email } satisfies SignedUpUser;
}

export async function sessionFor(server: TestServer, cookie: string): Promise<AuthSession> {
  const session = await server.auth.api.getSession({ headers: new Headers({ cookie }) });
  if (!session) throw new Error("no session for cookie");
  return session;
}
