import express, { type Router } from "express";
import { installationRepositories } from "../access.ts";
import { requireInstallation } from "../auth.ts";
import type { EmulatorContext } from "../context.ts";
import { paginate } from "../http.ts";
import { repository } from "../representations.ts";

/** Endpoints for installation access tokens (ghs_). */
export function installationRoutes(ctx: EmulatorContext): Router {
  const router = express.Router();

  router.get("/installation/repositories", (req, res) => {
    const { token, installation } = requireInstallation(req);
    const covered = installationRepositories(ctx.state, installation).filter(
      (repo) => token.repositoryIds === null || token.repositoryIds.includes(repo.id),
    );
    const page = paginate(ctx, req, res, covered);
    res.json({
      total_count: covered.length,
      repository_selection: token.repositoryIds === null ? installation.repositorySelection : "selected",
      repositories: page.map((repo) => repository(ctx, repo)),
    });
  });

  router.delete("/installation/token", (req, res) => {
    const { token } = requireInstallation(req);
    ctx.state.installationTokens.delete(token.token);
    res.status(204).end();
  });

  return router;
}
