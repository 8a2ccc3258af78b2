// A webhook worker whose process dies, as if it crashed, while processing a push to the repository
// POISON_REPOSITORY names, exiting with the code DIE_WITH_CODE names: for the test that a delivery which
// keeps stopping its worker ends as failed and does not take the deliveries beside it down with it.
import { createPool, createPrisma } from "../db/prisma.ts";
import { createLogger } from "../observability/logger.ts";
import { createMetrics } from "../observability/metrics.ts";
import { createWebhookMetrics } from "../webhooks/webhook.metrics.ts";
import {
  type ProjectMatcher,
  createWebhookProcessor,
  noProjectsYet,
  recordInstallationEvents,
} from "../webhooks/webhook.processor.ts";
import { CLAIM_POOL_SIZE, createWebhookClaimRepository } from "../webhooks/webhook-claim.repository.ts";
import { createWebhookRepository } from "../webhooks/webhook.repository.ts";
import { startWebhookWorker } from "../webhooks/webhook.worker.ts";

const {
  DATABASE_URL: databaseUrl,
  POISON_REPOSITORY: poisonRepository,
  DIE_WITH_CODE: exitCode,
} = process.env;
if (!databaseUrl || !poisonRepository || !exitCode) {
  throw new Error("DATABASE_URL, POISON_REPOSITORY and DIE_WITH_CODE are required");
}
const pool = createPool(databaseUrl, 4);
const claimPool = createPool(databaseUrl, CLAIM_POOL_SIZE);
const db = createPrisma(pool);
const logger = createLogger({ level: "silent" });

const dyingOnPoison: ProjectMatcher = {
  ...noProjectsYet,
  async matchPushes(tx, pushes) {
    if (pushes.some((push) => push.repository === poisonRepository)) process.exit(Number(exitCode));
    return noProjectsYet.matchPushes(tx, pushes);
  },
};

await startWebhookWorker(
  {
    pool,
    processor: createWebhookProcessor({
      db,
      repository: createWebhookRepository(pool),
      claims: createWebhookClaimRepository(pool, claimPool),
      projects: dyingOnPoison,
      installations: recordInstallationEvents,
      metrics: createWebhookMetrics(createMetrics()),
      logger,
    }),
    logger,
  },
  { pollIntervalMs: 100 },
);
