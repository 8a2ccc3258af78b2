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

const BASE_HEADERS = {
  accept: "application/vnd.github+json",
  "user-agent": "Hangar (+https://github.com/hangar-deploy/hangar)",
  "x-github-api-version": "2022-11-28",
};
/** A cached installation token is replaced this long before GitHub says it expires. */
const TOKEN_REFRESH_MARGIN_MS = 5 * 60_000;
/** App JWTs: GitHub allows 10 minutes; iat is backdated 60 s for clock drift, as GitHub recommends. */
const JWT_LIFETIME_SECONDS = 9 * 60;
const JWT_REUSE_MS = 5 * 60_000;
/** Downloads follow at most this many redirects (GitHub sends one: api → codeload). */
const MAX_REDIRECTS = 3;
/** GitHub refuses longer deployment status descriptions with 422. */
const STATUS_DESCRIPTION_LIMIT = 140;
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

const commitShaSchema = z.string().regex(/^[0-9a-f]{40}$/);

const branchSchema = z.looseObject({ name: z.string(), commit: z.looseObject({ sha: commitShaSchema }) });
export type GitHubBranch = { name: string; commitSha: string };

const commitSchema = z.looseObject({
  sha: commitShaSchema,
  html_url: z.string(),
  commit: z.looseObject({
    message: z.string(),
    author: z.looseObject({ name: z.string() }).nullable(),
  }),
  // The GitHub account of the git author: null or {} when the author's email belongs to none.
  author: z.looseObject({ login: z.string().max(100).optional() }).nullable(),
});
export type GitHubCommit = {
  sha: string;
  message: string;
  /** The git author's name (the GitHub login when git has none). */
  authorName: string;
  authorLogin?: string;
  /** The commit's page on GitHub. */
  url: string;
};

/** A file (base64, up to 1 MB), or something else: a directory listing, a symlink, a submodule. */
const contentSchema = z.union([
  z.looseObject({ type: z.literal("file"), encoding: z.literal("base64"), content: z.string() }),
  z.looseObject({ type: z.enum(["dir", "symlink", "submodule"]) }),
  z.array(z.unknown()),
]);

const deploymentSchema = z.looseObject({ id: z.number().int() });

