// Property-based fuzzing of every tRPC procedure's input over real HTTP (SPEC §8): whatever a signed-in
// caller sends, the answer is a structured success or 4xx, never a 5xx. The procedure list comes from
// the router, so a new procedure is fuzzed without anyone adding it here.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startProjectWorld, type ProjectWorld } from "../test/projects.ts";
import { appRouter } from "./router.ts";

type ProcedureDef = { _def: { type: "query" | "mutation" | "subscription" } };
const procedures = Object.entries(
  (appRouter as unknown as { _def: { procedures: Record<string, ProcedureDef> } })._def.procedures,
).filter(([, procedure]) => procedure._def.type !== "subscription");

/** Every input key any procedure reads, so that generated objects often get past the first check. */
const KEYS = [
  "projectId",
  "deploymentId",
  "deliveryRowId",
  "environment",
  "key",
  "value",
  "text",
  "mode",
  "baseVersion",
  "repository",
  "name",
  "flyAppName",
  "region",
  "productionBranch",
  "rootDirectory",
  "dockerfilePath",
  "settings",
  "destroyFlyApp",
  "environmentChoice",
  "token",
  "limit",
  "before",
  "afterSeq",
  "status",
  "event",
];

const value = fc.oneof(
  fc.anything({ maxDepth: 2 }),
  fc.uuid(),
  fc.constantFrom("production", "preview", "main", "acme/web", "API_KEY", "merge", "snapshot", "", "../x"),
  fc.integer(),
  fc.string({ maxLength: 300 }),
);

describe("procedure input fuzzing", () => {
  // With GitHub and Fly.io reachable (their emulators): a 5xx would then be Hangar's own fault.
  let world: ProjectWorld;
  let cookie: string;
  let organizationId: string;
  let serverUrl: string;

  beforeAll(async () => {
    world = await startProjectWorld({ server: { limits: { apiRequestsPerMinute: 1_000_000 } } });
    ({ cookie, organizationId } = world);
    serverUrl = world.server.url;
  });
  afterAll(() => world.close());

  async function call(path: string, type: "query" | "mutation", input: unknown): Promise<Response> {
    // Built by hand rather than with superjson.serialize, which refuses some hostile keys itself
    // (__proto__, prototype): the server must cope with whatever a client sends.
    const serialized = JSON.stringify({ json: input });
    return type === "query"
      ? fetch(`${serverUrl}/api/trpc/${path}?input=${encodeURIComponent(serialized)}`, {
          headers: { cookie },
        })
      : fetch(`${serverUrl}/api/trpc/${path}`, {
          method: "POST",
          headers: { cookie, "content-type": "application/json" },
          body: serialized,
        });
  }

  it.each(procedures.map(([path, procedure]) => [path, procedure._def.type] as const))(
    "%s answers every input with a success or a structured 4xx",
    async (path, type) => {
      const input = fc.oneof(
        fc.anything({ maxDepth: 3 }),
        fc
          .dictionary(fc.constantFrom(...KEYS), value, { maxKeys: 6 })
          .map((fields) => ({ ...fields, organizationId })),
      );
      await fc.assert(
        fc.asyncProperty(input, async (generated) => {
          const response = await call(path, type as "query" | "mutation", generated);
          const body = await response.text();
          expect(response.status, `${path} ${JSON.stringify(generated)} → ${body}`).toBeLessThan(500);
          if (response.status >= 400) expect(body).toMatch(/"code":"[A-Z_]+"/);
        }),
        { numRuns: 25 },
      );
    },
  );
});
