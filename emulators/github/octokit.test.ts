import { generateKeyPairSync } from "node:crypto";
import { createAppAuth } from "@octokit/auth-app";
import { Octokit } from "@octokit/rest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGitHubEmulator } from "./server.ts";

/** The clients Hangar uses in production, pointed at the emulator, must just work. */

const keys = generateKeyPairSync("rsa", { modulusLength: 2048 });
const appId = 9001;
let emulator: Awaited<ReturnType<typeof startGitHubEmulator>>;

beforeAll(async () => {
  emulator = await startGitHubEmulator({
    appId,
    appPublicKeyPem: keys.publicKey.export({ type: "spki", format: "pem" }).toString(),
    clientId: "Iv23liOctokit",
    clientSecret: "octokit-secret",
    webhookSecret: "",
  });
  await fetch(`${emulator.url}/_emulator/installations`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ account: "acme", repositories: "all" }),
  });
});
afterAll(() => emulator.close());

function appOctokit() {
  return new Octokit({
    baseUrl: `${emulator.url}/api/v3`,
    authStrategy: createAppAuth,
    auth: {
      appId,
      privateKey: keys.privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
      clientId: "Iv23liOctokit",
      clientSecret: "octokit-secret",
    },
  });
}

describe("@octokit/rest + @octokit/auth-app against the emulator", () => {
  it("authenticates as the App, finds the installation and acts as it", async () => {
    const octokit = appOctokit();
    const { data: app } = await octokit.rest.apps.getAuthenticated();
    expect(app?.html_url).toBe(`${emulator.url}/apps/hangar-sandbox`);
    const { data: installation } = await octokit.rest.apps.getRepoInstallation({
      owner: "acme",
      repo: "web",
    });
    const installed = new Octokit({
      baseUrl: `${emulator.url}/api/v3`,
      authStrategy: createAppAuth,
      auth: {
        appId,
        privateKey: keys.privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
        installationId: installation.id,
      },
    });
    const repos = await installed.paginate(installed.rest.apps.listReposAccessibleToInstallation, {
      per_page: 1,
    });
    expect(repos.map((repo) => repo.full_name)).toEqual(["acme/web", "acme/api"]);
    const { data: file } = await installed.rest.repos.getContent({
      owner: "acme",
      repo: "web",
      path: "Dockerfile",
    });
    expect(file).toMatchObject({ type: "file", encoding: "base64" });
    const { data: deployment, status } = await installed.rest.repos.createDeployment({
      owner: "acme",
      repo: "web",
      ref: "main",
      auto_merge: false,
      required_contexts: [],
    });
    expect(status).toBe(201);
    expect(deployment).toHaveProperty("id");
  });

  it("exchanges an OAuth code through the App's client credentials (URL derived from baseUrl)", async () => {
    const authorize = await fetch(`${emulator.url}/login/oauth/authorize`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        client_id: "Iv23liOctokit",
        redirect_uri: "http://hangar.test/cb",
        login: "octocat",
        decision: "authorize",
      }),
      redirect: "manual",
    });
    const code = new URL(authorize.headers.get("location") ?? "").searchParams.get("code") ?? "";
    const auth = createAppAuth({
      appId,
      privateKey: keys.privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
      clientId: "Iv23liOctokit",
      clientSecret: "octokit-secret",
      request: new Octokit({ baseUrl: `${emulator.url}/api/v3` }).request,
    });
    const user = await auth({ type: "oauth-user", code });
    expect(user.token).toMatch(/^ghu_/);
    const octokit = new Octokit({ baseUrl: `${emulator.url}/api/v3`, auth: user.token });
    const { data } = await octokit.rest.apps.listInstallationsForAuthenticatedUser();
    expect(data.total_count).toBe(1);
  });
});