export type GitHubDeploymentState = "queued" | "in_progress" | "success" | "failure" | "inactive" | "error";

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
    const headers: Record<string, string> = { ...BASE_HEADERS };
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
    init: { method?: string; credential: Credential; body?: unknown; idempotent?: boolean },
  ): Promise<T> {
    const response = await sendAuthenticated(`${settings.apiUrl}${path}`, init);
    return parseBody(response, schema, path);
  }

  function sendAuthenticated(
    url: string,
    init: { method?: string; credential: Credential; body?: unknown; idempotent?: boolean },
  ): Promise<Answer> {
    return withFreshCredentialRetry(init.credential, () => send(url, init));
  }

  /** Retries once on the two 401s a fresh credential fixes: JWT clock skew and a revoked cached token. */
  async function withFreshCredentialRetry<T>(credential: Credential, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof GitHubError) || error.githubStatus !== 401) throw error;
      if (credential.kind === "app" && CLOCK_SKEW_MESSAGE.test(error.githubMessage)) {
        const serverDate = error.serverDate?.getTime();
        if (serverDate === undefined) throw error;
        clockSkewSeconds = Math.round((serverDate - now()) / 1000);
        appJwt = undefined;
        logger.warn({ clockSkewSeconds }, "GitHub rejected the App JWT's times; retrying with its clock");
        return call();
      }
      if (credential.kind === "installation") {
        installationTokens.delete(credential.installationId);
        return call();
      }
      throw error;
    }
  }

  /**
   * A GET whose body is streamed rather than parsed (archives). Redirects are followed by hand so the
   * credential only ever goes to the API's own origin: GitHub sends tarballs from codeload.github.com
   * with a short-lived token in the URL, and a credential must not travel to another host. The
   * per-attempt timeout covers getting an answer; the body then streams until it ends or `signal`
   * aborts it.
   */
  async function download(
    path: string,
    credential: Credential,
    signal: AbortSignal | undefined,
  ): Promise<ReadableStream<Uint8Array>> {
    const apiOrigin = new URL(settings.apiUrl).origin;
    const authorizationHeader = await authorization(credential);
    return resilience.execute(
      "github",
      async (attemptSignal) => {
        const untilAnswered = new AbortController();
        const stopWaiting = () => untilAnswered.abort(attemptSignal.reason);
        attemptSignal.addEventListener("abort", stopWaiting, { once: true });
        const fetchSignal = signal ? AbortSignal.any([signal, untilAnswered.signal]) : untilAnswered.signal;
        try {
          let url = `${settings.apiUrl}${path}`;
          for (let redirects = 0; ; redirects++) {
            const headers: Record<string, string> = { ...BASE_HEADERS };
            if (new URL(url).origin === apiOrigin) headers.authorization = authorizationHeader;
            let response: Response;
            try {
              response = await fetch(url, { headers, signal: fetchSignal, redirect: "manual" });
            } catch (error) {
              throw gitHubUnreachable("GET", url, error);
            }
            const location = response.headers.get("location");
            if (response.status >= 300 && response.status < 400 && location && redirects < MAX_REDIRECTS) {
              await response.body?.cancel();
              url = new URL(location, url).href;
              continue;
            }
            if (response.status >= 300) throw await gitHubErrorFromResponse("GET", url, response);
            if (!response.body) {
              throw new GitHubError("BAD_GATEWAY", `GitHub answered ${path} without a body.`, {
                reason: "GITHUB_UNEXPECTED_RESPONSE",
                githubStatus: response.status,
                githubMessage: "empty body",
              });
            }
            return response.body;
          }
        } finally {
          attemptSignal.removeEventListener("abort", stopWaiting);
        }
      },
      { signal },
    );
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
  /** Branch names and file paths keep their slashes; each segment is encoded. */
  const encodePath = (value: string) => value.split("/").map(encode).join("/");
  const repoPath = (owner: string, repo: string) => `/repos/${encode(owner)}/${encode(repo)}`;

  return {
    settings,

    app: {
      getInstallation: (installationId: number) =>
        request(`/app/installations/${installationId}`, installationSchema, { credential: { kind: "app" } }),
      /** The App's installation covering the repository, or null when none does (or it does not exist). */
      findRepositoryInstallation: (owner: string, repo: string): Promise<GitHubInstallationInfo | null> =>
        nullWhenMissing(
          request(`${repoPath(owner, repo)}/installation`, installationSchema, {
            credential: { kind: "app" },
          }),
        ),
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

      /** The branch's head commit, or null when the branch (or the repository) does not exist. */
      async getBranch(
        installationId: number,
        owner: string,
        repo: string,
        branch: string,
      ): Promise<GitHubBranch | null> {
        const found = await nullWhenMissing(
          request(`${repoPath(owner, repo)}/branches/${encodePath(branch)}`, branchSchema, {
            credential: { kind: "installation", installationId },
          }),
        );
        return found && { name: found.name, commitSha: found.commit.sha };
      },

      /** One commit by sha or branch name, or null when GitHub has no such commit (404 or 422). */
      async getCommit(
        installationId: number,
        owner: string,
        repo: string,
        ref: string,
      ): Promise<GitHubCommit | null> {
        const found = await nullWhenMissing(
          request(`${repoPath(owner, repo)}/commits/${encodePath(ref)}`, commitSchema, {
            credential: { kind: "installation", installationId },
          }),
          [404, 422],
        );
        if (!found) return null;
        const authorLogin = found.author?.login;
        return {
          sha: found.sha,
          message: found.commit.message,
          authorName: found.commit.author?.name ?? authorLogin ?? "",
          authorLogin,
          url: found.html_url,
        };
      },

      /** A text file's content at `ref` (up to 1 MB), or null when there is no file at that path. */
      async getFileContent(
        installationId: number,
        owner: string,
        repo: string,
        path: string,
        ref: string,
      ): Promise<string | null> {
        const found = await nullWhenMissing(
          request(`${repoPath(owner, repo)}/contents/${encodePath(path)}?ref=${encode(ref)}`, contentSchema, {
            credential: { kind: "installation", installationId },
          }),
        );
        if (!found || Array.isArray(found) || found.type !== "file") return null;
        return Buffer.from(found.content, "base64").toString("utf8");
      },

      /**
       * The gzipped tarball of the repository at `sha` (one top-level `owner-repo-sha7/` directory), as
       * a stream; `signal` aborts the request and the body.
       */
      downloadTarball: (
        installationId: number,
        owner: string,
        repo: string,
        sha: string,
        signal?: AbortSignal,
      ) => {
        const credential: Credential = { kind: "installation", installationId };
        return withFreshCredentialRetry(credential, () =>
          download(`${repoPath(owner, repo)}/tarball/${encode(sha)}`, credential, signal),
        );
      },

      /**
       * A GitHub Deployment of `ref` (a sha): no auto-merge and no required status checks, since Hangar
       * deploys exactly the commit that was pushed.
       */
      async createDeployment(
        installationId: number,
        owner: string,
        repo: string,
        input: {
          ref: string;
          environment: string;
          description: string;
          payload?: Record<string, unknown>;
          transientEnvironment?: boolean;
          productionEnvironment?: boolean;
        },
      ): Promise<{ id: number }> {
        // Options left undefined are dropped from the JSON body, so GitHub's defaults apply.
        const created = await request(`${repoPath(owner, repo)}/deployments`, deploymentSchema, {
          method: "POST",
          credential: { kind: "installation", installationId },
          body: {
            ref: input.ref,
            environment: input.environment,
            description: input.description,
            payload: input.payload,
            auto_merge: false,
            required_contexts: [],
            transient_environment: input.transientEnvironment,
            production_environment: input.productionEnvironment,
          },
          // Each POST creates another deployment: repeat it only when GitHub certainly did not act.
          idempotent: false,
        });
        return { id: created.id };
      },

      /** A status on a GitHub Deployment; a repeated one is harmless, so it is retried like a read. */
      async createDeploymentStatus(
        installationId: number,
        owner: string,
        repo: string,
        deploymentId: number,
        input: {
          state: GitHubDeploymentState;
          logUrl?: string;
          environmentUrl?: string;
          description?: string;
        },
      ): Promise<void> {
        await request(`${repoPath(owner, repo)}/deployments/${deploymentId}/statuses`, z.looseObject({}), {
          method: "POST",
          credential: { kind: "installation", installationId },
          body: {
            state: input.state,
            log_url: input.logUrl,
            environment_url: input.environmentUrl,
            description: input.description?.slice(0, STATUS_DESCRIPTION_LIMIT),
          },
        });
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
      getRepository: (token: string, owner: string, repo: string): Promise<GitHubRepository | null> =>
        nullWhenMissing(
          request(repoPath(owner, repo), repositorySchema, { credential: { kind: "user", token } }),
        ),
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

/** The answer, or null when GitHub answers one of `statuses` (default 404: nothing there, or not visible). */
async function nullWhenMissing<T>(answer: Promise<T>, statuses: number[] = [404]): Promise<T | null> {
  try {
    return await answer;
  } catch (error) {
    if (error instanceof GitHubError && statuses.includes(error.githubStatus)) return null;
    throw error;
  }
}

function nextPageUrl(link: string | null): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(",")) {
    const match = /<([^>]+)>\s*;\s*rel="next"/.exec(part);
    if (match) return match[1];
  }
  return undefined;
}
