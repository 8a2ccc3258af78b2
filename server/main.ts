// Composition root: configuration → logger → database → migrations → services → HTTP, and the
// reverse on shutdown.
import http, { type Server } from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createAuth } from "./auth/auth.ts";
import { ConfigError, loadConfig } from "./config.ts";
import { openDatabase } from "./db/database.ts";
import { applyMigrations } from "./db/migrator.ts";
import { createPool, createPrisma } from "./db/prisma.ts";
import { type EncryptionPurpose, createEncryption } from "./crypto/encryption.ts";
import { createFlyClient } from "./fly/fly-client.ts";
import { githubOAuthProvider } from "./github/github-auth.ts";
import { createGitHubClient } from "./github/github-client.ts";
import { createGitHubSetupRouter } from "./github/github-setup.http.ts";
import { githubSettingsFromConfig } from "./github/github-settings.ts";
import { createApp } from "./http/app.ts";
import { createLogger } from "./observability/logger.ts";
import { createMetrics } from "./observability/metrics.ts";
import { startQueue } from "./queue/queue.ts";
import { createResilience } from "./resilience/resilience.ts";
import { describeSandbox, startSandbox } from "./sandbox/launcher.ts";
import { createServices } from "./services.ts";
import { createBuilder } from "./deployments/builders/builder.ts";
import { createDeploymentEngine, defaultDeploymentSettings } from "./deployments/deployments.ts";
import { CLAIM_POOL_SIZE } from "./webhooks/webhook-claim.repository.ts";
import { createWebhooks } from "./webhooks/webhooks.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const SHUTDOWN_GRACE_MS = 10_000;

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger({ level: config.logLevel });
  const started = Date.now();
  const cleanups: (() => Promise<void>)[] = [];
  const runCleanups = async () => {
    for (const cleanup of cleanups.reverse())
      await cleanup().catch((error: unknown) => logger.error({ err: error }, "cleanup failed"));
  };

  try {
    const database = await openDatabase(config, logger);
    cleanups.push(() => database.close());
    const onIdleConnectionLost = (error: Error) =>
      logger.warn({ err: error }, "idle database connection lost");
    const pool = createPool(database.url, config.databasePoolSize, onIdleConnectionLost);
    cleanups.push(() => pool.end());
    const claimPool = createPool(database.url, CLAIM_POOL_SIZE, onIdleConnectionLost);
    cleanups.push(() => claimPool.end());
    const migrations = await applyMigrations(pool, path.join(ROOT, "prisma", "migrations"));
    if (migrations.applied.length > 0) logger.info({ applied: migrations.applied }, "migrations applied");
    const db = createPrisma(pool);
    cleanups.push(() => db.$disconnect());

    const sandbox =
      config.mode === "sandbox"
        ? await startSandbox({
            dataDir: config.dataDir,
            childEnv: config.childEnv,
            publicUrl: config.publicUrl,
            webhookSecret: config.webhooks.secrets.current,
            flyTimeScale: config.sandboxFlyTimeScale,
            logger,
          })
        : undefined;
    if (sandbox) {
      cleanups.push(() => sandbox.stop());
      logger.info(
        { github: sandbox.github.controlUrl, fly: sandbox.fly.controlUrl },
        "sandbox: GitHub and Fly.io are emulated",
      );
    }

    const queue = await startQueue({ url: database.url, logger });
    cleanups.push(() => queue.stop({ graceful: true, timeoutMs: SHUTDOWN_GRACE_MS - 2_000 }));

    const metrics = createMetrics();
    // External clients are built once here and injected; in sandbox mode they point at the emulators.
    const resilience = createResilience({ metrics });
    const githubSettings = sandbox?.github ?? githubSettingsFromConfig(config);
    const githubClient =
      githubSettings && createGitHubClient({ settings: githubSettings, resilience, logger });
    const encryptionFor = (purpose: EncryptionPurpose) =>
      createEncryption({
        secret: config.secrets.encryption,
        previousSecret: config.secrets.encryptionPrevious,
        purpose,
      });
    const githubEncryption = encryptionFor("github-token");
    const flyApiUrl = config.fly.apiUrl ?? sandbox?.fly.apiUrl;
    const services = createServices({
      db,
      pool,
      queue,
      limits: config.limits,
      logger,
      environmentEncryption: encryptionFor("environment-variable"),
      ...(githubClient ? { github: { client: githubClient, encryption: githubEncryption, logger } } : {}),
      ...(flyApiUrl
        ? {
            fly: {
              client: createFlyClient({ apiUrl: flyApiUrl, resilience }),
              encryption: encryptionFor("fly-credential"),
            },
          }
        : {}),
    });
    await services.deploymentEvents.start();
    cleanups.push(() => services.deploymentEvents.stop());
    const deployments = createDeploymentEngine({
      metrics,
      db,
      queue,
      services,
      logs: services.deploymentLogs,
      github: githubClient,
      builder: createBuilder({ config, flyEmulatorControlUrl: sandbox?.fly.controlUrl }),
      encryption: encryptionFor("environment-variable"),
      settings: defaultDeploymentSettings({
        dataDir: config.dataDir,
        buildTimeoutSeconds: config.builder.timeoutSeconds,
        leaseSeconds: config.deploymentLeaseSeconds,
      }),
      urls: {
        deployment: (deploymentId) => `${config.publicUrl}/deployments/${deploymentId}`,
        // The sandbox's apps answer on the Fly emulator; real ones on fly.dev.
        app: (flyAppName) =>
          sandbox ? `${sandbox.fly.apiUrl}/_apps/${flyAppName}` : `https://${flyAppName}.fly.dev`,
      },
      logger,
    });
    const webhooks = createWebhooks({
      db,
      pool,
      claimPool,
      secrets: config.webhooks.secrets,
      failureLimiter: services.limiters.webhookFailures,
      metrics,
      logger,
      projects: deployments.triggers,
      ...(services.github ? { installations: services.github.installationHandlers } : {}),
    });
    // A worker-only process yields the CPU to web processes on the same machine: during a burst the
    // acknowledgements come first and the outbox drains after it (docs/performance.md measures this).
    if (config.role === "worker" && config.workerNice > 0) {
      try {
        os.setPriority(config.workerNice);
      } catch (error) {
        logger.warn({ err: error }, "could not lower the worker's CPU priority");
      }
    }
    if (config.role !== "web") {
      const webhookWorker = await webhooks.startWorker({ burstShare: config.webhookBurstShare });
      cleanups.push(() => webhookWorker.stop());
      if (deployments.runner) {
        const worker = await deployments.startWorker();
        cleanups.push(() => Promise.resolve(worker.stop()));
      }
    }
    const auth = createAuth({
      publicUrl: config.publicUrl,
      secret: config.secrets.betterAuth,
      trustedOrigins:
        config.env === "development" ? [config.publicUrl, "http://localhost:5173"] : [config.publicUrl],
      db,
      limiters: services.limiters,
      audit: services.audit,
      organizations: services.organizations,
      logger,
      ...(githubClient
        ? { github: githubOAuthProvider({ client: githubClient, encryption: githubEncryption }) }
        : {}),
    });
    const app = createApp({
      publicUrl: config.publicUrl,
      production: config.mode === "production",
      showInternalErrors: config.env === "development",
      trustProxy: config.trustProxy,
      logger,
      metrics,
      pool,
      auth,
      services,
      webhookRouter: webhooks.router,
      githubSetupRouter: createGitHubSetupRouter({ auth, github: services.github, logger }),
      ...(sandbox ? { sandbox: describeSandbox(sandbox) } : {}),
      clientDir: path.join(ROOT, "dist", "client"),
    });
    const httpServer = http.createServer(app);
    try {
      await listen(httpServer, config.port, config.host);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") {
        throw new Error(
          `Port ${config.port} is already in use (is another Hangar running?). Set PORT to use another port.`,
          {
            cause: error,
          },
        );
      }
      throw error;
    }
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          httpServer.close(() => resolve());
          httpServer.closeIdleConnections();
        }),
    );
    logger.info(
      {
        url: config.publicUrl,
        mode: config.mode,
        database: database.embedded ? "embedded" : "external",
        startupMs: Date.now() - started,
        sinceProcessStartMs: Math.round(process.uptime() * 1000),
      },
      `Hangar is listening on ${config.publicUrl}`,
    );
  } catch (error) {
    logger.fatal({ err: error }, (error as Error).message);
    await runCleanups();
    process.exit(1);
  }

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    const force = setTimeout(() => {
      logger.error("shutdown took too long; exiting");
      process.exit(1);
    }, SHUTDOWN_GRACE_MS);
    force.unref();
    void runCleanups().then(() => process.exit(0));
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
}

await main();
