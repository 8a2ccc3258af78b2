// Reads and rewrites every sealed column for `npm run secrets:rotate`. Pages walk the primary key
// (keyset pagination) so a run can stop anywhere and a new run picks up what is still stale; a rewrite
// is a compare-and-swap on the sealed value, so a concurrent write by the application always wins.
import type { DbClient } from "../db/prisma.ts";
import { GITHUB_PROVIDER_ID } from "../github/github-user-tokens.ts";
import type { Environment } from "../projects/project.schema.ts";

export type SealedColumn =
  | "fly_credential.encryptedToken"
  | "account.accessToken"
  | "account.refreshToken"
  | "environment_variable.encryptedValue"
  | "deployment.encryptedEnvironment";

/** Rows after `after` (exclusive) in primary-key order. */
export type Page = { after: string | undefined; limit: number };

export function createRotationRepository() {
  return {
    async flyCredentials(db: DbClient, page: Page) {
      return db.flyCredential.findMany({
        // Prisma drops a filter whose value is undefined: the first page starts at the beginning.
        where: { organizationId: { gt: page.after } },
        orderBy: { organizationId: "asc" },
        take: page.limit,
        select: { organizationId: true, encryptedToken: true },
      });
    },

    async githubTokens(db: DbClient, kind: "accessToken" | "refreshToken", page: Page) {
      const rows = await db.account.findMany({
        where: { id: { gt: page.after }, providerId: GITHUB_PROVIDER_ID, [kind]: { not: null } },
        orderBy: { id: "asc" },
        take: page.limit,
        select: { id: true, accountId: true, accessToken: true, refreshToken: true },
      });
      return rows.flatMap((row) => {
        const sealed = row[kind];
        return sealed === null ? [] : [{ id: row.id, accountId: row.accountId, sealed }];
      });
    },

    async environmentVariables(db: DbClient, page: Page) {
      const rows = await db.environmentVariable.findMany({
        where: { id: { gt: page.after } },
        orderBy: { id: "asc" },
        take: page.limit,
        select: {
          id: true,
          projectId: true,
          environment: true,
          key: true,
          encryptedValue: true,
          project: { select: { organizationId: true } },
        },
      });
      // The column holds only what the service wrote: "production" or "preview".
      return rows.map((row) => ({ ...row, environment: row.environment as Environment }));
    },

    async deploymentEnvironments(db: DbClient, page: Page) {
      const rows = await db.deployment.findMany({
        where: { id: { gt: page.after }, encryptedEnvironment: { not: null } },
        orderBy: { id: "asc" },
        take: page.limit,
        select: { id: true, encryptedEnvironment: true },
      });
      return rows.flatMap((row) =>
        row.encryptedEnvironment === null ? [] : [{ id: row.id, sealed: row.encryptedEnvironment }],
      );
    },

    /**
     * Replaces `from` with `to` only if the row still holds `from`; false when it changed meanwhile.
     * Raw SQL, so `updatedAt` (shown as "set at" / "updated at") keeps meaning a change by a person.
     */
    async replace(
      db: DbClient,
      column: SealedColumn,
      id: string,
      from: string,
      to: string,
    ): Promise<boolean> {
      let count: number;
      switch (column) {
        case "fly_credential.encryptedToken":
          count = await db.$executeRaw`
            UPDATE fly_credential SET "encryptedToken" = ${to}
            WHERE "organizationId" = ${id} AND "encryptedToken" = ${from}`;
          break;
        case "account.accessToken":
          count = await db.$executeRaw`
            UPDATE account SET "accessToken" = ${to} WHERE id = ${id} AND "accessToken" = ${from}`;
          break;
        case "account.refreshToken":
          count = await db.$executeRaw`
            UPDATE account SET "refreshToken" = ${to} WHERE id = ${id} AND "refreshToken" = ${from}`;
          break;
        case "environment_variable.encryptedValue":
          count = await db.$executeRaw`
            UPDATE environment_variable SET "encryptedValue" = ${to}
            WHERE id = ${id}::uuid AND "encryptedValue" = ${from}`;
          break;
        case "deployment.encryptedEnvironment":
          count = await db.$executeRaw`
            UPDATE deployment SET "encryptedEnvironment" = ${to}
            WHERE id = ${id}::uuid AND "encryptedEnvironment" = ${from}`;
          break;
      }
      return count === 1;
    },
  };
}

export type RotationRepository = ReturnType<typeof createRotationRepository>;
