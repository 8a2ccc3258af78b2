// `npm run db:migrate`: apply the committed migrations to DATABASE_URL (or the embedded database), the
// same way the server does at start-up.
import path from "node:path";
import { loadConfig } from "../server/config.ts";
import { openDatabase } from "../server/db/database.ts";
import { applyMigrations } from "../server/db/migrator.ts";
import { createPool } from "../server/db/prisma.ts";
import { createLogger } from "../server/observability/logger.ts";

const config = loadConfig();
const logger = createLogger({ level: config.logLevel });
const database = await openDatabase(config, logger);
const pool = createPool(database.url, 1);
try {
  const result = await applyMigrations(pool, path.join(import.meta.dirname, "..", "prisma", "migrations"));
  console.log(
    result.applied.length > 0
      ? `Applied ${result.applied.length} migration(s): ${result.applied.join(", ")}`
      : `Database is up to date (${result.alreadyApplied} migration(s) applied earlier).`,
  );
} finally {
  await pool.end();
  await database.close();
}
