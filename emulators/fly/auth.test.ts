import { describe, expect, test } from "vitest";
import { ORG, prepareApp, useTestEmulator, TOKEN } from "./test-support.ts";

const emulator = useTestEmulator(async (started) => {
  await prepareApp(started, "auth-app");
});

describe("authentication", () => {
  test.each([
    ["Bearer", `Bearer ${TOKEN}`],
    ["FlyV1", `FlyV1 ${TOKEN}`],
    ["Bearer FlyV1 (a pasted `fly tokens` output)", `Bearer FlyV1 ${TOKEN}`],
    ["lower-case scheme", `bearer ${TOKEN}`],
    ["comma-joined macaroons", `FlyV1 fm2_unknown,${TOKEN}`],
  ])("accepts %s", async (_name, authorization) => {
    const response = await emulator.api("GET", "/v1/apps/auth-app", { authorization });
    expect(response.status).toBe(200);
  });

  test.each([
    ["no header", undefined],
    ["an unknown token", "Bearer not-a-token"],
    ["a token without a scheme", TOKEN],
    ["a scheme without a token", "FlyV1"],
  ])("answers 401 with Fly's body for %s", async (_name, authorization) => {
    const response = await emulator.api(
      "GET",
      "/v1/apps/auth-app",
      authorization ? { authorization } : { token: null },
    );
    expect(response.status).toBe(401);
    expect(response.body).toEqual({ error: "Authenticate: token validation error" });
  });

  test("authenticates every API path, known or not", async () => {
    expect((await emulator.api("GET", "/v1/platform/regions", { token: null })).status).toBe(401);
    expect((await emulator.api("GET", "/v1/no/such/route", { token: null })).status).toBe(401);
    expect((await emulator.api("GET", "/v1/no/such/route")).status).toBe(404);
  });

  test("sets Fly's response headers", async () => {
    const response = await emulator.api("GET", "/v1/apps/auth-app");
    expect(response.headers.get("fly-request-id")).toMatch(/^[0-9A-Z]{26}-iad$/);
    expect(response.headers.get("via")).toBe("1.1 fly.io");
  });
});

describe("scoping", () => {
  test("an app-scoped token opens its app only (403 elsewhere), and cannot create apps", async () => {
    await prepareApp(emulator, "other-app");
    await emulator.control("POST", "/tokens", { token: "deploy-token", orgSlug: ORG, appName: "auth-app" });
    const asDeploy = { token: "deploy-token" };
    expect((await emulator.api("GET", "/v1/apps/auth-app", asDeploy)).status).toBe(200);
    expect((await emulator.api("GET", "/v1/apps/auth-app/machines", asDeploy)).status).toBe(200);
    const other = await emulator.api("GET", "/v1/apps/other-app", asDeploy);
    expect(other.status).toBe(403);
    expect(other.body).toEqual({ error: "unauthorized" });
    expect((await emulator.api("GET", "/v1/apps/other-app/machines", asDeploy)).status).toBe(403);
    expect((await emulator.api("GET", "/v1/apps/no-such-app", asDeploy)).status).toBe(403);
    const create = await emulator.api("POST", "/v1/apps", {
      ...asDeploy,
      body: { name: "sneaky", org_slug: ORG },
    });
    expect(create.status).toBe(403);
    const list = await emulator.api<{ apps: { name: string }[] }>(
      "GET",
      `/v1/apps?org_slug=${ORG}`,
      asDeploy,
    );
    expect(list.body.apps.map((app) => app.name)).toEqual(["auth-app"]);
  });

  test("an org token gets 403 on another organization's apps and 404 on free names", async () => {
    await emulator.control("POST", "/orgs", { slug: "acme", name: "Acme" });
    await emulator.control("POST", "/tokens", { token: "acme-token", orgSlug: "acme" });
    await emulator.api("POST", "/v1/apps", {
      token: "acme-token",
      body: { name: "acme-web", org_slug: "acme" },
    });
    expect((await emulator.api("GET", "/v1/apps/acme-web")).status).toBe(403);
    expect((await emulator.api("GET", "/v1/apps/acme-web/secrets")).status).toBe(403);
    const missing = await emulator.api("GET", "/v1/apps/free-name");
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ error: "app not found" });
    expect((await emulator.api("GET", "/v1/apps?org_slug=acme")).status).toBe(403);
    expect(
      (await emulator.api("POST", "/v1/apps", { body: { name: "x-app", org_slug: "acme" } })).status,
    ).toBe(403);
  });

  test("a minted deploy token opens its app only", async () => {
    await prepareApp(emulator, "other-app");
    const minted = await emulator.api<{ token: string }>("POST", "/v1/apps/auth-app/deploy_token", {
      body: {},
    });
    expect(minted.body.token).toMatch(/^FlyV1 fm2_/);
    const asDeploy = { authorization: minted.body.token };
    expect((await emulator.api("GET", "/v1/apps/auth-app", asDeploy)).status).toBe(200);
    expect((await emulator.api("GET", "/v1/apps/other-app", asDeploy)).status).toBe(403);
  });

  test("a bad token is a 401 even with a malformed body", async () => {
    const response = await fetch(`${emulator.url}/v1/apps`, {
      method: "POST",
      headers: { authorization: "Bearer wrong", "content-type": "application/json" },
      body: "{not json",
    });
    expect(response.status).toBe(401);
    const malformed = await fetch(`${emulator.url}/v1/apps`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: "{not json",
    });
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: string }).error).toMatch(/^invalid_argument: /);
  });

  test("GET /v1/tokens/current reports the organization and app scope", async () => {
    await emulator.control("POST", "/tokens", { token: "deploy-token", orgSlug: ORG, appName: "auth-app" });
    const org = await emulator.api<{ tokens: { org_slug: string; apps: string[] }[] }>(
      "GET",
      "/v1/tokens/current",
    );
    expect(org.body.tokens[0]).toMatchObject({ org_slug: ORG, apps: [] });
    const deploy = await emulator.api<{ tokens: { org_slug: string; apps: string[] }[] }>(
      "GET",
      "/v1/tokens/current",
      {
        token: "deploy-token",
      },
    );
    expect(deploy.body.tokens[0]).toMatchObject({ org_slug: ORG, apps: ["auth-app"] });
  });
});
