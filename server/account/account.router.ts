import { authedProcedure, router } from "../trpc/init.ts";

export const accountRouter = router({
  me: authedProcedure.query(({ ctx }) => ({
    id: ctx.user.id,
    name: ctx.user.name,
    email: ctx.user.email,
    image: ctx.user.image ?? null,
    activeOrganizationId: ctx.session.session.activeOrganizationId ?? null,
  })),
});
