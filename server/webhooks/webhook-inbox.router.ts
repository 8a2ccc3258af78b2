import { organizationProcedure, router } from "../trpc/init.ts";
import { deliveryInput, listDeliveriesInput } from "./webhook-inbox.schema.ts";

export const webhookInboxRouter = router({
  list: organizationProcedure("viewer")
    .input(listDeliveriesInput)
    .query(({ ctx, input }) => ctx.services.webhookInbox.list(ctx.organization.id, input)),
  byId: organizationProcedure("viewer")
    .input(deliveryInput)
    .query(({ ctx, input }) => ctx.services.webhookInbox.byId(ctx.organization.id, input.deliveryRowId)),
  replay: organizationProcedure("member")
    .input(deliveryInput)
    .mutation(({ ctx, input }) =>
      ctx.services.webhookInbox.replay({
        organizationId: ctx.organization.id,
        id: input.deliveryRowId,
        actorUserId: ctx.user.id,
      }),
    ),
});
