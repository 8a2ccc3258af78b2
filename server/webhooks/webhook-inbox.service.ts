// The webhook inbox (SPEC §5.8): an organisation's deliveries with their outcome and reason, and
// "Replay", which runs the processing of a stored payload again.
import type { AuditService } from "../audit/audit.service.ts";
import type { Database } from "../db/prisma.ts";
import { AppError } from "../errors.ts";
import { parseJsonText } from "./payload-summary.ts";
import type { WebhookRepository } from "./webhook.repository.ts";
import { isHandledEvent } from "./webhook.schema.ts";

export function createWebhookInboxService(deps: {
  db: Database;
  repository: WebhookRepository;
  audit: AuditService;
}) {
  const { db, repository } = deps;

  async function byId(organizationId: string, id: string) {
    const delivery = await repository.findForOrganization(db, organizationId, id);
    // Another organisation's delivery is not found, not forbidden: its existence is not revealed.
    if (!delivery) throw new AppError("NOT_FOUND", "No such delivery in this organization.");
    return {
      ...delivery,
      installationId: delivery.installationId?.toString() ?? null,
      // Shown as JSON; a stored text that is not JSON (it never should be) is shown as it is.
      payload: parseJsonText(delivery.payload) ?? delivery.payload,
    };
  }

  return {
    async list(
      organizationId: string,
      filter: { status?: string; event?: string; cursor?: string; limit: number },
    ) {
      const page = await repository.listForOrganization(db, organizationId, {
        ...filter,
        limit: filter.limit + 1,
      });
      const hasMore = page.length > filter.limit;
      const deliveries = hasMore ? page.slice(0, filter.limit) : page;
      return {
        deliveries: deliveries.map((delivery) => ({
          ...delivery,
          installationId: delivery.installationId?.toString() ?? null,
        })),
        nextCursor: hasMore ? (deliveries.at(-1)?.id ?? null) : null,
      };
    },

    byId,

    /** Puts the stored payload back in the outbox to be processed again; audited in the same transaction. */
    async replay(input: { organizationId: string; id: string; actorUserId: string }) {
      const delivery = await byId(input.organizationId, input.id);
      if (!isHandledEvent(delivery.event)) {
        throw new AppError(
          "BAD_REQUEST",
          `Hangar does not handle ${delivery.event} events, so there is nothing to replay.`,
        );
      }
      await db.$transaction(async (tx) => {
        if (!(await repository.reopenForReplay(tx, delivery.id))) {
          throw new AppError("CONFLICT", "This delivery is still waiting to be processed.", {
            reason: "NOT_PROCESSED_YET",
          });
        }
        await deps.audit.record(tx, {
          action: "webhook.replay",
          actorUserId: input.actorUserId,
          organizationId: input.organizationId,
          targetType: "webhook_delivery",
          targetId: delivery.deliveryId,
          metadata: { event: delivery.event, previousStatus: delivery.status },
        });
      });
      return { id: delivery.id, status: "received" as const };
    },
  };
}

export type WebhookInboxService = ReturnType<typeof createWebhookInboxService>;
