// A Hangar ready to create projects: GitHub and Fly.io emulators over HTTP, octocat signed in with
// GitHub, the acme installation linked to octocat's organisation, and the organisation's Fly token set.
import { sessionFor, startTestServer, type TestServer } from "./harness.ts";
import { FLY_TOKEN, startTestFly, type TestFly } from "./fly.ts";
import { authorizeWithGitHub, startTestGitHub, type TestGitHub } from "./github.ts";
import { createContextInner } from "../trpc/context.ts";
import { createCaller } from "../trpc/router.ts";

export type ProjectWorld = {
  server: TestServer;
  github: TestGitHub;
  fly: TestFly;
  /** octocat's session cookie; octocat owns the organisation and is admin of acme/web on GitHub. */
  cookie: string;
  userId: string;
  organizationId: string;
  installationId: number;
  callerFor(cookie: string): Promise<ReturnType<typeof createCaller>>;
  close(): Promise<void>;
};

export async function startProjectWorld(
  options: { flyTimeScale?: number; server?: Parameters<typeof startTestServer>[0] } = {},
): Promise<ProjectWorld> {
  const github = await startTestGitHub();
  const fly = await startTestFly({ timeScale: options.flyTimeScale ?? 50 });
  const server = await startTestServer({ github: github.settings, flyApiUrl: fly.url, ...options.server });
  await github.control("/hook", { url: `${server.url}/api/webhooks/github` }, "PATCH");

  const { cookie } = await authorizeWithGitHub(server.url, github, { login: "octocat" });
  const session = await sessionFor(server, cookie);
  const [organization] = await server.services.organizations.listForUser(session.user.id);
  if (!organization) throw new Error("octocat has no organization");
  const { id: installationId } = await github.control<{ id: number }>("/installations", {
    account: "acme",
    repositories: "all",
  });
  const linked = await fetch(
    `${server.url}/api/github/setup?installation_id=${installationId}&setup_action=install`,
    { headers: { cookie, accept: "application/json" }, redirect: "manual" },
  );
  if (linked.status >= 400) throw new Error(`linking the installation failed: ${linked.status}`);
  await server.services.flyCredentials?.set({
    organizationId: organization.id,
    token: FLY_TOKEN,
    actorUserId: session.user.id,
  });

  const callerFor = async (forCookie: string) =>
    createCaller(
      createContextInner({ services: server.services, session: await sessionFor(server, forCookie) }),
    );
  return {
    server,
    github,
    fly,
    cookie,
    userId: session.user.id,
    organizationId: organization.id,
    installationId,
    callerFor,
    async close() {
      await server.close();
      await fly.close();
      await github.close();
    },
  };
}
