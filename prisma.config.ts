// Configuration for the Prisma CLI (generate, migrate diff, migrate status). Prisma 6.19 with the
// WebAssembly schema engine ("js") works offline; see docs/decisions/0001-prisma-6-js-engine.md.
// The application applies migrations itself (server/db/migrator.ts) and never runs the CLI.
import path from "node:path";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { defineConfig } from "prisma/config";

const PG_NAME_OID = 19;
const PG_TEXT_OID = 25;

/** The adapter cannot deserialise PostgreSQL's `name` type, which the catalog queries return. */
function nameAsTextPool(connectionString: string): pg.Pool {
  const pool = new pg.Pool({ connectionString });
  const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  const patched = (...args: unknown[]): unknown => {
    const result = query(...args);
    if (!(result instanceof Promise)) return result;
    return result.then((res: pg.QueryResult) => {
      for (const field of res.fields ?? [])
        if (field.dataTypeID === PG_NAME_OID) field.dataTypeID = PG_TEXT_OID;
      return res;
    });
  };
  Object.assign(pool, { query: patched });
  return pool;
}

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: path.join("prisma", "schema.prisma"),
  migrations: { path: path.join("prisma", "migrations") },
  adapter: () => {
    const connectionString = process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
    return Promise.resolve(new PrismaPg(nameAsTextPool(connectionString)));
  },
});
