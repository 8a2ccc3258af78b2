// Hangar's GitHub client: App JWT, installation tokens, user-to-server tokens and the OAuth token
// endpoint, over HTTP to whatever GitHub GitHubAppSettings names (github.com, GHES, the emulator).
//
// Plain fetch rather than Octokit, on purpose: every request (token minting included) has to pass
// through the one resilience layer and be validated by a schema before Hangar trusts it, and the
// installation-token cache has to follow `expires_at`. @octokit/auth-app keeps its own fixed 59-minute
// cache and makes its own token requests; wrapping it would mean two caches and retries in two places
// for the dozen endpoints Hangar needs.
import { createPrivateKey, type KeyObject } from "node:crypto";
import { SignJWT } from "jose";
import * as z from "zod";
import type { Logger } from "../observability/logger.ts";
import type { Resilience } from "../resilience/resilience.ts";
import { GitHubError, gitHubErrorFromResponse, gitHubUnreachable } from "./github-errors.ts";
import type { GitHubAppSettings } from "./github-settings.ts";

const USER_AGENT = "Hangar (+https://github.com/hangar-deploy/hangar)";
const API_VERSION = "2022-11-28";
/** A cached installation token is replaced this long before GitHub says it expires. */
const TOKEN_REFRESH_MARGIN_MS = 5 * 60_000;
/** App JWTs: GitHub allows 10 minutes; iat is backdated 60 s for clock drift, as GitHub recommends. */
const JWT_LIFETIME_SECONDS = 9 * 60;
const JWT_REUSE_MS = 5 * 60_000;
/** Pagination guard: 100 per page × 50 pages is far beyond what one account's installation holds. */
const MAX_PAGES = 50;
/** GitHub's messages for a JWT its clock disagrees with; Octokit retries these once, and so do we. */
const CLOCK_SKEW_MESSAGE = /'Expiration time' claim|'Issued at' claim/;

const accountSchema = z.looseObject({
  id: z.number().int(),
  login: z.string().max(100),
  type: z.string().max(20).default("User"),
});

export const installationSchema = z.looseObject({
  id: z.number().int(),
  account: accountSchema,
  repository_selection: z.enum(["all", "selected"]),
  suspended_at: z.string().nullable().optional(),
});
export type GitHubInstallationInfo = z.infer<typeof installationSchema>;

const permissionsSchema = z.looseObject({
  admin: z.boolean(),
  maintain: z.boolean().optional(),
  push: z.boolean(),
  triage: z.boolean().optional(),
  pull: z.boolean(),
});
export type GitHubPermissions = z.infer<typeof permissionsSchema>;

export const repositorySchema = z.looseObject({
  id: z.number().int(),
  name: z.string().max(100),
  full_name: z.string().max(200),
  private: z.boolean(),
  default_branch: z.string().max(255).optional(),
  archived: z.boolean().optional(),
  html_url: z.string().optional(),
  permissions: permissionsSchema.optional(),
});
export type GitHubRepository = z.infer<typeof repositorySchema>;

const accessTokenSchema = z.looseObject({ token: z.string().min(1), expires_at: z.string() });

const userSchema = z.looseObject({
  id: z.number().int(),
  login: z.string().max(100),
  name: z.string().nullable().optional(),
  email: z.string().nullable().optional(),
  avatar_url: z.string().optional(),
});
export type GitHubUser = z.infer<typeof userSchema>;

const emailsSchema = z.array(
  z.looseObject({ email: z.string(), primary: z.boolean(), verified: z.boolean() }),
);

const oauthTokensSchema = z.looseObject({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  scope: z.string().optional(),
  expires_in: z.coerce.number().int().positive().optional(),
  refresh_token: z.string().min(1).optional(),
  refresh_token_expires_in: z.coerce.number().int().positive().optional(),
});
const oauthErrorSchema = z.looseObject({
  error: z.string(),
  error_description: z.string().optional(),
});

/** User-to-server tokens as Hangar keeps them: absolute expiry times, computed from GitHub's Date. */
export type GitHubUserTokens = {
  accessToken: string;
  accessTokenExpiresAt: Date | null;
  refreshToken: string | null;
  refreshTokenExpiresAt: Date | null;
};

/** How a request authenticates: the App itself, one of its installations, or a signed-in user. */
type Credential =
  { kind: "app" } | { kind: "installation"; installationId: number } | { kind: "user"; token: string };

