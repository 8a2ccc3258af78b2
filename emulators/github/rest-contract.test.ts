import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { responseSchema, validate } from "./openapi-contract.ts";
import { startTestEmulator, type TestEmulator } from "./test-support.ts";

/** Every REST endpoint the emulator serves, checked against GitHub's published response schemas. */

let gh: TestEmulator;
let jwt: string;
let installation: { id: number; token: string };
let userToken: string;

async function conforms(
  method: string,
  specPath: string,
  response: Response,
  status: number,
): Promise<unknown> {
  const text = await response.text();
  expect(response.status, `${method} ${specPath}: ${text.slice(0, 300)}`).toBe(status);
  const body: unknown = JSON.parse(text);
  expect(validate(responseSchema(method, specPath, status), body)).toEqual([]);
  return body;
}

beforeAll(async () => {
  gh = await startTestEmulator();
  jwt = `Bearer ${await gh.appJwt()}`;
  installation = await gh.installation("acme", "all");
  await gh.control("/installations", { account: "octocat", repositories: ["hello"] });
  userToken = `token ${(await gh.userTokens("octocat")).access_token}`;
  await gh.control("/repos/acme/web/pulls", { head: "feature/greeting", title: "Greeting" });
});

afterAll(() => gh.close());

describe("the structural checker itself", () => {
  it("fails on a missing required property and on a wrong type", () => {
    const schema = responseSchema("GET", "/repos/{owner}/{repo}/deployments/{deployment_id}", 200);
    expect(validate(schema, { id: 1 })).toContain('$: missing required property "sha"');
    expect(validate(responseSchema("GET", "/app/hook/deliveries/{delivery_id}", 200), { id: "x" })).toContain(
      "$.id: expected integer, got string",
    );
  });
});

describe("App (JWT) endpoints", () => {
  it("GET /app", async () => {
    await conforms("GET", "/app", await gh.rest("/app", { auth: jwt }), 200);
  });

  it("GET /app/installations and /app/installations/{id}", async () => {
    // The inline item schema of this operation says account is `allOf: [simple-user, enterprise]`, which no
    // account can satisfy; the shared `installation` component (same title) says `anyOf`, so check that.
    const list = await gh.rest("/app/installations", { auth: jwt });
    expect(list.status).toBe(200);
    const items = (await list.json()) as unknown[];
    expect(items.length).toBeGreaterThan(0);
    expect(validate({ type: "array", items: { $ref: "#/components/schemas/installation" } }, items)).toEqual(
      [],
    );
    const one = await gh.rest(`/app/installations/${installation.id}`, { auth: jwt });
    await conforms("GET", "/app/installations/{installation_id}", one, 200);
  });

  it("POST /app/installations/{id}/access_tokens (all and scoped)", async () => {
    const path = "/app/installations/{installation_id}/access_tokens";
    const all = await gh.rest(`/app/installations/${installation.id}/access_tokens`, {
      method: "POST",
      auth: jwt,
    });
    await conforms("POST", path, all, 201);
    const scoped = await gh.rest(`/app/installations/${installation.id}/access_tokens`, {
      method: "POST",
      auth: jwt,
      body: { repositories: ["web"], permissions: { contents: "read" } },
    });
    const body = (await conforms("POST", path, scoped, 201)) as { repositories: unknown[] };
    expect(body.repositories).toHaveLength(1);
  });

  it("GET the installation of a repository, an organisation and a user", async () => {
    const auth = { auth: jwt };
    await conforms(
      "GET",
      "/repos/{owner}/{repo}/installation",
      await gh.rest("/repos/acme/web/installation", auth),
      200,
    );
    await conforms("GET", "/orgs/{org}/installation", await gh.rest("/orgs/acme/installation", auth), 200);
    await conforms(
      "GET",
      "/users/{username}/installation",
      await gh.rest("/users/octocat/installation", auth),
      200,
    );
  });

  it("GET and PATCH /app/hook/config", async () => {
    await conforms("GET", "/app/hook/config", await gh.rest("/app/hook/config", { auth: jwt }), 200);
    const body = { url: "http://127.0.0.1:9/hooks" };
    const patched = await gh.rest("/app/hook/config", { method: "PATCH", auth: jwt, body });
    await conforms("PATCH", "/app/hook/config", patched, 200);
    await gh.control("/hook", { url: null }, "PATCH");
  });

  it("webhook deliveries: list, get, redeliver", async () => {
    await gh.control("/repos/acme/web/push", { branch: "main" });
    await gh.control("/deliveries/wait");
    const list = (await conforms(
      "GET",
      "/app/hook/deliveries",
      await gh.rest("/app/hook/deliveries?per_page=2", { auth: jwt }),
      200,
    )) as { id: number }[];
    const first = list[0];
    if (!first) throw new Error("no deliveries");
    const detail = await gh.rest(`/app/hook/deliveries/${first.id}`, { auth: jwt });
    await conforms("GET", "/app/hook/deliveries/{delivery_id}", detail, 200);
    const attempt = await gh.rest(`/app/hook/deliveries/${first.id}/attempts`, { method: "POST", auth: jwt });
    await conforms("POST", "/app/hook/deliveries/{delivery_id}/attempts", attempt, 202);
  });
});

