// One PostgreSQL for the whole test run: DATABASE_URL when given, otherwise an embedded server in a
// temporary directory. Migrations are applied once to a template database; every test file then gets
// its own copy (CREATE DATABASE … TEMPLATE), so files run in parallel without seeing each other.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { startEmbeddedPostgres } from "../db/embedded-postgres.ts";
import { applyMigrations } from "../db/migrator.ts";
import { TEMPLATE_DATABASE } from "./template.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** A URL to a maintenance database on the test server, used to create and drop per-file databases. */
    testServerUrl: string;
  }
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export default async function setup(project: TestProject) {
  let serverUrl = process.env.DATABASE_URL;
  let stop = async () => {};
  if (!serverUrl) {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), "hangar-test-pg-"));
    fs.chmodSync(directory, 0o777);
    const embedded = await startEmbeddedPostgres({
      directory: path.join(directory, "data"),
      database: "postgres",
      persistent: false,
    });
    serverUrl = embedded.url;
    stop = async () => {
      await embedded.stop();
      fs.rmSync(directory, { recursive: true, force: true });
    };
  }

  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DATABASE} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${TEMPLATE_DATABASE}`);
  await admin.end();

  const pool = new pg.Pool({ connectionString: withDatabase(serverUrl, TEMPLATE_DATABASE), max: 1 });
  await applyMigrations(pool, path.join(import.meta.dirname, "..", "..", "prisma", "migrations"));
  await pool.end();

  project.provide("testServerUrl", serverUrl);
  return stop;
}
