import type { RequestHandler, Response } from "express";
import { appNotFound, unauthenticated, unauthorized } from "./errors.ts";
import type { ApiToken, App, EmulatorState } from "./state.ts";

/**
 * Strips any number of leading `Bearer` / `FlyV1` words, as fly-go's token parsing does, so `Bearer X`,
 * `FlyV1 X` and `Bearer FlyV1 X` all carry token X. A header without a scheme is not a credential.
 */
function tokenFromAuthorization(header: string | undefined): string | undefined {
  if (!header) return undefined;
  let rest = header.trim();
  let schemes = 0;
  for (let match = /^(bearer|flyv1)\s+/i.exec(rest); match; match = /^(bearer|flyv1)\s+/i.exec(rest)) {
    rest = rest.slice(match[0].length).trim();
    schemes += 1;
  }
  return schemes > 0 && rest ? rest : undefined;
}

/** A header may carry several comma-joined macaroons; any known one authenticates. */
function findToken(state: EmulatorState, credential: string): ApiToken | undefined {
  return (
    state.tokens.get(credential) ??
    credential
      .split(",")
      .map((part) => state.tokens.get(part.trim()))
      .find((token) => token !== undefined)
  );
}

export function authenticate(state: EmulatorState): RequestHandler {
  return (request, response, next) => {
    const credential = tokenFromAuthorization(request.get("authorization"));
    const token = credential ? findToken(state, credential) : undefined;
    if (!token) throw unauthenticated();
    response.locals.flyToken = token;
    next();
  };
}

export function currentToken(response: Response): ApiToken {
  return response.locals.flyToken as ApiToken;
}

/**
 * An app-scoped (deploy) token opens only its app; an org token opens its organization's apps. Apps of
 * other organizations answer 403 and free names 404, as on Fly.
 */
export function authorizedApp(state: EmulatorState, token: ApiToken, appName: string): App {
  if (token.appName !== undefined && token.appName !== appName) throw unauthorized();
  const app = state.apps.get(appName);
  if (!app) throw appNotFound();
  if (app.orgSlug !== token.orgSlug) throw unauthorized();
  return app;
}

export function assertOrgAccess(token: ApiToken, orgSlug: string): void {
  if (token.orgSlug !== orgSlug) throw unauthorized();
}
