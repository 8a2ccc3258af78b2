// The signed-in user's GitHub user-to-server tokens. They live in better-auth's `account` row (one
// per linked GitHub identity, written by better-auth at every sign-in and link), but only ever as
// ciphertext bound to that GitHub user id: github-auth.ts seals them before better-auth sees them, and
// this module seals every refreshed pair. Access tokens expire after 8 hours; they are refreshed
// transparently, one refresh at a time per account (refresh tokens rotate on use, so two concurrent
// refreshes would revoke each other). A refresh GitHub refuses clears the tokens: the account is then
// in the "reconnect GitHub" state until the user signs in with GitHub again.
import type { Database } from "../db/prisma.ts";
import { AppError } from "../errors.ts";
import type { Logger } from "../observability/logger.ts";
import type { GitHubClient, GitHubUserTokens } from "./github-client.ts";
import { GitHubError } from "./github-errors.ts";
import type { Encryption } from "../crypto/encryption.ts";

export const GITHUB_PROVIDER_ID = "github";
/** Refresh this long before the access token's expiry, so a call never starts with a dying token. */
const EXPIRY_MARGIN_MS = 60_000;

type StoredAccount = {
  id: string;
  accountId: string;
  accessToken: string | null;
  refreshToken: string | null;
  accessTokenExpiresAt: Date | null;
};

export type SealedUserTokens = {
  accessToken: string;
  refreshToken: string | null;
  accessTokenExpiresAt: Date | null;
  refreshTokenExpiresAt: Date | null;
};

export function reconnectRequired(): AppError {
  return new AppError(
    "UNAUTHORIZED",
    "GitHub no longer accepts Hangar's access for your account (it was revoked or expired). Reconnect GitHub to continue.",
    { reason: "GITHUB_RECONNECT_REQUIRED" },
  );
}

export function notConnected(): AppError {
  return new AppError(
    "PRECONDITION_FAILED",
    "Your Hangar account is not connected to GitHub yet. Sign in with GitHub (or connect it) first.",
    { reason: "GITHUB_NOT_CONNECTED" },
  );
}

/** The encryption context: a token sealed for one GitHub user cannot be opened as another's. */
export function tokenContext(githubUserId: string, kind: "access" | "refresh"): string {
  return `github.user_token.${kind}:${githubUserId}`;
}

export function createUserTokenSealing(encryption: Encryption) {
  return {
    async seal(githubUserId: string, tokens: GitHubUserTokens): Promise<SealedUserTokens> {
      return {
        accessToken: await encryption.seal(tokens.accessToken, tokenContext(githubUserId, "access")),
        refreshToken: tokens.refreshToken
          ? await encryption.seal(tokens.refreshToken, tokenContext(githubUserId, "refresh"))
          : null,
        accessTokenExpiresAt: tokens.accessTokenExpiresAt,
        refreshTokenExpiresAt: tokens.refreshTokenExpiresAt,
      };
    },
    openAccess: (githubUserId: string, sealed: string) =>
      encryption.open(sealed, tokenContext(githubUserId, "access")),
    openRefresh: (githubUserId: string, sealed: string) =>
      encryption.open(sealed, tokenContext(githubUserId, "refresh")),
  };
}

