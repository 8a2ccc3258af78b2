import { organizationProcedure, router } from "../trpc/init.ts";
import {
  applyPasteInput,
  environmentInput,
  environmentVariableKeyInput,
  pasteEnvironmentInput,
  setEnvironmentVariableInput,
} from "./project.schema.ts";

export const environmentVariableRouter = router({
  /** Keys with masked values; never a value. */
  list: organizationProcedure("viewer")
    .input(environmentInput)
    .query(({ ctx, input }) =>
      ctx.services.environmentVariables.list({ ...input, organizationId: ctx.organization.id }),
    ),
  /** One value in the clear, recorded in the audit trail. */
  reveal: organizationProcedure("member")
    .input(environmentVariableKeyInput)
    .mutation(({ ctx, input }) =>
      ctx.services.environmentVariables.reveal({
        ...input,
        organizationId: ctx.organization.id,
        actorUserId: ctx.user.id,
      }),
    ),
  set: organizationProcedure("member")
    .input(setEnvironmentVariableInput)
    .mutation(({ ctx, input }) =>
      ctx.services.environmentVariables.set({
        ...input,
        organizationId: ctx.organization.id,
        actorUserId: ctx.user.id,
      }),
    ),
  remove: organizationProcedure("member")
    .input(environmentVariableKeyInput)
    .mutation(({ ctx, input }) =>
      ctx.services.environmentVariables.remove({
        ...input,
        organizationId: ctx.organization.id,
        actorUserId: ctx.user.id,
      }),
    ),
  /** What a pasted .env file would add, change and remove, and its invalid lines; changes nothing. */
  previewPaste: organizationProcedure("member")
    .input(pasteEnvironmentInput)
    .mutation(({ ctx, input }) =>
      ctx.services.environmentVariables.previewPaste({ ...input, organizationId: ctx.organization.id }),
    ),
  applyPaste: organizationProcedure("member")
    .input(applyPasteInput)
    .mutation(({ ctx, input }) =>
      ctx.services.environmentVariables.applyPaste({
        ...input,
        organizationId: ctx.organization.id,
        actorUserId: ctx.user.id,
      }),
    ),
});
