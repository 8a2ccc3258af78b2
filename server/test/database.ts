import { randomBytes } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";
import { createPool, createPrisma, type Database } from "../db/prisma.ts";
import { CLAIM_POOL_SIZE } from "../webhooks/webhook-claim.repository.ts";
import { TEMPLATE_DATABASE } from "./template.ts";

export type TestDatabase = {
  url: string;
  pool: pg.Pool;
  /** The webhook claim writes' own pool, as main.ts makes it. */
  claimPool: pg.Pool;
  db: Database;
  drop(): Promise<void>;
};

/** A fresh, migrated database of its own for the calling test file. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const serverUrl = inject("testServerUrl");
  const name = `hangar_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  // Creating from a template needs it to have no other connections; retry briefly if a sibling file is copying it.
  for (let attempt = 0; ; attempt++) {
    try {
      await admin.query(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE_DATABASE}`);
      break;
    } catch (error) {
      if (attempt >= 20) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  await admin.end();

  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const pool = createPool(url.toString(), 5);
  const claimPool = createPool(url.toString(), CLAIM_POOL_SIZE);
  const db = createPrisma(pool);
  return {
    url: url.toString(),
    pool,
    claimPool,
    db,
    async drop() {
      await db.$disconnect();
      await pool.end();
      await claimPool.end();
      const cleanup = new pg.Client({ connectionString: serverUrl });
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await cleanup.end();
    },
  };
}