describe("installation token endpoints", () => {
  it("GET /installation/repositories", async () => {
    const response = await gh.rest("/installation/repositories", { auth: `token ${installation.token}` });
    await conforms("GET", "/installation/repositories", response, 200);
  });
});

describe("user token endpoints", () => {
  it("GET /user and /user/emails", async () => {
    await conforms("GET", "/user", await gh.rest("/user", { auth: userToken }), 200);
    await conforms("GET", "/user/emails", await gh.rest("/user/emails", { auth: userToken }), 200);
  });

  it("GET /user/installations and /user/installations/{id}/repositories", async () => {
    await conforms(
      "GET",
      "/user/installations",
      await gh.rest("/user/installations", { auth: userToken }),
      200,
    );
    const repos = await gh.rest(`/user/installations/${installation.id}/repositories`, { auth: userToken });
    const body = (await conforms(
      "GET",
      "/user/installations/{installation_id}/repositories",
      repos,
      200,
    )) as {
      repositories: { permissions?: unknown }[];
    };
    expect(body.repositories[0]?.permissions).toBeDefined();
  });
});

describe("repository endpoints", () => {
  const repoPath = "/repos/{owner}/{repo}";

  it("GET /repos/{owner}/{repo} with installation and user tokens", async () => {
    await conforms(
      "GET",
      repoPath,
      await gh.rest("/repos/acme/web", { auth: `token ${installation.token}` }),
      200,
    );
    const asUser = (await conforms(
      "GET",
      repoPath,
      await gh.rest("/repos/acme/web", { auth: userToken }),
      200,
    )) as {
      permissions: unknown;
    };
    expect(asUser.permissions).toEqual({ admin: true, maintain: true, push: true, triage: true, pull: true });
  });

  it("GET collaborator permission", async () => {
    const response = await gh.rest("/repos/acme/api/collaborators/octocat/permission", { auth: userToken });
    const body = (await conforms(
      "GET",
      `${repoPath}/collaborators/{username}/permission`,
      response,
      200,
    )) as {
      permission: string;
    };
    expect(body.permission).toBe("write");
  });

  it("GET a branch", async () => {
    const response = await gh.rest("/repos/acme/web/branches/feature/greeting", {
      auth: `token ${installation.token}`,
    });
    await conforms("GET", `${repoPath}/branches/{branch}`, response, 200);
  });

  it("GET a commit", async () => {
    const response = await gh.rest("/repos/acme/web/commits/main", { auth: `token ${installation.token}` });
    await conforms("GET", `${repoPath}/commits/{ref}`, response, 200);
  });

  it("GET contents of a file and a directory", async () => {
    const auth = { auth: `token ${installation.token}` };
    await conforms(
      "GET",
      `${repoPath}/contents/{path}`,
      await gh.rest("/repos/acme/web/contents/Dockerfile", auth),
      200,
    );
    await conforms(
      "GET",
      `${repoPath}/contents/{path}`,
      await gh.rest("/repos/acme/api/contents/services/api?ref=main", auth),
      200,
    );
  });

  it("deployments and deployment statuses", async () => {
    const auth = `token ${installation.token}`;
    const created = (await conforms(
      "POST",
      `${repoPath}/deployments`,
      await gh.rest("/repos/acme/web/deployments", {
        method: "POST",
        auth,
        body: {
          ref: "main",
          auto_merge: false,
          required_contexts: [],
          environment: "production",
          payload: { project: 1 },
        },
      }),
      201,
    )) as { id: number };
    await conforms(
      "GET",
      `${repoPath}/deployments`,
      await gh.rest("/repos/acme/web/deployments", { auth }),
      200,
    );
    const one = await gh.rest(`/repos/acme/web/deployments/${created.id}`, { auth });
    await conforms("GET", `${repoPath}/deployments/{deployment_id}`, one, 200);
    const status = await gh.rest(`/repos/acme/web/deployments/${created.id}/statuses`, {
      method: "POST",
      auth,
      body: {
        state: "success",
        log_url: "https://hangar.test/d/1",
        environment_url: "https://acme-web.fly.dev",
      },
    });
    await conforms("POST", `${repoPath}/deployments/{deployment_id}/statuses`, status, 201);
    const statuses = await gh.rest(`/repos/acme/web/deployments/${created.id}/statuses`, { auth });
    await conforms("GET", `${repoPath}/deployments/{deployment_id}/statuses`, statuses, 200);
  });

  it("a deployment of a branch behind the default branch is auto-merged (202)", async () => {
    await gh.control("/repos/acme/api/push", { branch: "topic", from: "main", message: "Topic work" });
    await gh.control("/repos/acme/api/push", { branch: "main", message: "Main moves on" });
    const response = await gh.rest("/repos/acme/api/deployments", {
      method: "POST",
      auth: `token ${installation.token}`,
      body: { ref: "topic" },
    });
    const body = (await conforms("POST", `${repoPath}/deployments`, response, 202)) as { message: string };
    expect(body.message).toBe("Auto-merged main into topic on deployment.");
  });

  it("issue comments: create, list, update", async () => {
    const auth = `token ${installation.token}`;
    const created = (await conforms(
      "POST",
      `${repoPath}/issues/{issue_number}/comments`,
      await gh.rest("/repos/acme/web/issues/1/comments", {
        method: "POST",
        auth,
        body: { body: "Preview: …" },
      }),
      201,
    )) as { id: number };
    const list = await gh.rest("/repos/acme/web/issues/1/comments", { auth });
    await conforms("GET", `${repoPath}/issues/{issue_number}/comments`, list, 200);
    const updated = await gh.rest(`/repos/acme/web/issues/comments/${created.id}`, {
      method: "PATCH",
      auth,
      body: { body: "Preview: ready" },
    });
    await conforms("PATCH", `${repoPath}/issues/comments/{comment_id}`, updated, 200);
  });
});

