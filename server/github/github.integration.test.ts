// Hangar and the GitHub emulator, both over real HTTP: sign in with GitHub, encrypted and refreshed
// user tokens, the install callback, the repository access check, and webhooks keeping state current.
import { randomUUID } from "node:crypto";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authorizeWithGitHub, startTestGitHub, type TestGitHub } from "../test/github.ts";
import { sessionFor, signUp, startTestServer, type TestServer } from "../test/harness.ts";
import { createContextInner } from "../trpc/context.ts";
import { createCaller } from "../trpc/router.ts";

async function failure(
  promise: Promise<unknown>,
): Promise<{ code: string; reason: unknown; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TRPCError) {
      const cause = error.cause as { reason?: unknown } | undefined;
      return { code: error.code, reason: cause?.reason, message: error.message };
    }
    throw error;
  }
  throw new Error("expected the call to fail");
}

describe("GitHub integration", () => {
  let github: TestGitHub;
  let server: TestServer;

  beforeAll(async () => {
    // Short-lived user tokens: every call after a minute's margin needs a refresh.
    github = await startTestGitHub({ userTokenTtlSeconds: 30 });
    server = await startTestServer({ github: github.settings });
    await github.control("/hook", { url: `${server.url}/api/webhooks/github` }, "PATCH");
  });
  afterAll(async () => {
    await server.close();
    await github.close();
  });

  const callerFor = async (cookie: string) =>
    createCaller(
      createContextInner({ services: server.services, session: await sessionFor(server, cookie) }),
    );

  async function organizationOf(cookie: string): Promise<string> {
    const [organization] = await (await callerFor(cookie)).organization.list();
    if (!organization) throw new Error("no organization");
    return organization.id;
  }

  async function setup(cookie: string, installationId: number, accept = "application/json") {
    return fetch(`${server.url}/api/github/setup?installation_id=${installationId}&setup_action=install`, {
      headers: { cookie, accept },
      redirect: "manual",
    });
  }

  let octocat: string;
  let acmeInstallation: number;

  it("signs a new user in with GitHub and keeps their GitHub tokens only as ciphertext", async () => {
    const signedIn = await authorizeWithGitHub(server.url, github, { login: "octocat" });
    expect(signedIn.location).toBe("/github");
    octocat = signedIn.cookie;
    const session = await sessionFor(server, octocat);
    expect(session.user).toMatchObject({ email: "octocat@github.com", emailVerified: true });

    const [account] = await server.database.db.account.findMany({
      where: { userId: session.user.id, providerId: "github" },
    });
    expect(account?.accountId).toBe("583231");
    expect(account?.accessToken).toBeTruthy();
    expect(account?.accessToken).not.toMatch(/gh[ur]_/);
    expect(account?.refreshToken).not.toMatch(/gh[ur]_/);
    expect(account?.accessTokenExpiresAt?.getTime()).toBeGreaterThan(Date.now());
    // The personal organisation is created at sign-up, as for email sign-ups, and the sign-in audited.
    const organizationId = await organizationOf(octocat);
    const events = await server.services.audit.listForOrganization(server.database.db, organizationId, 10);
    expect(events.map((event) => [event.action, event.metadata])).toContainEqual([
      "auth.sign_in",
      { method: "github" },
    ]);
  });

  it("connects GitHub to an email account whose address differs from GitHub's", async () => {
    const user = await signUp(server, { email: `someone-${Date.now()}@example.com` });
    const organizationId = await organizationOf(user.cookie);
    const caller = await callerFor(user.cookie);
    expect((await caller.github.installations({ organizationId })).connection).toBe("not_connected");
    expect(
      await failure(caller.github.checkRepositoryAccess({ organizationId, repository: "acme/web" })),
    ).toMatchObject({
      reason: "GITHUB_NOT_CONNECTED",
    });
    const linked = await authorizeWithGitHub(server.url, github, { login: "hubot", cookie: user.cookie });
    expect(linked.location).toBe("/github");
    expect((await caller.github.installations({ organizationId })).connection).toBe("connected");

    // One GitHub identity belongs to one Hangar account.
    const other = await signUp(server);
    const refused = await authorizeWithGitHub(server.url, github, { login: "hubot", cookie: other.cookie });
    expect(refused.location).toContain("error=account_already_linked_to_different_user");
  });

  it("links an installation the user can see on GitHub, then lists it with the user's permissions", async () => {
    ({ id: acmeInstallation } = await github.control<{ id: number }>("/installations", {
      account: "acme",
      repositories: "all",
    }));
    const response = await setup(octocat, acmeInstallation, "text/html");
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe(`/github?connected=${acmeInstallation}`);

    const organizationId = await organizationOf(octocat);
    const caller = await callerFor(octocat);
    const listed = await caller.github.installations({ organizationId });
    expect(listed.connection).toBe("connected");
    expect(listed.installUrl).toBe(`${github.settings.webUrl}/apps/hangar-test/installations/new`);
    expect(listed.installations).toMatchObject([
      {
        id: acmeInstallation,
        accountLogin: "acme",
        accountType: "Organization",
        suspended: false,
        repositories: [
          { fullName: "acme/api", private: true, permission: "write" },
          { fullName: "acme/web", private: true, permission: "admin" },
        ],
      },
    ]);
    const audit = await server.services.audit.listForOrganization(server.database.db, organizationId, 10);
    expect(audit.map((event) => event.action)).toContain("github.installation_linked");

    // GitHub redirects again after a repository change: linking is idempotent.
    expect((await setup(octocat, acmeInstallation)).status).toBe(303);
  });

  it("refuses an installation id the user cannot see (403) and never links it", async () => {
    const { id: foreign } = await github.control<{ id: number }>("/installations", {
      account: "hubot",
      repositories: "all",
    });
    const json = await setup(octocat, foreign);
    expect(json.status).toBe(403);
    expect(await json.json()).toMatchObject({ code: "FORBIDDEN", reason: "INSTALLATION_NOT_VISIBLE" });
    const html = await setup(octocat, foreign, "text/html");
    expect(html.status).toBe(403);
    expect(await html.text()).toContain("GitHub was not connected");
    // Deliveries may still record it, but it belongs to no organisation.
    const row = await server.database.db.gitHubInstallation.findUnique({ where: { id: BigInt(foreign) } });
    expect(row?.organizationId ?? null).toBeNull();

    const anonymous = await fetch(`${server.url}/api/github/setup?installation_id=${foreign}`, {
      headers: { accept: "application/json" },
    });
    expect(anonymous.status).toBe(401);
    expect((await setup(octocat, Number.NaN)).status).toBe(400);
  });

  it("checks repository access with a distinct reason for each failure", async () => {
    const organizationId = await organizationOf(octocat);
    const caller = await callerFor(octocat);
    await expect(
      caller.github.checkRepositoryAccess({ organizationId, repository: "acme/web" }),
    ).resolves.toMatchObject({
      fullName: "acme/web",
      defaultBranch: "main",
      installationId: acmeInstallation,
      permission: "admin",
    });
    expect(
      await failure(caller.github.checkRepositoryAccess({ organizationId, repository: "acme/nope" })),
    ).toMatchObject({
      code: "NOT_FOUND",
      reason: "REPOSITORY_NOT_FOUND",
    });
    expect(
      await failure(caller.github.checkRepositoryAccess({ organizationId, repository: "octocat/hello" })),
    ).toMatchObject({
      code: "PRECONDITION_FAILED",
      reason: "NO_INSTALLATION",
      message: expect.stringContaining("not installed on octocat/hello"),
    });

    // hubot reads acme/web but cannot push; as a member of octocat's organisation it gets NO_PUSH_PERMISSION.
    const hubot = await authorizeWithGitHub(server.url, github, { login: "hubot" });
    const hubotId = (await sessionFor(server, hubot.cookie)).user.id;
    await server.database.db.member.create({
      data: { id: randomUUID(), organizationId, userId: hubotId, role: "member" },
    });
    const hubotCaller = await callerFor(hubot.cookie);
    expect(
      await failure(hubotCaller.github.checkRepositoryAccess({ organizationId, repository: "acme/web" })),
    ).toMatchObject({
      code: "FORBIDDEN",
      reason: "NO_PUSH_PERMISSION",
      message: expect.stringContaining("read access"),
    });

    // Another organisation of octocat's has no installation connected.
    const otherOrganizationId = await organizationOf(hubot.cookie);
    expect(
      await failure(
        hubotCaller.github.checkRepositoryAccess({
          organizationId: otherOrganizationId,
          repository: "acme/web",
        }),
      ),
    ).toMatchObject({ reason: "NO_INSTALLATION" });
  });

  it("follows installation webhooks: a suspended installation blocks projects until unsuspended", async () => {
    const organizationId = await organizationOf(octocat);
    const caller = await callerFor(octocat);
    await github.control(`/installations/${acmeInstallation}/suspend`);
    await github.control("/deliveries/wait");
    await expect
      .poll(async () => (await caller.github.installations({ organizationId })).installations[0]?.suspended)
      .toBe(true);
    expect(
      await failure(caller.github.checkRepositoryAccess({ organizationId, repository: "acme/web" })),
    ).toMatchObject({
      reason: "INSTALLATION_SUSPENDED",
    });

    await github.control(`/installations/${acmeInstallation}/unsuspend`);
    await github.control(`/installations/${acmeInstallation}/repositories`, { remove: ["api"] });
    await github.control("/deliveries/wait");
    await expect
      .poll(async () =>
        (await caller.github.installations({ organizationId })).installations[0]?.repositories.map(
          (r) => r.fullName,
        ),
      )
      .toEqual(["acme/web"]);
    expect((await caller.github.installations({ organizationId })).installations[0]?.suspended).toBe(false);
  });

  it("refreshes expiring user tokens transparently, rotating the stored pair", async () => {
    const userId = (await sessionFor(server, octocat)).user.id;
    const before = await server.database.db.account.findFirstOrThrow({
      where: { userId, providerId: "github" },
    });
    const organizationId = await organizationOf(octocat);
    const caller = await callerFor(octocat);
    // Concurrent calls share one refresh: a second refresh with the rotated token would fail.
    const results = await Promise.all([1, 2, 3].map(() => caller.github.installations({ organizationId })));
    expect(results.map((result) => result.connection)).toEqual(["connected", "connected", "connected"]);
    const after = await server.database.db.account.findFirstOrThrow({
      where: { userId, providerId: "github" },
    });
    expect(after.refreshToken).not.toBe(before.refreshToken);
    expect(after.accessToken).not.toMatch(/gh[ur]_/);
  });

  it("a revoked grant puts the account in the reconnect state: a typed 401, never a 500, until the user reconnects", async () => {
    const organizationId = await organizationOf(octocat);
    const caller = await callerFor(octocat);
    await github.control("/users/octocat/revoke-tokens");
    expect(
      await failure(caller.github.checkRepositoryAccess({ organizationId, repository: "acme/web" })),
    ).toMatchObject({
      code: "UNAUTHORIZED",
      reason: "GITHUB_RECONNECT_REQUIRED",
    });
    const listed = await caller.github.installations({ organizationId });
    expect(listed.connection).toBe("reconnect_required");
    expect(listed.installations[0]?.repositories[0]?.permission).toBeNull();

    // Reconnecting (linking GitHub again while signed in) restores it.
    await authorizeWithGitHub(server.url, github, { login: "octocat", cookie: octocat });
    expect((await caller.github.installations({ organizationId })).connection).toBe("connected");
  });
});