type CachedToken = { token: string; expiresAt: number };

/** A 2xx answer, its body already read: the attempt's signal is aborted once the attempt ends. */
type Answer = { status: number; headers: Headers; body: unknown };

export function createGitHubClient(deps: {
  settings: GitHubAppSettings;
  resilience: Resilience;
  logger: Logger;
  now?: () => number;
}) {
  const { settings, resilience } = deps;
  const logger = deps.logger.child({ component: "github" });
  const now = deps.now ?? Date.now;
  const privateKey: KeyObject = createPrivateKey(settings.privateKeyPem);
  const installationTokens = new Map<number, CachedToken>();
  const pendingTokens = new Map<number, Promise<CachedToken>>();
  let appJwt: { jwt: string; signedAt: number } | undefined;
  /** Seconds to add to our clock so GitHub accepts our JWTs (learned from its Date header). */
  let clockSkewSeconds = 0;

  async function signAppJwt(): Promise<string> {
    if (appJwt && now() - appJwt.signedAt < JWT_REUSE_MS) return appJwt.jwt;
    const issuedAt = Math.floor(now() / 1000) + clockSkewSeconds - 60;
    const jwt = await new SignJWT()
      .setProtectedHeader({ alg: "RS256", typ: "JWT" })
      .setIssuer(String(settings.appId))
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + 60 + JWT_LIFETIME_SECONDS)
      .sign(privateKey);
    appJwt = { jwt, signedAt: now() };
    return jwt;
  }

  async function authorization(credential: Credential): Promise<string> {
    switch (credential.kind) {
      case "app":
        return `Bearer ${await signAppJwt()}`;
      case "installation":
        return `token ${(await installationToken(credential.installationId)).token}`;
      case "user":
        return `token ${credential.token}`;
    }
  }

  /** One HTTP exchange through the resilience layer; non-2xx answers become typed errors. */
  async function send(
    url: string,
    init: {
      method?: string;
      credential?: Credential;
      body?: unknown;
      form?: URLSearchParams;
      /** False for requests that must not be repeated blindly (OAuth grants: a refresh token works once). */
      idempotent?: boolean;
    },
  ): Promise<Answer> {
    const method = init.method ?? "GET";
    const headers: Record<string, string> = {
      accept: "application/vnd.github+json",
      "user-agent": USER_AGENT,
      "x-github-api-version": API_VERSION,
    };
    // Resolved before the retried section: minting an installation token is a resilient call of its own.
    if (init.credential) headers.authorization = await authorization(init.credential);
    let body: string | undefined;
    if (init.form) {
      headers["content-type"] = "application/x-www-form-urlencoded";
      headers.accept = "application/json";
      body = init.form.toString();
    } else if (init.body !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(init.body);
    }
    return resilience.execute(
      "github",
      async (signal) => {
        let response: Response;
        try {
          response = await fetch(url, { method, headers, body, signal, redirect: "manual" });
        } catch (error) {
          throw gitHubUnreachable(method, url, error);
        }
        if (response.status >= 400) throw await gitHubErrorFromResponse(method, url, response);
        let answer: unknown;
        try {
          answer = await response.json();
        } catch (error) {
          // A body cut off mid-way is a network failure (retryable); one that is not JSON is not.
          if (!(error instanceof SyntaxError)) throw gitHubUnreachable(method, url, error);
        }
        return { status: response.status, headers: response.headers, body: answer };
      },
      { idempotent: init.idempotent ?? true },
    );
  }

  async function request<T>(
    path: string,
    schema: z.ZodType<T>,
    init: { method?: string; credential: Credential; body?: unknown },
  ): Promise<T> {
    const response = await sendAuthenticated(`${settings.apiUrl}${path}`, init);
    return parseBody(response, schema, path);
  }

  /** Retries once on the two 401s a fresh credential fixes: JWT clock skew and a revoked cached token. */
  async function sendAuthenticated(
    url: string,
    init: { method?: string; credential: Credential; body?: unknown },
  ): Promise<Answer> {
    try {
      return await send(url, init);
    } catch (error) {
      if (!(error instanceof GitHubError) || error.githubStatus !== 401) throw error;
      if (init.credential.kind === "app" && CLOCK_SKEW_MESSAGE.test(error.githubMessage)) {
        const serverDate = error.serverDate?.getTime();
        if (serverDate === undefined) throw error;
        clockSkewSeconds = Math.round((serverDate - now()) / 1000);
        appJwt = undefined;
        logger.warn({ clockSkewSeconds }, "GitHub rejected the App JWT's times; retrying with its clock");
        return send(url, init);
      }
      if (init.credential.kind === "installation") {
        installationTokens.delete(init.credential.installationId);
        return send(url, init);
      }
      throw error;
    }
  }

  function parseBody<T>(response: Answer, schema: z.ZodType<T>, what: string): T {
    const parsed = schema.safeParse(response.body);
    if (!parsed.success) {
      throw new GitHubError("BAD_GATEWAY", `GitHub answered ${what} with an unexpected body.`, {
        reason: "GITHUB_UNEXPECTED_RESPONSE",
        githubStatus: response.status,
        githubMessage: parsed.error.issues[0]?.message ?? "unexpected body",
      });
    }
    return parsed.data;
  }

  /** Follows `Link: rel="next"` and collects `pick(page)` from every page. */
  async function paginate<T, Item>(
    path: string,
    schema: z.ZodType<T>,
    pick: (page: T) => Item[],
    credential: Credential,
  ): Promise<Item[]> {
    const items: Item[] = [];
    const separator = path.includes("?") ? "&" : "?";
    let url: string | undefined = `${settings.apiUrl}${path}${separator}per_page=100`;
    for (let page = 0; url && page < MAX_PAGES; page++) {
      const response = await sendAuthenticated(url, { credential });
      items.push(...pick(parseBody(response, schema, path)));
      url = nextPageUrl(response.headers.get("link"));
    }
    return items;
  }

  async function mintInstallationToken(installationId: number): Promise<CachedToken> {
    const minted = await request(`/app/installations/${installationId}/access_tokens`, accessTokenSchema, {
      method: "POST",
      credential: { kind: "app" },
    });
    const expiresAt = Date.parse(minted.expires_at);
    if (Number.isNaN(expiresAt)) {
      throw new GitHubError("BAD_GATEWAY", "GitHub returned an installation token without a valid expiry.", {
        reason: "GITHUB_UNEXPECTED_RESPONSE",
        githubStatus: 201,
        githubMessage: `expires_at ${minted.expires_at}`,
      });
    }
    return { token: minted.token, expiresAt };
  }

  /** A token for the installation, reused until shortly before its `expires_at`; concurrent callers share one mint. */
  async function installationToken(installationId: number): Promise<CachedToken> {
    const cached = installationTokens.get(installationId);
    if (cached && cached.expiresAt - now() > TOKEN_REFRESH_MARGIN_MS) return cached;
    let pending = pendingTokens.get(installationId);
    if (!pending) {
      pending = mintInstallationToken(installationId)
        .then((token) => {
          installationTokens.set(installationId, token);
          return token;
        })
        .finally(() => pendingTokens.delete(installationId));
      pendingTokens.set(installationId, pending);
    }
    return pending;
  }

  /** POST to the OAuth token endpoint; GitHub answers errors with HTTP 200 and an `error` field. */
  async function oauthToken(params: Record<string, string>): Promise<GitHubUserTokens> {
    const form = new URLSearchParams({
      client_id: settings.clientId,
      client_secret: settings.clientSecret,
      ...params,
    });
    // Not idempotent: a code or refresh token works once, so an answer lost in transit must not be
    // "retried" into bad_refresh_token, which would look like a revoked grant.
    const response = await send(`${settings.webUrl}/login/oauth/access_token`, {
      method: "POST",
      form,
      idempotent: false,
    });
    const body = response.body;
    const failure = oauthErrorSchema.safeParse(body);
    if (failure.success) {
      throw new GitHubError(
        failure.data.error === "incorrect_client_credentials" ? "BAD_GATEWAY" : "UNAUTHORIZED",
        `GitHub refused the token request: ${failure.data.error_description ?? failure.data.error}`,
        { reason: "GITHUB_OAUTH_ERROR", githubStatus: response.status, githubMessage: failure.data.error },
      );
    }
    const tokens = oauthTokensSchema.safeParse(body);
    if (!tokens.success) {
      throw new GitHubError("BAD_GATEWAY", "GitHub's token endpoint answered with an unexpected body.", {
        reason: "GITHUB_UNEXPECTED_RESPONSE",
        githubStatus: response.status,
        githubMessage: tokens.error.issues[0]?.message ?? "unexpected body",
      });
    }
    // GitHub counts expiry from its own clock: use its Date header, as Octokit does.
    const issuedAt = Date.parse(response.headers.get("date") ?? "") || now();
    const at = (seconds: number | undefined) => (seconds ? new Date(issuedAt + seconds * 1000) : null);
    return {
      accessToken: tokens.data.access_token,
      accessTokenExpiresAt: at(tokens.data.expires_in),
      refreshToken: tokens.data.refresh_token ?? null,
      refreshTokenExpiresAt: at(tokens.data.refresh_token_expires_in),
    };
  }

  const encode = (segment: string) => encodeURIComponent(segment);

  return {
    settings,

    app: {
      getInstallation: (installationId: number) =>
        request(`/app/installations/${installationId}`, installationSchema, { credential: { kind: "app" } }),
      /** The App's installation covering the repository, or null when none does (or it does not exist). */
      async findRepositoryInstallation(owner: string, repo: string): Promise<GitHubInstallationInfo | null> {
        try {
          return await request(`/repos/${encode(owner)}/${encode(repo)}/installation`, installationSchema, {
            credential: { kind: "app" },
          });
        } catch (error) {
          if (error instanceof GitHubError && error.githubStatus === 404) return null;
          throw error;
        }
      },
    },

    installation: {
      /** An installation token (cached until shortly before it expires), e.g. for a tarball download. */
      accessToken: async (installationId: number) => (await installationToken(installationId)).token,
      listRepositories: (installationId: number) =>
        paginate(
          "/installation/repositories",
          z.looseObject({ repositories: z.array(repositorySchema) }),
          (page) => page.repositories,
          { kind: "installation", installationId },
        ),
      /** Drops the cached token, e.g. after the installation was suspended or deleted. */
      forgetToken(installationId: number) {
        installationTokens.delete(installationId);
      },
    },

    /** Calls made as a signed-in user; `token` is a user-to-server access token. */
    user: {
      get: (token: string) => request("/user", userSchema, { credential: { kind: "user", token } }),
      listEmails: (token: string) =>
        request("/user/emails", emailsSchema, { credential: { kind: "user", token } }),
      listInstallations: (token: string) =>
        paginate(
          "/user/installations",
          z.looseObject({ installations: z.array(installationSchema) }),
          (page) => page.installations,
          { kind: "user", token },
        ),
      /** The installation's repositories this user can access, each with the user's `permissions`. */
      listInstallationRepositories: (token: string, installationId: number) =>
        paginate(
          `/user/installations/${installationId}/repositories`,
          z.looseObject({ repositories: z.array(repositorySchema) }),
          (page) => page.repositories,
          { kind: "user", token },
        ),
      /** The repository as the user sees it (with their `permissions`), or null when they cannot see it. */
      async getRepository(token: string, owner: string, repo: string): Promise<GitHubRepository | null> {
        try {
          return await request(`/repos/${encode(owner)}/${encode(repo)}`, repositorySchema, {
            credential: { kind: "user", token },
          });
        } catch (error) {
          if (error instanceof GitHubError && error.githubStatus === 404) return null;
          throw error;
        }
      },
    },

    oauth: {
      authorizeUrl: `${settings.webUrl}/login/oauth/authorize`,
      tokenUrl: `${settings.webUrl}/login/oauth/access_token`,
      exchangeCode: (input: { code: string; redirectUri: string; codeVerifier?: string }) =>
        oauthToken({
          code: input.code,
          redirect_uri: input.redirectUri,
          ...(input.codeVerifier ? { code_verifier: input.codeVerifier } : {}),
        }),
      refresh: (refreshToken: string) =>
        oauthToken({ grant_type: "refresh_token", refresh_token: refreshToken }),
    },

    installUrl: `${settings.webUrl}/apps/${encode(settings.appSlug)}/installations/new`,
  };
}

export type GitHubClient = ReturnType<typeof createGitHubClient>;

function nextPageUrl(link: string | null): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(",")) {
    const match = /<([^>]+)>\s*;\s*rel="next"/.exec(part);
    if (match) return match[1];
  }
  return undefined;
}
