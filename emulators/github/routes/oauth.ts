import express, { type Request, type Response, type Router } from "express";
import { APP_NAME } from "../app-definition.ts";
import type { EmulatorContext } from "../context.ts";
import { faultInjection } from "../faults.ts";
import { escapeHtml, hiddenInputs, page } from "../html.ts";
import { newOAuthCode, newRefreshToken, newUserToken } from "../tokens.ts";

/** GitHub App user authorization (web flow) with expiring, rotating user tokens. */

const CODE_TTL_MS = 10 * 60_000;
/** GitHub always reports ~6 months for refresh tokens. */
const REFRESH_TOKEN_TTL_SECONDS = 15_811_200;
const TROUBLESHOOTING =
  "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors";

const OAUTH_ERRORS = {
  incorrect_client_credentials: [
    "The client_id and/or client_secret passed are incorrect.",
    `${TROUBLESHOOTING}/#incorrect-client-credentials`,
  ],
  bad_verification_code: [
    "The code passed is incorrect or expired.",
    `${TROUBLESHOOTING}/#bad-verification-code`,
  ],
  redirect_uri_mismatch: [
    "The redirect_uri MUST match the registered callback URL for this application.",
    `${TROUBLESHOOTING}/#redirect-uri-mismatch2`,
  ],
  bad_refresh_token: ["The refresh token passed is incorrect or expired.", TROUBLESHOOTING],
  unsupported_grant_type: ["The grant type is not supported.", TROUBLESHOOTING],
} as const;

type OAuthErrorCode = keyof typeof OAUTH_ERRORS;

function wantsJson(req: Request): boolean {
  return (req.get("accept") ?? "").includes("application/json");
}

/** JSON when asked for, form-encoded otherwise (GitHub's default). */
function sendTokenEndpointBody(req: Request, res: Response, body: Record<string, string | number>): void {
  if (wantsJson(req)) {
    res.json(body);
    return;
  }
  const form = new URLSearchParams(Object.entries(body).map(([key, value]) => [key, String(value)]));
  res.type("application/x-www-form-urlencoded").send(form.toString());
}

/** GitHub answers token-endpoint errors with HTTP 200 and an `error` field. */
function sendOAuthError(req: Request, res: Response, code: OAuthErrorCode): void {
  const [description, uri] = OAUTH_ERRORS[code];
  sendTokenEndpointBody(req, res, { error: code, error_description: description, error_uri: uri });
}

function stringParams(source: unknown): Record<string, string> {
  if (typeof source !== "object" || source === null) return {};
  return Object.fromEntries(
    Object.entries(source).filter((entry): entry is [string, string] => typeof entry[1] === "string"),
  );
}

/** client_id/secret may come in the body, the query, or HTTP Basic auth. */
function clientCredentials(req: Request, params: Record<string, string>): { id?: string; secret?: string } {
  const basic = /^basic\s+(\S+)$/i.exec(req.get("authorization") ?? "");
  if (basic?.[1]) {
    const [id, secret] = Buffer.from(basic[1], "base64").toString("utf8").split(":");
    return { id, secret };
  }
  return { id: params.client_id, secret: params.client_secret };
}

function issueUserTokens(ctx: EmulatorContext, login: string) {
  const now = Date.now();
  const accessToken = newUserToken();
  const refreshToken = newRefreshToken();
  ctx.state.userTokens.set(accessToken, {
    token: accessToken,
    login,
    expiresAt: now + ctx.options.userTokenTtlSeconds * 1000,
  });
  ctx.state.refreshTokens.set(refreshToken, {
    token: refreshToken,
    login,
    accessToken,
    expiresAt: now + REFRESH_TOKEN_TTL_SECONDS * 1000,
  });
  return {
    access_token: accessToken,
    expires_in: ctx.options.userTokenTtlSeconds,
    refresh_token: refreshToken,
    refresh_token_expires_in: REFRESH_TOKEN_TTL_SECONDS,
    scope: "",
    token_type: "bearer",
  };
}

