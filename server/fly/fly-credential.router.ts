import { AppError } from "../errors.ts";
import { organizationProcedure, router } from "../trpc/init.ts";
import type { Services } from "../trpc/context.ts";
import { setFlyCredentialInput } from "./fly-credential.schema.ts";
import type { FlyCredentialService } from "./fly-credential.service.ts";

function requireFly(services: Services): FlyCredentialService {
  if (!services.flyCredentials) {
    throw new AppError("PRECONDITION_FAILED", "Fly.io is not configured for this Hangar.", {
      reason: "FLY_NOT_CONFIGURED",
    });
  }
  return services.flyCredentials;
}

export const flyCredentialRouter = router({
  /** The organisation's Fly.io token, masked, or null. */
  get: organizationProcedure("viewer").query(({ ctx }) => requireFly(ctx.services).get(ctx.organization.id)),
  /** Sets or replaces the token after Fly has accepted it. */
  set: organizationProcedure("admin")
    .input(setFlyCredentialInput)
    .mutation(({ ctx, input }) =>
      requireFly(ctx.services).set({
        organizationId: ctx.organization.id,
        token: input.token,
        actorUserId: ctx.user.id,
      }),
    ),
  remove: organizationProcedure("admin").mutation(({ ctx }) =>
    requireFly(ctx.services).remove({ organizationId: ctx.organization.id, actorUserId: ctx.user.id }),
  ),
});
