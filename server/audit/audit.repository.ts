import type { DbClient } from "../db/prisma.ts";
import type { Prisma } from "../db/generated/client.ts";

export type AuditRow = {
  organizationId: string | null;
  actorUserId: string | null;
  actorLabel: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  metadata: Prisma.InputJsonObject;
  ipAddress: string | null;
  userAgent: string | null;
  requestId: string | null;
};

const auditEventSelect = {
  id: true,
  organizationId: true,
  actorUserId: true,
  actorLabel: true,
  action: true,
  targetType: true,
  targetId: true,
  metadata: true,
  ipAddress: true,
  userAgent: true,
  requestId: true,
  createdAt: true,
} satisfies Prisma.AuditEventSelect;

export function createAuditRepository() {
  return {
    /** Inserts through whichever client it is given, so the caller's transaction covers it. */
    async insert(db: DbClient, row: AuditRow) {
      return db.auditEvent.create({ data: row, select: { id: true } });
    },
    async listForOrganization(db: DbClient, organizationId: string, limit: number) {
      return db.auditEvent.findMany({
        where: { organizationId },
        orderBy: [{ createdAt: "desc" }, { id: "desc" }],
        take: limit,
        select: auditEventSelect,
      });
    },
    async listForActor(db: DbClient, actorUserId: string, limit: number) {
      return db.auditEvent.findMany({
        where: { actorUserId },
        orderBy: [{ createdAt: "desc" }, { id: "desc" }],
        take: limit,
        select: auditEventSelect,
      });
    },
  };
}

export type AuditRepository = ReturnType<typeof createAuditRepository>;
