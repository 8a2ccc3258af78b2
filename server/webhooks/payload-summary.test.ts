import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { PARSE_IN_NODE_MAX_BYTES, summarisePayload } from "./payload-summary.ts";

const require = createRequire(import.meta.url);
const examples = require("@octokit/webhooks-examples") as { name: string; examples: object[] }[];
const examplesOf = (name: string) => examples.find((group) => group.name === name)?.examples ?? [];

describe("summarisePayload", () => {
  it("reads action, installation and repository from real payloads", () => {
    const push = examplesOf("push")[0] as { repository: { full_name: string } };
    const summary = summarisePayload(Buffer.from(JSON.stringify({ ...push, installation: { id: 42 } })));
    expect(summary).toEqual({
      kind: "summarised",
      summary: { action: null, installationId: "42", repositoryFullName: push.repository.full_name },
    });
    const opened = examplesOf("pull_request").find(
      (example) => (example as { action?: string }).action === "opened",
    );
    expect(summarisePayload(Buffer.from(JSON.stringify(opened)))).toMatchObject({
      kind: "summarised",
      summary: { action: "opened" },
    });
  });

  it("keeps only what the columns can hold", () => {
    const read = (payload: object) => summarisePayload(Buffer.from(JSON.stringify(payload)));
    expect(read({ installation: { id: 2 ** 60 } })).toMatchObject({ summary: { installationId: null } });
    expect(read({ installation: { id: -1 } })).toMatchObject({ summary: { installationId: null } });
    expect(read({ installation: { id: "7" } })).toMatchObject({ summary: { installationId: null } });
    expect(read({ action: "a\u001b[31mb", repository: { full_name: "x".repeat(400) } })).toMatchObject({
      summary: { action: "a [31mb", repositoryFullName: expect.stringMatching(/^x{299}…$/) },
    });
    expect(read([1, 2])).toEqual({
      kind: "summarised",
      summary: { action: null, installationId: null, repositoryFullName: null },
    });
  });

  it("refuses text that is not JSON, and leaves large bodies to the database", () => {
    expect(summarisePayload(Buffer.from("{not json"))).toEqual({ kind: "invalid" });
    expect(summarisePayload(Buffer.from(""))).toEqual({ kind: "invalid" });
    const large = Buffer.from(JSON.stringify({ padding: "x".repeat(PARSE_IN_NODE_MAX_BYTES) }));
    expect(summarisePayload(large)).toEqual({ kind: "left_to_database" });
  });
});
