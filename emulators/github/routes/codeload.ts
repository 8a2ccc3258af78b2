import express, { type Router } from "express";
import type { EmulatorContext } from "../context.ts";
import { param, queryString } from "../http.ts";
import { resolveRef, type Commit, type Repository } from "../state.ts";
import { buildTarball } from "../tarball.ts";
import { unixSeconds } from "../time.ts";

/** What codeload.github.com serves: the archive behind the short-lived link from GET …/tarball. */
export function codeloadRoutes(ctx: EmulatorContext): Router {
  const router = express.Router();

  router.get("/codeload/:owner/:repo/legacy.tar.gz/*ref", (req, res) => {
    const repo = ctx.state.findRepository(param(req, "owner"), param(req, "repo"));
    let target: { repo: Repository; commit: Commit } | undefined;
    const token = queryString(req, "token");
    const grant = token ? ctx.state.tarballGrants.get(token) : undefined;
    if (grant && grant.expiresAt > Date.now() && grant.repoId === repo?.id) {
      const commit = repo.commits.get(grant.sha);
      if (commit) target = { repo, commit };
    } else if (repo && !repo.private && !token) {
      // Public archives need no token.
      const commit = resolveRef(repo, param(req, "ref"));
      if (commit) target = { repo, commit };
    }
    if (!target) {
      res.status(404).type("text/plain").send("404: Not Found");
      return;
    }
    const root = `${target.repo.ownerLogin}-${target.repo.name}-${target.commit.sha.slice(0, 7)}`;
    const archive = buildTarball({
      root,
      sha: target.commit.sha,
      mtime: unixSeconds(target.commit.committer.date),
      files: target.commit.files,
    });
    res
      .status(200)
      .set({
        "content-type": "application/x-gzip",
        "content-disposition": `attachment; filename=${root}.tar.gz`,
        etag: `"${target.commit.sha}"`,
      })
      .send(archive);
  });

  return router;
}
