import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLIENT_ID, CLIENT_SECRET, startTestEmulator, type TestEmulator } from "./test-support.ts";

let gh: TestEmulator;
const REDIRECT = "http://hangar.test/api/auth/oauth2/callback/github";

beforeAll(async () => {
  gh = await startTestEmulator({ userTokenTtlSeconds: 600 });
  await gh.installation("acme", "all");
});
afterAll(() => gh.close());

async function authorize(login = "octocat", decision = "authorize"): Promise<URL> {
  const response = await fetch(`${gh.url}/login/oauth/authorize`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      client_id: CLIENT_ID,
      redirect_uri: REDIRECT,
      state: "xyz",
      login,
      decision,
    }),
    redirect: "manual",
  });
  expect(response.status).toBe(302);
  return new URL(response.headers.get("location") ?? "");
}

async function tokenEndpoint(params: Record<string, string>, accept = "application/json") {
  const response = await fetch(`${gh.url}/login/oauth/access_token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", accept },
    body: new URLSearchParams(params),
  });
  return {
    status: response.status,
    type: response.headers.get("content-type") ?? "",
    text: await response.text(),
  };
}

const client = { client_id: CLIENT_ID, client_secret: CLIENT_SECRET };

describe("authorize page", () => {
  it("shows the App name, an Authorize button and the user choice", async () => {
    const query = new URLSearchParams({
      client_id: CLIENT_ID,
      redirect_uri: REDIRECT,
      state: "s",
      login: "hubot",
    });
    const response = await fetch(`${gh.url}/login/oauth/authorize?${query}`);
    const html = await response.text();
    expect(response.status).toBe(200);
    expect(html).toContain("Hangar Sandbox");
    expect(html).toContain("Authorize hangar-sandbox");
    expect(html).toContain('<option value="hubot" selected>');
    expect(
      (await fetch(`${gh.url}/login/oauth/authorize?client_id=nope&redirect_uri=${REDIRECT}`)).status,
    ).toBe(404);
  });

  it("redirects back with code and state, or with access_denied on cancel", async () => {
    const back = await authorize();
    expect(back.origin + back.pathname).toBe(REDIRECT);
    expect(back.searchParams.get("state")).toBe("xyz");
    expect(back.searchParams.get("code")).toMatch(/^[0-9a-f]{20}$/);
    const denied = await authorize("octocat", "cancel");
    expect(denied.searchParams.get("error")).toBe("access_denied");
  });
});

describe("code exchange", () => {
  it("returns expiring ghu_/ghr_ tokens (JSON when asked, form-encoded by default)", async () => {
    const code = (await authorize()).searchParams.get("code") ?? "";
    const json = await tokenEndpoint({ ...client, code, redirect_uri: REDIRECT });
    expect(json.type).toContain("application/json");
    const body = JSON.parse(json.text) as Record<string, unknown>;
    expect(body).toMatchObject({
      access_token: expect.stringMatching(/^ghu_/),
      refresh_token: expect.stringMatching(/^ghr_/),
      expires_in: 600,
      refresh_token_expires_in: 15_811_200,
      scope: "",
      token_type: "bearer",
    });
    const code2 = (await authorize()).searchParams.get("code") ?? "";
    const form = await tokenEndpoint({ ...client, code: code2 }, "*/*");
    expect(form.type).toContain("application/x-www-form-urlencoded");
    expect(new URLSearchParams(form.text).get("access_token")).toMatch(/^ghu_/);
  });

  it("codes are single use (bad_verification_code, HTTP 200)", async () => {
    const code = (await authorize()).searchParams.get("code") ?? "";
    expect((await tokenEndpoint({ ...client, code })).status).toBe(200);
    const again = await tokenEndpoint({ ...client, code });
    expect(again.status).toBe(200);
    expect(JSON.parse(again.text)).toMatchObject({
      error: "bad_verification_code",
      error_description: "The code passed is incorrect or expired.",
      error_uri: expect.stringContaining("docs.github.com"),
    });
  });

  it("refuses wrong client credentials and a different redirect_uri", async () => {
    const code = (await authorize()).searchParams.get("code") ?? "";
    const wrong = await tokenEndpoint({ client_id: CLIENT_ID, client_secret: "nope", code });
    expect(JSON.parse(wrong.text)).toMatchObject({ error: "incorrect_client_credentials" });
    const mismatch = await tokenEndpoint({ ...client, code, redirect_uri: "http://evil.test/cb" });
    expect(JSON.parse(mismatch.text)).toMatchObject({ error: "redirect_uri_mismatch" });
  });

  it("accepts a JSON body and HTTP Basic client authentication", async () => {
    const code = (await authorize()).searchParams.get("code") ?? "";
    const response = await fetch(`${gh.url}/login/oauth/access_token`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json",
        authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString("base64")}`,
      },
      body: JSON.stringify({ code }),
    });
    expect((await response.json()) as object).toHaveProperty("access_token");
  });
});

