import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JWT_MESSAGES } from "./auth.ts";
import { APP_ID, CLIENT_ID, startTestEmulator, wrongKey, type TestEmulator } from "./test-support.ts";

let gh: TestEmulator;

beforeAll(async () => {
  gh = await startTestEmulator();
});
afterAll(() => gh.close());

async function appGet(jwt: string) {
  const response = await gh.rest("/app", { auth: `Bearer ${jwt}` });
  return { status: response.status, body: (await response.json()) as { message?: string; id?: number } };
}

describe("App JWT", () => {
  const now = () => Math.floor(Date.now() / 1000);

  it("accepts what Octokit sends (iat 30 s back, exp iat+600, numeric iss) and the client id as iss", async () => {
    expect((await appGet(await gh.appJwt())).body.id).toBe(APP_ID);
    expect((await appGet(await gh.appJwt({ iss: String(APP_ID) }))).status).toBe(200);
    expect((await appGet(await gh.appJwt({ iss: CLIENT_ID }))).status).toBe(200);
    // GitHub's own Ruby example: iat 60 s back, exp 10 minutes ahead.
    expect((await appGet(await gh.appJwt({ iat: now() - 60, exp: now() + 600 }))).status).toBe(200);
  });

  it("rejects an expired JWT with GitHub's message", async () => {
    const result = await appGet(await gh.appJwt({ iat: now() - 700, exp: now() - 100 }));
    expect(result).toEqual({ status: 401, body: expect.objectContaining({ message: JWT_MESSAGES.expired }) });
  });

  it("rejects exp more than 10 minutes ahead with the clock-skew message Octokit retries on", async () => {
    const result = await appGet(await gh.appJwt({ iat: now(), exp: now() + 900 }));
    expect(result.status).toBe(401);
    expect(result.body.message).toBe("'Expiration time' claim ('exp') is too far in the future");
  });

  it("rejects an iat in the future or missing", async () => {
    for (const iat of [now() + 120, undefined]) {
      const result = await appGet(await gh.appJwt({ iat, exp: now() + 300 }));
      expect(result.status).toBe(401);
      expect(result.body.message).toBe(JWT_MESSAGES.badIat);
    }
  });

  it("rejects a JWT signed with another key, or for another App id, as undecodable", async () => {
    expect((await appGet(await gh.appJwt({}, { key: wrongKey }))).body.message).toBe(
      "A JSON web token could not be decoded",
    );
    expect((await appGet(await gh.appJwt({ iss: APP_ID + 1 }))).body.message).toBe(JWT_MESSAGES.undecodable);
    expect((await appGet(await gh.appJwt({ iss: "not-my-app" }))).body.message).toBe(JWT_MESSAGES.badIss);
    expect((await appGet("garbage.garbage.garbage")).status).toBe(401);
  });

  it("sends a Date header so Octokit can correct its clock", async () => {
    const response = await gh.rest("/app", { auth: `Bearer ${await gh.appJwt({ exp: now() + 3600 })}` });
    expect(response.status).toBe(401);
    expect(Math.abs(Date.parse(response.headers.get("date") ?? "") - Date.now())).toBeLessThan(5_000);
  });

  it("accepts lower-case 'bearer' and refuses an installation token on App endpoints", async () => {
    expect((await gh.rest("/app", { auth: `bearer ${await gh.appJwt()}` })).status).toBe(200);
    const { token } = await gh.installation("octocat", ["hello"]);
    expect((await gh.rest("/app", { auth: `token ${token}` })).status).toBe(401);
  });
});

