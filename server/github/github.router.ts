import { AppError } from "../errors.ts";
import { organizationProcedure, router } from "../trpc/init.ts";
import type { Services } from "../trpc/context.ts";
import { repositoryAccessInput } from "./github.schema.ts";
import type { GitHubService } from "./github.service.ts";

function requireGitHub(services: Services): GitHubService {
  if (!services.github) {
    throw new AppError("PRECONDITION_FAILED", "No GitHub App is configured for this Hangar.", {
      reason: "GITHUB_NOT_CONFIGURED",
    });
  }
  return services.github;
}

export const githubRouter = router({
  /** The organisation's installations and repositories, with the caller's permission on each. */
  installations: organizationProcedure("viewer").query(({ ctx }) =>
    requireGitHub(ctx.services).listForOrganization({
      organizationId: ctx.organization.id,
      userId: ctx.user.id,
    }),
  ),
  /** Where "Connect GitHub" sends the browser: the App's install page on GitHub. */
  installUrl: organizationProcedure("admin").query(({ ctx }) => ({
    url: requireGitHub(ctx.services).installUrl,
  })),
  /** The checks project creation makes, so a form can show why a repository cannot be used. */
  checkRepositoryAccess: organizationProcedure("member")
    .input(repositoryAccessInput)
    .query(({ ctx, input }) =>
      requireGitHub(ctx.services).checkRepositoryAccess({
        organizationId: ctx.organization.id,
        userId: ctx.user.id,
        repository: input.repository,
      }),
    ),
});