describe("user tokens", () => {
  it("work on the API, then expire with 401 Bad credentials", async () => {
    const shortLived = await startTestEmulator({ userTokenTtlSeconds: 1 });
    try {
      const { access_token, expires_in } = await shortLived.userTokens("octocat");
      expect(expires_in).toBe(1);
      const user = await shortLived.rest("/user", { auth: `Bearer ${access_token}` });
      expect(((await user.json()) as { login: string }).login).toBe("octocat");
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      const expired = await shortLived.rest("/user", { auth: `token ${access_token}` });
      expect(expired.status).toBe(401);
      expect(((await expired.json()) as { message: string }).message).toBe("Bad credentials");
    } finally {
      await shortLived.close();
    }
  });

  it("refresh rotates: the old refresh token and the old access token stop working", async () => {
    const first = await gh.userTokens("octocat");
    const refreshed = JSON.parse(
      (await tokenEndpoint({ ...client, grant_type: "refresh_token", refresh_token: first.refresh_token }))
        .text,
    ) as { access_token: string; refresh_token: string };
    expect(refreshed.access_token).not.toBe(first.access_token);
    expect(refreshed.refresh_token).not.toBe(first.refresh_token);
    expect((await gh.rest("/user", { auth: `token ${refreshed.access_token}` })).status).toBe(200);
    expect((await gh.rest("/user", { auth: `token ${first.access_token}` })).status).toBe(401);
    const reused = await tokenEndpoint({
      ...client,
      grant_type: "refresh_token",
      refresh_token: first.refresh_token,
    });
    expect(JSON.parse(reused.text)).toMatchObject({ error: "bad_refresh_token" });
  });

  it("a revoked grant makes the refresh fail like GitHub's bad_refresh_token", async () => {
    const tokens = await gh.userTokens("hubot");
    await gh.control("/users/hubot/revoke-tokens");
    expect((await gh.rest("/user", { auth: `token ${tokens.access_token}` })).status).toBe(401);
    const refresh = await tokenEndpoint({
      ...client,
      grant_type: "refresh_token",
      refresh_token: tokens.refresh_token,
    });
    expect(JSON.parse(refresh.text)).toMatchObject({ error: "bad_refresh_token" });
  });

  it("see installations and per-repository permissions of their user", async () => {
    const octocat = `token ${(await gh.userTokens("octocat")).access_token}`;
    const hubot = `token ${(await gh.userTokens("hubot")).access_token}`;
    const installations = (await (await gh.rest("/user/installations", { auth: hubot })).json()) as {
      installations: { id: number }[];
    };
    const id = installations.installations[0]?.id;
    expect(id).toBeDefined();
    const repos = (await (
      await gh.rest(`/user/installations/${id}/repositories`, { auth: octocat })
    ).json()) as {
      repositories: { full_name: string; permissions: { admin: boolean; push: boolean } }[];
    };
    const byName = Object.fromEntries(repos.repositories.map((repo) => [repo.full_name, repo.permissions]));
    expect(byName["acme/web"]).toMatchObject({ admin: true, push: true });
    expect(byName["acme/api"]).toMatchObject({ admin: false, push: true });
    const asHubot = (await (await gh.rest("/repos/acme/web", { auth: hubot })).json()) as {
      permissions: object;
    };
    expect(asHubot.permissions).toEqual({
      admin: false,
      maintain: false,
      push: false,
      triage: false,
      pull: true,
    });
    const denied = await gh.rest("/repos/acme/web/deployments", {
      method: "POST",
      auth: hubot,
      body: { ref: "main" },
    });
    expect(denied.status).toBe(403);
    // octocat/hello is not covered by any installation: the App cannot act there for octocat.
    expect(
      (
        await gh.rest("/repos/octocat/hello/deployments", {
          method: "POST",
          auth: octocat,
          body: { ref: "main" },
        })
      ).status,
    ).toBe(403);
  });
});