describe("REST conventions", () => {
  it("answers 403 with GitHub's text when the User-Agent header is missing", async () => {
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${gh.api}/repos/octocat/hello`, (res) => {
        let text = "";
        res.on("data", (chunk: Buffer) => (text += chunk.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on("error", reject);
      req.end();
    });
    expect(status).toBe(403);
    expect(body).toContain("Please make sure your request has a User-Agent header");
  });

  it("sends rate-limit headers and a request id; bad credentials are 401 even on public data", async () => {
    const response = await gh.rest("/repos/octocat/hello");
    expect(response.status).toBe(200);
    expect(response.headers.get("x-ratelimit-limit")).toBe("60");
    expect(Number(response.headers.get("x-ratelimit-remaining"))).toBeLessThan(60);
    expect(response.headers.get("x-ratelimit-resource")).toBe("core");
    expect(response.headers.get("x-github-request-id")).toBeTruthy();
    const bad = await gh.rest("/repos/octocat/hello", { auth: "token ghs_nope" });
    expect(bad.status).toBe(401);
    expect(await bad.json()).toMatchObject({
      message: "Bad credentials",
      documentation_url: expect.any(String),
    });
  });
});

describe("installation access tokens", () => {
  it("are 1-hour tokens with permissions and repository_selection", async () => {
    const { id } = await gh.control<{ id: number }>("/installations", {
      account: "acme",
      repositories: ["web"],
    });
    const response = await gh.rest(`/app/installations/${id}/access_tokens`, {
      method: "POST",
      auth: `Bearer ${await gh.appJwt()}`,
    });
    expect(response.status).toBe(201);
    const body = (await response.json()) as {
      token: string;
      expires_at: string;
      repository_selection: string;
    };
    expect(body.token).toMatch(/^ghs_/);
    expect(body.repository_selection).toBe("selected");
    expect(Date.parse(body.expires_at) - Date.now()).toBeGreaterThan(3_590_000);
    const repos = await gh.rest("/installation/repositories", { auth: `token ${body.token}` });
    expect(((await repos.json()) as { total_count: number }).total_count).toBe(1);
    // acme/api is private and not covered: invisible.
    expect((await gh.rest("/repos/acme/api", { auth: `token ${body.token}` })).status).toBe(404);
    await gh.control(`/installations/${id}`, undefined, "DELETE");
    expect((await gh.rest("/installation/repositories", { auth: `token ${body.token}` })).status).toBe(401);
  });

  it("expire (401 Bad credentials) after their lifetime", async () => {
    const shortLived = await startTestEmulator({ installationTokenTtlSeconds: 1 });
    try {
      const { token } = await shortLived.installation("acme", "all");
      expect((await shortLived.rest("/installation/repositories", { auth: `token ${token}` })).status).toBe(
        200,
      );
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      const expired = await shortLived.rest("/installation/repositories", { auth: `token ${token}` });
      expect(expired.status).toBe(401);
      expect(((await expired.json()) as { message: string }).message).toBe("Bad credentials");
    } finally {
      await shortLived.close();
    }
  });

  it("are refused for a suspended installation, and its tokens stop working", async () => {
    const other = await startTestEmulator();
    try {
      const { id, token } = await other.installation("acme", "all");
      await other.control(`/installations/${id}/suspend`);
      const jwt = `Bearer ${await other.appJwt()}`;
      const refused = await other.rest(`/app/installations/${id}/access_tokens`, {
        method: "POST",
        auth: jwt,
      });
      expect(refused.status).toBe(403);
      expect(((await refused.json()) as { message: string }).message).toBe(
        "This installation has been suspended",
      );
      expect((await other.rest("/installation/repositories", { auth: `token ${token}` })).status).toBe(403);
      await other.control(`/installations/${id}/unsuspend`);
      expect((await other.rest("/installation/repositories", { auth: `token ${token}` })).status).toBe(200);
    } finally {
      await other.close();
    }
  });

  it("cannot be widened beyond the installation (422) and unknown installations are 404", async () => {
    const other = await startTestEmulator();
    try {
      const { id } = await other.installation("acme", ["web"]);
      const jwt = `Bearer ${await other.appJwt()}`;
      const path = `/app/installations/${id}/access_tokens`;
      const tooMuch = await other.rest(path, {
        method: "POST",
        auth: jwt,
        body: { permissions: { contents: "write" } },
      });
      expect(tooMuch.status).toBe(422);
      const notCovered = await other.rest(path, {
        method: "POST",
        auth: jwt,
        body: { repositories: ["api"] },
      });
      expect(notCovered.status).toBe(422);
      expect(
        (await other.rest("/app/installations/999/access_tokens", { method: "POST", auth: jwt })).status,
      ).toBe(404);
    } finally {
      await other.close();
    }
  });
});
