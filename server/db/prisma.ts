import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { type Prisma, PrismaClient } from "./generated/client.ts";

export type Database = PrismaClient;
/** A Prisma client or an interactive transaction on it: repositories accept either. */
export type DbClient = Prisma.TransactionClient;

export function createPool(url: string, size: number, onError?: (error: Error) => void): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: size, idleTimeoutMillis: 30_000 });
  // An idle connection dropped by the server (restart, failover) must not crash the process; the pool
  // replaces it on next use.
  pool.on("error", (error) => onError?.(error));
  return pool;
}

/** One Prisma client per process, sharing the pool that the rest of the server uses. */
export function createPrisma(pool: pg.Pool): Database {
  return new PrismaClient({ adapter: new PrismaPg(pool) });
}
