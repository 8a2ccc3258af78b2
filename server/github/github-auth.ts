// "Sign in with GitHub" as better-auth's genericOAuth provider "github". better-auth's built-in GitHub
// provider hard-codes github.com's token endpoint, so it could not reach GHES or the emulator; here
// every URL comes from GitHubAppSettings. The code exchange and the profile lookup go through Hangar's
// GitHub client (resilience layer, schemas), and the tokens handed back to better-auth — which stores
// them in `account` — are already sealed, bound to the GitHub user id.
import type { GenericOAuthConfig } from "better-auth/plugins";
import type { GitHubClient } from "./github-client.ts";
import type { Encryption } from "../crypto/encryption.ts";
import { GITHUB_PROVIDER_ID, createUserTokenSealing } from "./github-user-tokens.ts";

type GitHubProfile = {
  id: string;
  login: string;
  name: string;
  email: string;
  emailVerified: boolean;
  image: string | undefined;
};

function isGitHubProfile(value: unknown): value is GitHubProfile {
  return typeof value === "object" && value !== null && typeof (value as { id?: unknown }).id === "string";
}

export function githubOAuthProvider(deps: {
  client: GitHubClient;
  encryption: Encryption;
}): GenericOAuthConfig {
  const { client } = deps;
  const sealing = createUserTokenSealing(deps.encryption);
  const { settings } = client;

  return {
    providerId: GITHUB_PROVIDER_ID,
    name: "GitHub",
    clientId: settings.clientId,
    clientSecret: settings.clientSecret,
    authorizationUrl: client.oauth.authorizeUrl,
    tokenUrl: client.oauth.tokenUrl,
    // GitHub Apps ignore scopes (the App's permissions apply) and do support PKCE.
    scopes: [],
    pkce: true,
    async getToken({ code, redirectURI, codeVerifier }) {
      const tokens = await client.oauth.exchangeCode({ code, redirectUri: redirectURI, codeVerifier });
      const [user, emails] = await Promise.all([
        client.user.get(tokens.accessToken),
        client.user.listEmails(tokens.accessToken).catch(() => []),
      ]);
      const primary =
        emails.find((email) => email.primary && email.verified) ?? emails.find((e) => e.verified);
      const githubUserId = String(user.id);
      const profile: GitHubProfile = {
        id: githubUserId,
        login: user.login,
        name: user.name || user.login,
        // GitHub's no-reply address when the App may not read emails: better-auth needs one.
        email: (
          primary?.email ??
          user.email ??
          `${user.id}+${user.login}@users.noreply.github.com`
        ).toLowerCase(),
        emailVerified: primary !== undefined,
        image: user.avatar_url,
      };
      const sealed = await sealing.seal(githubUserId, tokens);
      return {
        tokenType: "bearer",
        accessToken: sealed.accessToken,
        refreshToken: sealed.refreshToken ?? undefined,
        accessTokenExpiresAt: sealed.accessTokenExpiresAt ?? undefined,
        refreshTokenExpiresAt: sealed.refreshTokenExpiresAt ?? undefined,
        // better-auth passes `raw` through to getUserInfo untouched and never stores it.
        raw: { profile },
      };
    },
    getUserInfo(tokens) {
      const profile = tokens.raw?.profile;
      return Promise.resolve(isGitHubProfile(profile) ? profile : null);
    },
    mapProfileToUser: (profile) => ({
      name: typeof profile.name === "string" ? profile.name : undefined,
      image: typeof profile.image === "string" ? profile.image : undefined,
    }),
  };
}