export function createGitHubUserTokens(deps: {
  db: Database;
  client: GitHubClient;
  encryption: Encryption;
  logger: Logger;
  now?: () => number;
}) {
  const { db, client } = deps;
  const sealing = createUserTokenSealing(deps.encryption);
  const logger = deps.logger.child({ component: "github-user-tokens" });
  const now = deps.now ?? Date.now;

  const accountSelect = {
    id: true,
    accountId: true,
    accessToken: true,
    refreshToken: true,
    accessTokenExpiresAt: true,
  } as const;

  async function findAccount(userId: string): Promise<StoredAccount | null> {
    return db.account.findFirst({
      where: { userId, providerId: GITHUB_PROVIDER_ID },
      orderBy: { updatedAt: "desc" },
      select: accountSelect,
    });
  }

  function fresh(account: StoredAccount): boolean {
    if (!account.accessToken) return false;
    // GitHub Apps may opt out of expiring tokens: no expiry means the token lasts until revoked.
    if (!account.accessTokenExpiresAt) return true;
    return account.accessTokenExpiresAt.getTime() - now() > EXPIRY_MARGIN_MS;
  }

  /**
   * Refreshes under a row lock. `failedToken` is the access token GitHub just refused (if any): when
   * another request already replaced it, that replacement is used instead of refreshing again.
   */
  async function refresh(accountRowId: string, failedToken?: string): Promise<string> {
    const result = await db.$transaction(
      async (tx) => {
        await tx.$queryRaw`SELECT id FROM account WHERE id = ${accountRowId} FOR UPDATE`;
        const account = await tx.account.findUniqueOrThrow({
          where: { id: accountRowId },
          select: accountSelect,
        });
        if (account.accessToken && fresh(account)) {
          const current = await sealing.openAccess(account.accountId, account.accessToken);
          if (current !== failedToken) return { token: current };
        }
        if (!account.refreshToken) return { reconnect: true as const };
        let tokens: GitHubUserTokens;
        try {
          tokens = await client.oauth.refresh(
            await sealing.openRefresh(account.accountId, account.refreshToken),
          );
        } catch (error) {
          // GitHub said no (bad_refresh_token: revoked, expired or already used): only a new sign-in helps.
          if (
            error instanceof GitHubError &&
            error.reason === "GITHUB_OAUTH_ERROR" &&
            error.code === "UNAUTHORIZED"
          ) {
            await tx.account.update({
              where: { id: accountRowId },
              data: {
                accessToken: null,
                refreshToken: null,
                accessTokenExpiresAt: null,
                refreshTokenExpiresAt: null,
              },
            });
            logger.warn(
              { githubError: error.githubMessage },
              "GitHub refused a token refresh; reconnect required",
            );
            return { reconnect: true as const };
          }
          throw error;
        }
        await tx.account.update({
          where: { id: accountRowId },
          data: await sealing.seal(account.accountId, tokens),
        });
        return { token: tokens.accessToken };
      },
      { timeout: 30_000 },
    );
    if ("reconnect" in result) throw reconnectRequired();
    return result.token;
  }

  async function accessToken(userId: string): Promise<string> {
    const account = await findAccount(userId);
    if (!account) throw notConnected();
    if (!account.accessToken && !account.refreshToken) throw reconnectRequired();
    if (account.accessToken && fresh(account))
      return sealing.openAccess(account.accountId, account.accessToken);
    return refresh(account.id);
  }

  return {
    /** A usable access token for the user, refreshed first if it is about to expire. */
    accessToken,

    /**
     * Runs `call` with the user's token. GitHub answering 401 means the token died early (revoked
     * grant, rotated elsewhere): refresh once and retry; if that fails too, reconnect is required.
     */
    async withToken<T>(userId: string, call: (token: string) => Promise<T>): Promise<T> {
      const token = await accessToken(userId);
      try {
        return await call(token);
      } catch (error) {
        if (!(error instanceof GitHubError) || error.githubStatus !== 401) throw error;
        const account = await findAccount(userId);
        if (!account) throw notConnected();
        const replacement = await refresh(account.id, token);
        try {
          return await call(replacement);
        } catch (retryError) {
          if (retryError instanceof GitHubError && retryError.githubStatus === 401) throw reconnectRequired();
          throw retryError;
        }
      }
    },

    /** What the dashboard shows: connected, needs a reconnect, or not connected at all. */
    async connection(userId: string): Promise<"connected" | "reconnect_required" | "not_connected"> {
      const account = await findAccount(userId);
      if (!account) return "not_connected";
      return account.accessToken || account.refreshToken ? "connected" : "reconnect_required";
    },
  };
}

export type GitHubUserTokenService = ReturnType<typeof createGitHubUserTokens>;
