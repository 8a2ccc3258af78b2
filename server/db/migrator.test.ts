import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../test/database.ts";
import { applyMigrations } from "./migrator.ts";

const MIGRATIONS = path.join(import.meta.dirname, "..", "..", "prisma", "migrations");

describe("applyMigrations", () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
    // Start from an empty schema so this file exercises a first start.
    await database.pool.query("DROP SCHEMA public CASCADE; CREATE SCHEMA public;");
  });
  afterAll(() => database.drop());

  it("applies each migration exactly once even when two instances start at the same time", async () => {
    const [first, second] = await Promise.all([
      applyMigrations(database.pool, MIGRATIONS),
      applyMigrations(database.pool, MIGRATIONS),
    ]);
    const appliedByEither = [...first.applied, ...second.applied];
    expect(appliedByEither).toContain("20261127000000_init");
    expect(new Set(appliedByEither).size).toBe(appliedByEither.length);
    const { rows } = await database.pool.query<{ count: string }>(
      `SELECT count(*) FROM "_prisma_migrations" WHERE finished_at IS NOT NULL`,
    );
    expect(Number(rows[0]?.count)).toBe(appliedByEither.length);
  });

  it("does nothing on a later start", async () => {
    const again = await applyMigrations(database.pool, MIGRATIONS);
    expect(again.applied).toEqual([]);
    expect(again.alreadyApplied).toBeGreaterThan(0);
  });

  it("records Prisma-compatible checksums", async () => {
    const { rows } = await database.pool.query<{ checksum: string }>(
      `SELECT checksum FROM "_prisma_migrations"`,
    );
    for (const row of rows) expect(row.checksum).toMatch(/^[0-9a-f]{64}$/);
  });
});
