import express, { type Router } from "express";
import {
  hasExplicitAccess,
  installationRepositories,
  installationVisibleToUser,
  permissionsForRole,
  repoRole,
} from "../access.ts";
import { requireUser } from "../auth.ts";
import type { EmulatorContext } from "../context.ts";
import { notFound, paginate, param } from "../http.ts";
import { installation as installationShape, repository, simpleUser } from "../representations.ts";
import type { User } from "../state.ts";

const DOCS = {
  installationRepos:
    "https://docs.github.com/rest/apps/installations#list-repositories-accessible-to-the-user-access-token",
};

function privateUser(ctx: EmulatorContext, user: User) {
  const owned = [...ctx.state.repositories.values()].filter((repo) => repo.ownerLogin === user.login);
  return {
    ...simpleUser(ctx, user),
    name: user.name,
    company: null,
    blog: "",
    location: null,
    email: user.email,
    notification_email: user.email,
    hireable: null,
    bio: null,
    twitter_username: null,
    public_repos: owned.filter((repo) => !repo.private).length,
    public_gists: 0,
    followers: 0,
    following: 0,
    created_at: user.createdAt,
    updated_at: user.createdAt,
    private_gists: 0,
    total_private_repos: owned.filter((repo) => repo.private).length,
    owned_private_repos: owned.filter((repo) => repo.private).length,
    disk_usage: 0,
    collaborators: 0,
    two_factor_authentication: true,
    plan: { name: "free", space: 976_562_499, collaborators: 0, private_repos: 10_000 },
  };
}

/** Endpoints for user-to-server tokens (ghu_). */
export function userRoutes(ctx: EmulatorContext): Router {
  const router = express.Router();

  router.get("/user", (req, res) => {
    const { user } = requireUser(req);
    res.json(privateUser(ctx, user));
  });

  router.get("/user/emails", (req, res) => {
    const { user } = requireUser(req);
    res.json([
      { email: user.email, primary: true, verified: true, visibility: "public" },
      {
        email: `${user.id}+${user.login}@users.noreply.github.com`,
        primary: false,
        verified: true,
        visibility: null,
      },
    ]);
  });

  router.get("/user/installations", (req, res) => {
    const { user } = requireUser(req);
    const visible = [...ctx.state.installations.values()].filter((value) =>
      installationVisibleToUser(ctx.state, user, value),
    );
    const page = paginate(ctx, req, res, visible);
    res.json({
      total_count: visible.length,
      installations: page.map((value) => installationShape(ctx, value)),
    });
  });

  router.get("/user/installations/:installation_id/repositories", (req, res) => {
    const { user } = requireUser(req);
    const found = ctx.state.installations.get(Number(param(req, "installation_id")));
    if (!found || !installationVisibleToUser(ctx.state, user, found)) throw notFound(DOCS.installationRepos);
    const repos = installationRepositories(ctx.state, found).filter((repo) =>
      hasExplicitAccess(ctx.state, user, repo),
    );
    const page = paginate(ctx, req, res, repos);
    res.json({
      total_count: repos.length,
      repository_selection: found.repositorySelection,
      repositories: page.map((repo) =>
        repository(ctx, repo, permissionsForRole(repoRole(ctx.state, user.login, repo))),
      ),
    });
  });

  return router;
}
