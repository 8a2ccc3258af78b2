import type { DbClient } from "../db/prisma.ts";
import type { Prisma } from "../db/generated/client.ts";

/** What the dashboard may see: never the sealed token. */
const credentialViewSelect = {
  flyOrgSlug: true,
  tokenLastFour: true,
  createdAt: true,
  updatedAt: true,
  setBy: { select: { name: true, email: true } },
} satisfies Prisma.FlyCredentialSelect;

export function createFlyCredentialRepository() {
  return {
    async findView(db: DbClient, organizationId: string) {
      return db.flyCredential.findUnique({ where: { organizationId }, select: credentialViewSelect });
    },
    async findSealedToken(db: DbClient, organizationId: string) {
      return db.flyCredential.findUnique({ where: { organizationId }, select: { encryptedToken: true } });
    },
    /** Locks the organisation's row (if any) until the transaction ends, so set/remove do not interleave. */
    async lockExisting(db: DbClient, organizationId: string): Promise<{ flyOrgSlug: string } | undefined> {
      const rows = await db.$queryRaw<{ flyOrgSlug: string }[]>`
        SELECT "flyOrgSlug" FROM fly_credential WHERE "organizationId" = ${organizationId} FOR UPDATE`;
      return rows[0];
    },
    async upsert(
      db: DbClient,
      row: {
        organizationId: string;
        encryptedToken: string;
        tokenLastFour: string;
        flyOrgSlug: string;
        setByUserId: string;
      },
    ) {
      const { organizationId, ...fields } = row;
      return db.flyCredential.upsert({
        where: { organizationId },
        create: row,
        update: fields,
        select: credentialViewSelect,
      });
    },
    async delete(db: DbClient, organizationId: string): Promise<boolean> {
      return (await db.flyCredential.deleteMany({ where: { organizationId } })).count > 0;
    },
  };
}

export type FlyCredentialRepository = ReturnType<typeof createFlyCredentialRepository>;
