import { organizationProcedure, router } from "../trpc/init.ts";
import {
  appNameAvailabilityInput,
  createProjectInput,
  deleteProjectInput,
  projectIdInput,
  updateProjectInput,
} from "./project.schema.ts";

export const projectRouter = router({
  list: organizationProcedure("viewer").query(({ ctx }) => ctx.services.projects.list(ctx.organization.id)),
  byId: organizationProcedure("viewer")
    .input(projectIdInput)
    .query(({ ctx, input }) => ctx.services.projects.get(ctx.organization.id, input.projectId)),
  /** Fly's regions for the region picker. */
  regions: organizationProcedure("admin").query(({ ctx }) =>
    ctx.services.projects.regions(ctx.organization.id),
  ),
  /** Whether a Fly app name is free, asked as the person types it. */
  appNameAvailability: organizationProcedure("admin")
    .input(appNameAvailabilityInput)
    .query(({ ctx, input }) =>
      ctx.services.projects.appNameAvailability(ctx.organization.id, input.flyAppName),
    ),
  create: organizationProcedure("admin")
    .input(createProjectInput)
    .mutation(({ ctx, input }) =>
      ctx.services.projects.create({
        ...input,
        organizationId: ctx.organization.id,
        actorUserId: ctx.user.id,
      }),
    ),
  update: organizationProcedure("admin")
    .input(updateProjectInput)
    .mutation(({ ctx, input }) =>
      ctx.services.projects.update({
        organizationId: ctx.organization.id,
        projectId: input.projectId,
        actorUserId: ctx.user.id,
        settings: input.settings,
      }),
    ),
  delete: organizationProcedure("owner")
    .input(deleteProjectInput)
    .mutation(({ ctx, input }) =>
      ctx.services.projects.delete({
        organizationId: ctx.organization.id,
        projectId: input.projectId,
        actorUserId: ctx.user.id,
        destroyFlyApp: input.destroyFlyApp,
      }),
    ),
});
