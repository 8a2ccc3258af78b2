import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { type Prisma, PrismaClient } from "./generated/client.ts";

export type Database = PrismaClient;
/** A Prisma client or an interactive transaction on it: repositories accept either. */
export type DbClient = Prisma.TransactionClient;

export function createPool(url: string, size: number): pg.Pool {
  return new pg.Pool({ connectionString: url, max: size, idleTimeoutMillis: 30_000 });
}

/** One Prisma client per process, sharing the pool that the rest of the server uses. */
export function createPrisma(pool: pg.Pool): Database {
  return new PrismaClient({ adapter: new PrismaPg(pool) });
}
