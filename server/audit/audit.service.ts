import type { DbClient } from "../db/prisma.ts";
import type { Prisma } from "../db/generated/client.ts";
import { currentCorrelation } from "../observability/context.ts";
import type { AuditRepository } from "./audit.repository.ts";

/** Every action Hangar audits. New capabilities add theirs here. */
export type AuditAction =
  | "auth.sign_up"
  | "auth.sign_in"
  | "auth.sign_in_failed"
  | "auth.sign_out"
  | "organization.create"
  | "organization.update"
  | "github.installation_linked"
  | "github.installation_suspended"
  | "github.installation_unsuspended"
  | "github.installation_deleted"
  | "github.repositories_changed"
  | "fly_credential.set"
  | "fly_credential.replace"
  | "fly_credential.remove"
  | "webhook.replay"
  | "project.create"
  | "project.update"
  | "project.delete"
  | "environment_variable.create"
  | "environment_variable.update"
  | "environment_variable.delete"
  | "environment_variable.reveal"
  | "environment_variable.bulk_apply"
  | "deployment.deploy"
  | "deployment.redeploy"
  | "deployment.rollback"
  | "deployment.cancel";

export type AuditEvent = {
  action: AuditAction;
  organizationId?: string | null;
  actorUserId?: string | null;
  actorLabel?: string | null;
  targetType?: string | null;
  targetId?: string | null;
  metadata?: Prisma.InputJsonObject;
};

export function createAuditService({ repository }: { repository: AuditRepository }) {
  return {
    /**
     * Records one event through `db`: pass the transaction of the action being audited so that both
     * commit or neither does. Request id, IP and user agent come from the current request.
     */
    async record(db: DbClient, event: AuditEvent): Promise<void> {
      const correlation = currentCorrelation();
      await repository.insert(db, {
        organizationId: event.organizationId ?? null,
        actorUserId: event.actorUserId ?? null,
        actorLabel: event.actorLabel ?? null,
        action: event.action,
        targetType: event.targetType ?? null,
        targetId: event.targetId ?? null,
        metadata: event.metadata ?? {},
        ipAddress: correlation?.ipAddress ?? null,
        userAgent: correlation?.userAgent?.slice(0, 512) ?? null,
        requestId: correlation?.requestId ?? null,
      });
    },
    listForOrganization: (db: DbClient, organizationId: string, limit: number) =>
      repository.listForOrganization(db, organizationId, limit),
    listForActor: (db: DbClient, actorUserId: string, limit: number) =>
      repository.listForActor(db, actorUserId, limit),
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