describe("error bodies", () => {
  it("404, 401 and 422 match basic-error / validation-error", async () => {
    await conforms(
      "GET",
      "/repos/{owner}/{repo}",
      await gh.rest("/repos/acme/nope", { auth: userToken }),
      404,
    );
    const unauthorised = await gh.rest(`/app/installations/${installation.id}/access_tokens`, {
      method: "POST",
      auth: "Bearer not.a.jwt",
    });
    await conforms("POST", "/app/installations/{installation_id}/access_tokens", unauthorised, 401);
    const invalid = await gh.rest("/repos/acme/web/deployments/1/statuses", {
      method: "POST",
      auth: `token ${installation.token}`,
      body: { state: "exploded" },
    });
    expect(invalid.status).toBe(404);
    const created = (await (
      await gh.rest("/repos/acme/web/deployments", {
        method: "POST",
        auth: `token ${installation.token}`,
        body: { ref: "main", auto_merge: false },
      })
    ).json()) as { id: number };
    const badState = await gh.rest(`/repos/acme/web/deployments/${created.id}/statuses`, {
      method: "POST",
      auth: `token ${installation.token}`,
      body: { state: "exploded" },
    });
    await conforms("POST", "/repos/{owner}/{repo}/deployments/{deployment_id}/statuses", badState, 422);
  });
});
