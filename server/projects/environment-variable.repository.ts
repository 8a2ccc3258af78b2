import type { DbClient } from "../db/prisma.ts";
import type { Prisma } from "../db/generated/client.ts";
import type { Environment } from "./project.schema.ts";

/** What a listing may read: never the sealed value. */
const listingSelect = {
  key: true,
  valueHint: true,
  valueBytes: true,
  updatedByUserId: true,
  updatedAt: true,
} satisfies Prisma.EnvironmentVariableSelect;

export type SealedVariable = { key: string; encryptedValue: string };

export type VariableWrite = {
  key: string;
  encryptedValue: string;
  valueHint: string | null;
  valueBytes: number;
  updatedByUserId: string;
};

export function createEnvironmentVariableRepository() {
  return {
    async list(db: DbClient, projectId: string, environment: Environment) {
      const rows = await db.environmentVariable.findMany({
        where: { projectId, environment },
        orderBy: { key: "asc" },
        select: listingSelect,
      });
      const userIds = [...new Set(rows.flatMap((row) => (row.updatedByUserId ? [row.updatedByUserId] : [])))];
      const users = await db.user.findMany({
        where: { id: { in: userIds } },
        select: { id: true, name: true },
      });
      const names = new Map(users.map((user) => [user.id, user.name]));
      return rows.map((row) => ({
        ...row,
        updatedByName: row.updatedByUserId ? (names.get(row.updatedByUserId) ?? null) : null,
      }));
    },
    findSealed(db: DbClient, projectId: string, environment: Environment, key: string) {
      return db.environmentVariable.findUnique({
        where: { projectId_environment_key: { projectId, environment, key } },
        select: { key: true, encryptedValue: true },
      });
    },
    listSealed(db: DbClient, projectId: string, environment?: Environment) {
      return db.environmentVariable.findMany({
        where: { projectId, ...(environment ? { environment } : {}) },
        select: { key: true, environment: true, encryptedValue: true },
        orderBy: { key: "asc" },
      });
    },
    /** Returns whether the key existed before. */
    async upsert(db: DbClient, projectId: string, environment: Environment, write: VariableWrite) {
      const existing = await db.environmentVariable.findUnique({
        where: { projectId_environment_key: { projectId, environment, key: write.key } },
        select: { id: true },
      });
      await db.environmentVariable.upsert({
        where: { projectId_environment_key: { projectId, environment, key: write.key } },
        create: { projectId, environment, ...write },
        update: write,
        select: { id: true },
      });
      return existing !== null;
    },
    async delete(db: DbClient, projectId: string, environment: Environment, keys: string[]): Promise<number> {
      const result = await db.environmentVariable.deleteMany({
        where: { projectId, environment, key: { in: keys } },
      });
      return result.count;
    },
    /** Locks the project row (serialising every change to its variables) and reads the change marker. */
    async lockProject(
      db: DbClient,
      projectId: string,
      environment: Environment,
    ): Promise<{ changedAt: Date | null } | null> {
      const rows = await db.$queryRaw<
        { productionEnvChangedAt: Date | null; previewEnvChangedAt: Date | null }[]
      >`
        SELECT "productionEnvChangedAt", "previewEnvChangedAt" FROM project WHERE id = ${projectId}::uuid FOR UPDATE`;
      const row = rows[0];
      if (!row) return null;
      return {
        changedAt: environment === "production" ? row.productionEnvChangedAt : row.previewEnvChangedAt,
      };
    },
  };
}

export type EnvironmentVariableRepository = ReturnType<typeof createEnvironmentVariableRepository>;
