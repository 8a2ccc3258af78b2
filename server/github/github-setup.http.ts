// GET /api/github/setup?installation_id=…&setup_action=install|update|request — the GitHub App's Setup
// URL, where GitHub sends the browser after an install or a repository change. The installation is
// linked to the signed-in user's active organisation only after GitHubService has verified, with the
// user's own GitHub token, that the user can see it. Browsers get a redirect to the dashboard's GitHub
// page, or an error page with the same status as the JSON error other clients get.
import { fromNodeHeaders } from "better-auth/node";
import { type Request, type Response, Router } from "express";
import * as z from "zod";
import type { Auth } from "../auth/auth.ts";
import { AppError } from "../errors.ts";
import { sendError } from "../http/errors.ts";
import type { Logger } from "../observability/logger.ts";
import type { GitHubService } from "./github.service.ts";

/** The dashboard page the flow ends on. */
export const GITHUB_PAGE = "/github";

const setupQuery = z.object({
  installation_id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
  setup_action: z.enum(["install", "update", "request"]).optional(),
});

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

function fail(req: Request, res: Response, error: AppError): void {
  if (req.accepts(["html", "json"]) !== "html") {
    sendError(res, error);
    return;
  }
  const signIn = error.status === 401 ? `<a href="/sign-in">Sign in</a>, then ` : "";
  res
    .status(error.status)
    .type("html")
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>GitHub not connected · Hangar</title></head>` +
        `<body><main><h1>GitHub was not connected</h1><p>${escapeHtml(error.message)}</p>` +
        `<p>${signIn}<a href="${GITHUB_PAGE}">go back to the GitHub page</a>.</p>` +
        `<p><small>Request id: ${escapeHtml(String(res.locals.requestId ?? "unknown"))}</small></p></main></body></html>`,
    );
}

export function createGitHubSetupRouter(deps: {
  auth: Auth;
  github: GitHubService | undefined;
  logger: Logger;
}): Router {
  const logger = deps.logger.child({ component: "github-setup" });
  const router = Router();

  router.get("/", async (req, res) => {
    try {
      if (!deps.github) throw new AppError("NOT_FOUND", "No GitHub App is configured.");
      const query = setupQuery.safeParse(req.query);
      if (!query.success) {
        throw new AppError("BAD_REQUEST", "The setup link from GitHub is malformed (installation_id).", {
          reason: "INVALID_SETUP_REQUEST",
        });
      }
      const session = await deps.auth.api
        .getSession({ headers: fromNodeHeaders(req.headers) })
        .catch(() => null);
      if (!session) {
        throw new AppError("UNAUTHORIZED", "Sign in to Hangar to connect the GitHub installation.", {
          reason: "SIGN_IN_REQUIRED",
        });
      }
      // "request": a member asked an owner to install; there is nothing to link yet.
      if (query.data.setup_action === "request" || query.data.installation_id === undefined) {
        res.redirect(303, `${GITHUB_PAGE}?requested=1`);
        return;
      }
      const organizationId = (session.session as { activeOrganizationId?: string | null })
        .activeOrganizationId;
      if (!organizationId) {
        throw new AppError(
          "BAD_REQUEST",
          "Choose an organization in Hangar first, then connect GitHub again.",
          {
            reason: "NO_ACTIVE_ORGANIZATION",
          },
        );
      }
      const linked = await deps.github.linkInstallation({
        userId: session.user.id,
        organizationId,
        installationId: query.data.installation_id,
      });
      res.redirect(303, `${GITHUB_PAGE}?connected=${linked.installationId}`);
    } catch (error) {
      if (!(error instanceof AppError)) {
        logger.error({ err: error }, "GitHub setup callback failed");
        fail(
          req,
          res,
          new AppError("INTERNAL_SERVER_ERROR", "Connecting GitHub failed on our side. Try again."),
        );
        return;
      }
      if (error.status >= 500) logger.warn({ err: error }, "GitHub setup callback failed");
      fail(req, res, error);
    }
  });
  return router;
}
