import { createPublicKey, type KeyObject } from "node:crypto";
import type { NextFunction, Request, Response } from "express";
import { compactVerify, decodeJwt, decodeProtectedHeader, type JWTPayload } from "jose";
import type { EmulatorContext } from "./context.ts";
import { ApiError } from "./http.ts";
import type { Installation, InstallationToken, User, UserToken } from "./state.ts";

export type Principal =
  | { kind: "anonymous" }
  | { kind: "app" }
  | { kind: "installation"; token: InstallationToken; installation: Installation }
  | { kind: "user"; token: UserToken; user: User };

/** GitHub tolerates a little clock drift between the App's machine and its own. */
const CLOCK_SKEW_SECONDS = 30;
const MAX_JWT_LIFETIME_SECONDS = 600;

// Exact messages GitHub sends; @octokit/auth-app matches the exp/iat ones to retry with the server's clock.
export const JWT_MESSAGES = {
  undecodable: "A JSON web token could not be decoded",
  expTooFar: "'Expiration time' claim ('exp') is too far in the future",
  expired:
    "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires",
  badIat: "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued",
  badIss: "'Issuer' claim ('iss') must be an Integer",
} as const;

const JWT_DOCS = "https://docs.github.com/rest";
const badCredentials = () => new ApiError(401, "Bad credentials", "https://docs.github.com/rest");

const principals = new WeakMap<Request, Principal>();

export function principalOf(req: Request): Principal {
  return principals.get(req) ?? { kind: "anonymous" };
}

function appPublicKey(pem: string): KeyObject {
  return createPublicKey(pem);
}

async function verifyAppJwt(ctx: EmulatorContext, key: KeyObject, jwt: string): Promise<void> {
  let header: ReturnType<typeof decodeProtectedHeader>;
  let claims: JWTPayload;
  try {
    header = decodeProtectedHeader(jwt);
    claims = decodeJwt(jwt);
  } catch {
    throw new ApiError(401, JWT_MESSAGES.undecodable, JWT_DOCS);
  }
  if (header.alg !== "RS256") throw new ApiError(401, JWT_MESSAGES.undecodable, JWT_DOCS);

  // `iss` is the numeric App id (as a number or a string) or, since 2024, the App's client id.
  const iss: unknown = claims.iss;
  const issIsAppId = typeof iss === "number" || (typeof iss === "string" && /^\d+$/.test(iss));
  if (!issIsAppId && iss !== ctx.options.clientId) {
    throw new ApiError(401, JWT_MESSAGES.badIss, JWT_DOCS);
  }
  if (issIsAppId && Number(iss) !== ctx.options.appId) {
    // The key GitHub would pick belongs to another App, so the signature cannot match.
    throw new ApiError(401, JWT_MESSAGES.undecodable, JWT_DOCS);
  }
  try {
    await compactVerify(jwt, key, { algorithms: ["RS256"] });
  } catch {
    throw new ApiError(401, JWT_MESSAGES.undecodable, JWT_DOCS);
  }

  const now = Math.floor(Date.now() / 1000);
  const { iat, exp } = claims;
  if (typeof iat !== "number" || !Number.isInteger(iat) || iat > now + CLOCK_SKEW_SECONDS) {
    throw new ApiError(401, JWT_MESSAGES.badIat, JWT_DOCS);
  }
  if (typeof exp !== "number" || exp <= now - CLOCK_SKEW_SECONDS) {
    throw new ApiError(401, JWT_MESSAGES.expired, JWT_DOCS);
  }
  if (exp > now + MAX_JWT_LIFETIME_SECONDS + CLOCK_SKEW_SECONDS) {
    throw new ApiError(401, JWT_MESSAGES.expTooFar, JWT_DOCS);
  }
}

function credentialOf(req: Request): string | undefined {
  const header = req.get("authorization");
  if (!header) return undefined;
  // Octokit sends "bearer" in lower case; "token" works for installation and user tokens.
  const match = /^(bearer|token)\s+(\S+)\s*$/i.exec(header);
  if (!match?.[2]) throw badCredentials();
  return match[2];
}

const JWT_SHAPE = /^[\w-]+\.[\w-]+\.[\w-]+$/;

/** Resolves the caller from the Authorization header; bad credentials fail even on public endpoints. */
export function authenticate(ctx: EmulatorContext) {
  const key = appPublicKey(ctx.options.appPublicKeyPem);
  return async (req: Request, _res: Response, next: NextFunction): Promise<void> => {
    const credential = credentialOf(req);
    if (credential === undefined) return next();
    if (JWT_SHAPE.test(credential)) {
      await verifyAppJwt(ctx, key, credential);
      principals.set(req, { kind: "app" });
      return next();
    }
    const now = Date.now();
    const installationToken = ctx.state.installationTokens.get(credential);
    if (installationToken) {
      const installation = ctx.state.installations.get(installationToken.installationId);
      if (!installation || installationToken.expiresAt <= now) throw badCredentials();
      if (installation.suspendedAt) throw new ApiError(403, "This installation has been suspended");
      principals.set(req, { kind: "installation", token: installationToken, installation });
      return next();
    }
    const userToken = ctx.state.userTokens.get(credential);
    if (userToken) {
      const user = ctx.state.user(userToken.login);
      if (!user || userToken.expiresAt <= now) throw badCredentials();
      principals.set(req, { kind: "user", token: userToken, user });
      return next();
    }
    throw badCredentials();
  };
}

export function requireApp(req: Request): void {
  if (principalOf(req).kind !== "app") throw new ApiError(401, JWT_MESSAGES.undecodable, JWT_DOCS);
}

export function requireUser(req: Request): { user: User; token: UserToken } {
  const principal = principalOf(req);
  if (principal.kind === "user") return { user: principal.user, token: principal.token };
  if (principal.kind === "anonymous") throw new ApiError(401, "Requires authentication");
  throw new ApiError(403, "Resource not accessible by integration");
}

export function requireInstallation(req: Request): { token: InstallationToken; installation: Installation } {
  const principal = principalOf(req);
  if (principal.kind === "installation")
    return { token: principal.token, installation: principal.installation };
  if (principal.kind === "anonymous") throw new ApiError(401, "Requires authentication");
  throw new ApiError(
    403,
    "You must authenticate with an installation access token in order to list repositories for an installation.",
  );
}

/** Rate-limit bucket of the caller, as GitHub counts them. */
export function rateLimitKey(req: Request): { key: string; limit: number } {
  const principal = principalOf(req);
  switch (principal.kind) {
    case "app":
      return { key: "app", limit: 5_000 };
    case "installation":
      return { key: `installation:${principal.installation.id}`, limit: 5_000 };
    case "user":
      return { key: `user:${principal.user.login}`, limit: 5_000 };
    case "anonymous":
      return { key: `ip:${req.ip ?? "unknown"}`, limit: 60 };
  }
}
