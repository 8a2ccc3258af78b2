// The authorization matrix (SPEC §8): every procedure of the router × every kind of caller. The rule
// table must name every procedure, so a new procedure without a rule fails this test.
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROLES, type Role, roleAtLeast } from "../organizations/organization.schema.ts";
import { sessionFor, signUp, startTestServer, type TestServer } from "../test/harness.ts";
import { createContextInner } from "./context.ts";
import { appRouter, createCaller } from "./router.ts";

type Access = "authenticated" | Role;

/** Who may call each procedure. Organisation procedures take `{ organizationId }`. */
const ACCESS: Record<string, Access> = {
  "account.me": "authenticated",
  "organization.list": "authenticated",
  "organization.byId": "viewer",
  "organization.rename": "admin",
  "github.installations": "viewer",
  "github.installUrl": "admin",
  "github.checkRepositoryAccess": "member",
  "flyCredential.get": "viewer",
  "flyCredential.set": "admin",
  "flyCredential.remove": "admin",
  "webhookDelivery.list": "viewer",
  "webhookDelivery.byId": "viewer",
  "webhookDelivery.replay": "member",
  "project.list": "viewer",
  "project.byId": "viewer",
  "project.regions": "admin",
  "project.appNameAvailability": "admin",
  "project.create": "admin",
  "project.update": "admin",
  "project.delete": "owner",
  "environmentVariable.list": "viewer",
  "environmentVariable.reveal": "member",
  "environmentVariable.set": "member",
  "environmentVariable.remove": "member",
  "environmentVariable.previewPaste": "member",
  "environmentVariable.applyPaste": "member",
  "deployment.list": "viewer",
  "deployment.byId": "viewer",
  "deployment.logs": "viewer",
  "deployment.follow": "viewer",
  "deployment.deploy": "member",
  "deployment.redeploy": "member",
  "deployment.rollback": "member",
  "deployment.cancel": "member",
};

type Actor = "anonymous" | "outsider" | Role;
const ACTORS: Actor[] = ["anonymous", "outsider", ...ROLES];

function allowed(actor: Actor, access: Access): boolean {
  if (actor === "anonymous") return false;
  if (access === "authenticated") return true;
  return actor !== "outsider" && roleAtLeast(actor, access);
}

const procedurePaths = Object.keys(
  (appRouter as unknown as { _def: { procedures: Record<string, unknown> } })._def.procedures,
);

describe("authorization matrix", () => {
  let server: TestServer;
  let organizationId: string;
  let projectId: string;
  const cookies = new Map<Actor, string | null>();

  beforeAll(async () => {
    server = await startTestServer();
    const owner = await signUp(server, { name: "Owner" });
    cookies.set("owner", owner.cookie);
    const [organization] = await server.services.organizations.listForUser(owner.userId);
    if (!organization) throw new Error("the owner has no organization");
    organizationId = organization.id;
    for (const role of ["viewer", "member", "admin"] as const) {
      const user = await signUp(server, { name: role });
      await server.database.db.member.create({
        data: { id: crypto.randomUUID(), organizationId, userId: user.userId, role },
      });
      cookies.set(role, user.cookie);
    }
    cookies.set("outsider", (await signUp(server, { name: "Outsider" })).cookie);
    cookies.set("anonymous", null);
    ({ id: projectId } = await server.database.db.project.create({
      data: {
        organizationId,
        name: "matrix",
        installationId: 1n,
        repositoryId: 1n,
        repositoryFullName: "acme/web",
        productionBranch: "main",
        flyAppName: `matrix-${crypto.randomUUID().slice(0, 8)}`,
        region: "ams",
      },
      select: { id: true },
    }));
  });
  afterAll(() => server.close());

  it("has a rule for every procedure, and no rule for a procedure that does not exist", () => {
    expect(procedurePaths.filter((path) => !(path in ACCESS))).toEqual([]);
    expect(Object.keys(ACCESS).filter((path) => !procedurePaths.includes(path))).toEqual([]);
  });

  it.each(procedurePaths.flatMap((path) => ACTORS.map((actor) => [path, actor] as const)))(
    "%s as %s",
    async (path, actor) => {
      const access = ACCESS[path];
      if (!access) throw new Error(`no rule for ${path}`);
      const cookie = cookies.get(actor) ?? null;
      const caller = createCaller(
        createContextInner({
          services: server.services,
          session: cookie ? await sessionFor(server, cookie) : null,
        }),
      );
      const procedure = path
        .split(".")
        .reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], caller);
      // A superset of what the procedures take (objects drop unknown keys): enough to get past validation
      // to the access check, which comes first.
      const input =
        access === "authenticated"
          ? undefined
          : {
              organizationId,
              projectId,
              deploymentId: crypto.randomUUID(),
              environment: "production",
              key: "MATRIX_KEY",
            };
      let code = "OK";
      try {
        await (procedure as (input: unknown) => Promise<unknown>)(input);
      } catch (error) {
        code = error instanceof TRPCError ? error.code : "THREW";
      }
      const denied = code === "UNAUTHORIZED" || code === "FORBIDDEN";
      // Allowed callers may still fail later (an incomplete input, a missing integration), but never on access.
      expect({ path, actor, denied }).toEqual({ path, actor, denied: !allowed(actor, access) });
      if (actor === "anonymous") expect(code).toBe("UNAUTHORIZED");
    },
  );
});
