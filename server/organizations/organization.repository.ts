import { randomUUID } from "node:crypto";
import type { DbClient } from "../db/prisma.ts";
import type { Prisma } from "../db/generated/client.ts";

const organizationSelect = {
  id: true,
  name: true,
  slug: true,
  metadata: true,
  createdAt: true,
} satisfies Prisma.OrganizationSelect;

export function createOrganizationRepository() {
  return {
    async createWithOwner(
      db: DbClient,
      input: { name: string; slug: string; ownerUserId: string; personal: boolean },
    ) {
      const organization = await db.organization.create({
        data: {
          id: randomUUID(),
          name: input.name,
          slug: input.slug,
          metadata: JSON.stringify({ personal: input.personal }),
          members: { create: { id: randomUUID(), userId: input.ownerUserId, role: "owner" } },
        },
        select: organizationSelect,
      });
      return organization;
    },
    async rename(db: DbClient, organizationId: string, name: string) {
      return db.organization.update({
        where: { id: organizationId },
        data: { name },
        select: organizationSelect,
      });
    },
    async slugExists(db: DbClient, slug: string): Promise<boolean> {
      return (await db.organization.count({ where: { slug } })) > 0;
    },
    async exists(db: DbClient, organizationId: string): Promise<boolean> {
      return (await db.organization.count({ where: { id: organizationId } })) > 0;
    },
    async findMembership(db: DbClient, organizationId: string, userId: string) {
      return db.member.findUnique({
        where: { organizationId_userId: { organizationId, userId } },
        select: { role: true },
      });
    },
    async listForUser(db: DbClient, userId: string) {
      return db.member.findMany({
        where: { userId },
        orderBy: { createdAt: "asc" },
        select: { role: true, organization: { select: organizationSelect } },
      });
    },
    /** Points sessions that have no active organisation yet at `organizationId`. */
    async activateForSessions(db: DbClient, userId: string, organizationId: string) {
      await db.session.updateMany({
        where: { userId, activeOrganizationId: null },
        data: { activeOrganizationId: organizationId },
      });
    },
  };
}

export type OrganizationRepository = ReturnType<typeof createOrganizationRepository>;
