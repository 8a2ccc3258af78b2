import { describe, expect, test } from "vitest";
import { ContractRecorder } from "./contract/contract-recorder.ts";
import {
  findOperation,
  loadFlySpec,
  SchemaChecker,
  type OpenApiDocument,
} from "./contract/openapi-checker.ts";
import { SPEC_DEVIATIONS } from "./contract/spec-deviations.ts";

const spec = loadFlySpec();
const strict = new SchemaChecker(spec, { rejectUnknownProperties: true });

const machine = {
  id: "148ed193b95389",
  name: "young-pine-9104",
  state: "started",
  region: "ams",
  instance_id: "01HQ73A7BFFDF1B6WMGHFZZ4E7",
  config: { image: "registry.fly.io/app:1", guest: { cpu_kind: "shared", cpus: 1, memory_mb: 256 } },
  events: [
    { id: "01HQ73A7BFFDF1B6WMGHFZZ4E8", type: "launch", status: "created", source: "user", timestamp: 1 },
  ],
};

describe("the OpenAPI checker is honest", () => {
  test("accepts a conforming Machine and resolves nested $refs", () => {
    expect(strict.check({ $ref: "#/components/schemas/Machine" }, machine)).toEqual([]);
  });

  test("rejects wrong types, deep inside too", () => {
    const issues = strict.check(
      { $ref: "#/components/schemas/Machine" },
      {
        ...machine,
        state: 5,
        config: { ...machine.config, guest: { cpus: "1" } },
        events: [{ timestamp: "yesterday" }],
      },
    );
    expect(issues).toEqual([
      "$.state: expected string, got integer",
      "$.config.guest.cpus: expected integer, got string",
      "$.events[0].timestamp: expected integer, got string",
    ]);
  });

  test("rejects a missing required property", () => {
    const document: OpenApiDocument = {
      paths: {},
      components: {
        schemas: { Thing: { type: "object", required: ["id"], properties: { id: { type: "string" } } } },
      },
    };
    const checker = new SchemaChecker(document, { rejectUnknownProperties: false });
    expect(checker.check({ $ref: "#/components/schemas/Thing" }, {})).toEqual([
      '$: missing required property "id"',
    ]);
    expect(checker.check({ $ref: "#/components/schemas/Thing" }, { id: "x" })).toEqual([]);
  });

  test("rejects properties the spec does not declare, also through allOf", () => {
    expect(strict.check({ $ref: "#/components/schemas/App" }, { name: "a", created_at: 1 })).toEqual([
      "$.created_at: property not in the spec",
    ]);
    const createMachine = { $ref: "#/components/schemas/CreateMachineRequest" };
    expect(strict.check(createMachine, { config: { image: "x", imagee: "typo" } })).toEqual([
      "$.config.imagee: property not in the spec",
    ]);
  });

  test("checks enums and additionalProperties", () => {
    expect(strict.check({ $ref: "#/components/schemas/StopRequest" }, { signal: "SIGSTOP" })).toHaveLength(1);
    expect(
      strict.check({ $ref: "#/components/schemas/AppSecretsUpdateRequest" }, { values: { A: null } }),
    ).toEqual(["$.values.A: expected string, got null"]);
  });

  test("matches request paths to the most literal operation", () => {
    expect(findOperation(spec, "GET", "/v1/apps/my-app/machines/abc/lease")?.key).toBe(
      "GET /apps/{app_name}/machines/{machine_id}/lease",
    );
    expect(findOperation(spec, "GET", "/v1/platform/regions")?.key).toBe("GET /platform/regions");
    expect(findOperation(spec, "PATCH", "/v1/apps/x")).toBeUndefined();
  });
});

describe("deviations are exceptions, not holes", () => {
  const recorder = new ContractRecorder(spec, SPEC_DEVIATIONS);
  const leasePath = "/v1/apps/a/machines/148ed193b95389/lease";

  test("the lease envelope is required: a bare Lease (what the spec says) is reported", () => {
    const bare = { nonce: "5c35f65c9f95", expires_at: 1708569778, owner: "o", description: "", version: "v" };
    const issues = recorder.check({
      method: "POST",
      url: leasePath,
      requestBody: undefined,
      status: 201,
      responseBody: bare,
    });
    expect(issues.join("\n")).toContain('missing required property "status"');
    const enveloped = { status: "success", data: bare };
    expect(
      recorder.check({
        method: "POST",
        url: leasePath,
        requestBody: undefined,
        status: 201,
        responseBody: enveloped,
      }),
    ).toEqual([]);
  });

  test("query parameters outside the spec and the deviations are reported", () => {
    const issues = recorder.check({
      method: "GET",
      url: "/v1/apps/a/machines?sumary=true",
      requestBody: undefined,
      status: 200,
      responseBody: [],
    });
    expect(issues).toEqual([
      "GET /v1/apps/a/machines?sumary=true → 200: query parameter sumary is not in the spec",
    ]);
  });

  test("a body where the spec declares none is reported unless a deviation names it", () => {
    const issues = recorder.check({
      method: "POST",
      url: "/v1/apps/a/machines/148ed193b95389/cordon",
      requestBody: undefined,
      status: 200,
      responseBody: { ok: true },
    });
    expect(issues).toEqual([
      "POST /v1/apps/a/machines/148ed193b95389/cordon → 200: the spec declares no body for 200",
    ]);
  });

  test("every deviation cites the reference", async () => {
    const { readFile } = await import("node:fs/promises");
    const source = await readFile(new URL("./contract/spec-deviations.ts", import.meta.url), "utf8");
    const entries = source.split("\n  {\n");
    for (const deviation of SPEC_DEVIATIONS) {
      const entry = entries.find((candidate) => candidate.includes(`id: "${deviation.id}"`));
      expect(entry?.trimStart().startsWith("// fly-machines-api.md §"), deviation.id).toBe(true);
    }
  });
});