function authorizePage(ctx: EmulatorContext, params: Record<string, string>): string {
  const selected = params.login && ctx.state.user(params.login) ? params.login : "octocat";
  const options = [...ctx.state.users.values()]
    .map(
      (user) =>
        `<option value="${escapeHtml(user.login)}"${user.login === selected ? " selected" : ""}>${escapeHtml(user.login)} (${escapeHtml(user.name)})</option>`,
    )
    .join("");
  const hidden = hiddenInputs({
    client_id: params.client_id,
    redirect_uri: params.redirect_uri,
    state: params.state,
  });
  return page(
    `Authorize ${APP_NAME}`,
    `<div class="box" style="max-width:480px;margin:40px auto">
      <h1>Authorize ${escapeHtml(APP_NAME)}</h1>
      <p><strong>${escapeHtml(APP_NAME)}</strong> by <strong>octocat</strong> would like permission to:</p>
      <ul><li>Verify your GitHub identity</li><li>Know which resources you can access</li><li>Act on your behalf</li></ul>
      <form method="post" action="/login/oauth/authorize">${hidden}
        <p><label>Signed in as <select name="login">${options}</select></label></p>
        <p>Authorizing will redirect to <code>${escapeHtml(params.redirect_uri ?? "")}</code></p>
        <button type="submit" name="decision" value="authorize">Authorize ${escapeHtml(ctx.options.appSlug)}</button>
        <button type="submit" name="decision" value="cancel" class="secondary">Cancel</button>
      </form>
    </div>`,
  );
}

function validAuthorizeRequest(ctx: EmulatorContext, res: Response, params: Record<string, string>): boolean {
  if (params.client_id !== ctx.options.clientId) {
    res.status(404).send(page("Not Found", `<div class="box"><h1>404</h1><p>Unknown client_id.</p></div>`));
    return false;
  }
  if (!params.redirect_uri || !URL.canParse(params.redirect_uri)) {
    // The emulated App has no registered callback URL to fall back on.
    res.status(400).send(page("Bad request", `<div class="box"><h1>redirect_uri is required</h1></div>`));
    return false;
  }
  return true;
}

export function oauthRoutes(ctx: EmulatorContext): Router {
  const router = express.Router();
  const form = express.urlencoded({ extended: false });

  router.get("/login/oauth/authorize", (req, res) => {
    const params = stringParams(req.query);
    if (!validAuthorizeRequest(ctx, res, params)) return;
    res.send(authorizePage(ctx, params));
  });

  router.post("/login/oauth/authorize", form, (req, res) => {
    const params = stringParams(req.body);
    if (!validAuthorizeRequest(ctx, res, params)) return;
    const redirect = new URL(params.redirect_uri ?? "");
    if (params.state !== undefined) redirect.searchParams.set("state", params.state);
    const user = ctx.state.user(params.login ?? "");
    if (params.decision === "cancel" || !user) {
      redirect.searchParams.set("error", "access_denied");
      redirect.searchParams.set("error_description", "The user has denied your application access.");
      redirect.searchParams.set("error_uri", `${TROUBLESHOOTING}/#access-denied`);
      res.redirect(302, redirect.toString());
      return;
    }
    const code = newOAuthCode();
    ctx.state.oauthCodes.set(code, {
      code,
      login: user.login,
      redirectUri: redirect.origin + redirect.pathname,
      expiresAt: Date.now() + CODE_TTL_MS,
    });
    redirect.searchParams.set("code", code);
    res.redirect(302, redirect.toString());
  });

  router.post("/login/oauth/access_token", faultInjection(ctx), form, express.json(), (req, res) => {
    const params = { ...stringParams(req.query), ...stringParams(req.body) };
    const client = clientCredentials(req, params);
    if (client.id !== ctx.options.clientId || client.secret !== ctx.options.clientSecret) {
      sendOAuthError(req, res, "incorrect_client_credentials");
      return;
    }
    const grantType = params.grant_type ?? "authorization_code";
    if (grantType === "refresh_token") {
      const refresh = ctx.state.refreshTokens.get(params.refresh_token ?? "");
      if (!refresh || refresh.expiresAt <= Date.now()) {
        sendOAuthError(req, res, "bad_refresh_token");
        return;
      }
      // Rotation: the used refresh token and its access token stop working.
      ctx.state.refreshTokens.delete(refresh.token);
      ctx.state.userTokens.delete(refresh.accessToken);
      sendTokenEndpointBody(req, res, issueUserTokens(ctx, refresh.login));
      return;
    }
    if (grantType !== "authorization_code") {
      sendOAuthError(req, res, "unsupported_grant_type");
      return;
    }
    const code = ctx.state.oauthCodes.get(params.code ?? "");
    if (!code || code.expiresAt <= Date.now()) {
      sendOAuthError(req, res, "bad_verification_code");
      return;
    }
    if (params.redirect_uri !== undefined) {
      const given = URL.canParse(params.redirect_uri) ? new URL(params.redirect_uri) : undefined;
      if (!given || given.origin + given.pathname !== code.redirectUri) {
        sendOAuthError(req, res, "redirect_uri_mismatch");
        return;
      }
    }
    // Codes are single use.
    ctx.state.oauthCodes.delete(code.code);
    sendTokenEndpointBody(req, res, issueUserTokens(ctx, code.login));
  });

  return router;
}
