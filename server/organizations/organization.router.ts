import { authedProcedure, organizationProcedure, router } from "../trpc/init.ts";
import { renameOrganizationInput } from "./organization.schema.ts";

export const organizationRouter = router({
  list: authedProcedure.query(({ ctx }) => ctx.services.organizations.listForUser(ctx.user.id)),
  /** The caller's view of one organisation, including their role in it. */
  byId: organizationProcedure("viewer").query(async ({ ctx }) => {
    const organizations = await ctx.services.organizations.listForUser(ctx.user.id);
    return organizations.find((organization) => organization.id === ctx.organization.id) ?? null;
  }),
  rename: organizationProcedure("admin")
    .input(renameOrganizationInput)
    .mutation(({ ctx, input }) =>
      ctx.services.organizations.rename({
        organizationId: ctx.organization.id,
        name: input.name,
        actorUserId: ctx.user.id,
      }),
    ),
});
