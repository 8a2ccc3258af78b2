import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestEmulator, type TestEmulator } from "./test-support.ts";

/**
 * Every webhook the emulator sends, compared with the real payloads in @octokit/webhooks-examples for the
 * same event and action: the same top-level keys, every key the examples always carry (at any depth), and
 * the same JSON types where both have a value.
 */

interface ExampleEvent {
  name: string;
  examples: Record<string, unknown>[];
}

const examples = JSON.parse(
  readFileSync(
    createRequire(import.meta.url).resolve("@octokit/webhooks-examples/api.github.com/index.json"),
    "utf8",
  ),
) as ExampleEvent[];

/** Objects whose keys are data, not shape (permission names, custom property names). */
const OPAQUE_KEYS = new Set(["permissions", "custom_properties"]);
/**
 * Known, documented differences from the 2019 examples (see README "Where sources disagreed"):
 * - the examples only have repository-hook pings; a captured App ping (github-app.md §1.1) has no `sender`
 *   and no hook `url`/`ping_url`;
 * - older examples give `installation.created_at`/`updated_at` as Unix seconds, the current webhooks
 *   OpenAPI and newer examples (installation.suspend) as ISO strings; the emulator sends strings.
 */
const DOCUMENTED_DIFFERENCES = new Set([
  "ping $.sender: missing",
  "ping $.hook.url: missing",
  "ping $.hook.ping_url: missing",
  "installation_repositories $.installation.created_at: string where the examples have number",
  "installation_repositories $.installation.updated_at: string where the examples have number",
]);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function kind(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return kind(value) === "object";
}

/**
 * Fields GitHub's webhook schema (@octokit/openapi-webhooks) declares nullable, which the examples happen
 * to show only with a value.
 */
const NULLABLE = new Set([
  "body",
  "email",
  "merged_by",
  "merged_at",
  "closed_at",
  "merge_commit_sha",
  "requester",
]);

/**
 * `required` holds the samples for the same event and action (keys they all carry must be present);
 * `typed` holds the samples for the same event, any action (the JSON types seen for a key).
 */
function compareShape(
  ours: unknown,
  required: unknown[],
  typed: unknown[],
  path: string,
  errors: string[],
): void {
  const key =
    path
      .split(".")
      .at(-1)
      ?.replace(/\[0\]$/, "") ?? "";
  const present = typed.filter((sample) => sample !== undefined);
  const kinds = new Set(present.map(kind));
  // A key that is null in every example is nullable with an unknown type: nothing to compare.
  if (present.length === 0 || (kinds.size === 1 && kinds.has("null"))) return;
  if (!kinds.has(kind(ours)) && !(ours === null && NULLABLE.has(key))) {
    errors.push(`${path}: ${kind(ours)} where the examples have ${[...kinds].join("|")}`);
    return;
  }
  if (isObject(ours) && !OPAQUE_KEYS.has(key)) {
    const mustHave = required.filter(isObject);
    const names = Object.keys(mustHave[0] ?? {}).filter((name) => mustHave.every((object) => name in object));
    for (const name of names) if (!(name in ours)) errors.push(`${path}.${name}: missing`);
    const typedObjects = present.filter(isObject);
    for (const [name, value] of Object.entries(ours)) {
      const pick = (samples: Record<string, unknown>[]) => samples.map((object) => object[name]);
      compareShape(value, pick(mustHave), pick(typedObjects), `${path}.${name}`, errors);
    }
  }
  if (Array.isArray(ours) && ours.length > 0) {
    const items = (samples: unknown[]) => samples.filter(Array.isArray).flat() as unknown[];
    compareShape(ours[0], items(required), items(present), `${path}[0]`, errors);
  }
}

function shapeErrors(event: string, payload: Record<string, unknown>): string[] {
  const all = examples.find((entry) => entry.name === event)?.examples ?? [];
  const action = payload.action;
  const sameAction = all.filter((example) => example.action === action);
  if (sameAction.length === 0) return [`no example for ${event}.${String(action)}`];
  const errors: string[] = [];
  const everyKey = Object.keys(sameAction[0] ?? {}).filter((key) =>
    sameAction.every((example) => key in example),
  );
  for (const key of everyKey) if (!(key in payload)) errors.push(`$.${key}: missing`);
  const knownKeys = new Set(all.flatMap((example) => Object.keys(example)));
  for (const key of Object.keys(payload))
    if (!knownKeys.has(key)) errors.push(`$.${key}: not in any ${event} example`);
  for (const [key, value] of Object.entries(payload)) {
    const pick = (samples: Record<string, unknown>[]) => samples.map((example) => example[key]);
    compareShape(value, pick(sameAction), pick(all), `$.${key}`, errors);
  }
  return errors.filter((error) => !DOCUMENTED_DIFFERENCES.has(`${event} ${error}`));
}

interface RecordedDelivery {
  id: number;
  event: string;
  action: string | null;
  request: { headers: Record<string, string>; payload: Record<string, Json> };
}

let gh: TestEmulator;
let deliveries: RecordedDelivery[];

beforeAll(async () => {
  gh = await startTestEmulator();
  const { id } = await gh.control<{ id: number }>("/installations", { account: "acme", repositories: "all" });
  await gh.control("/repos/acme/web/push", { branch: "main", message: "Normal push" });
  await gh.control("/repos/acme/web/push", { branch: "topic", message: "New branch" });
  await gh.control("/repos/acme/web/push", { branch: "topic", message: "Rewritten", force: true });
  await gh.control("/repos/acme/web/branches/topic", {}, "DELETE");
  const pull = await gh.control<{ number: number }>("/repos/acme/web/pulls", { head: "feature/greeting" });
  await gh.control(`/repos/acme/web/pulls/${pull.number}/synchronize`, {
    files: { "README.md": "changed\n" },
  });
  await gh.control(`/repos/acme/web/pulls/${pull.number}/close`);
  await gh.control(`/repos/acme/web/pulls/${pull.number}/reopen`);
  await gh.control(`/repos/acme/web/pulls/${pull.number}/merge`);
  await gh.control("/repos/acme/api/pulls", { head: "main", headOwner: "hubot", title: "From a fork" });
  await gh.control(`/installations/${id}/repositories`, { remove: ["api"] });
  await gh.control(`/installations/${id}/repositories`, { add: ["api"] });
  await gh.control(`/installations/${id}/suspend`);
  await gh.control(`/installations/${id}/unsuspend`);
  await gh.control(`/installations/${id}`, undefined, "DELETE");
  await gh.control("/ping");
  deliveries = await gh.control<RecordedDelivery[]>("/deliveries", undefined, "GET");
});

afterAll(() => gh.close());

const EXPECTED = [
  "installation.created",
  "push",
  "pull_request.opened",
  "pull_request.synchronize",
  "pull_request.closed",
  "pull_request.reopened",
  "installation_repositories.removed",
  "installation_repositories.added",
  "installation.suspend",
  "installation.unsuspend",
  "installation.deleted",
  "ping",
];

describe("webhook payloads match @octokit/webhooks-examples", () => {
  it("covers every event and action the emulator sends", () => {
    const sent = new Set(
      deliveries.map((delivery) => [delivery.event, delivery.action].filter(Boolean).join(".")),
    );
    expect([...sent].sort()).toEqual([...EXPECTED].sort());
  });

  it.each(EXPECTED)("%s", (name) => {
    const matching = deliveries.filter(
      (delivery) => [delivery.event, delivery.action].filter(Boolean).join(".") === name,
    );
    expect(matching.length).toBeGreaterThan(0);
    for (const delivery of matching) {
      expect(shapeErrors(delivery.event, delivery.request.payload), `${name} #${delivery.id}`).toEqual([]);
    }
  });

  it("the comparison fails on a missing key and on a wrong type", () => {
    const push = deliveries.find((delivery) => delivery.event === "push")?.request.payload ?? {};
    const { pusher: _pusher, ...withoutPusher } = push;
    expect(shapeErrors("push", withoutPusher)).toContain("$.pusher: missing");
    expect(shapeErrors("push", { ...push, forced: "no" })).toContain(
      "$.forced: string where the examples have boolean",
    );
  });

  it("sends the headers GitHub marks as required on every delivery", () => {
    for (const delivery of deliveries) {
      const headers = delivery.request.headers;
      for (const name of [
        "User-Agent",
        "X-GitHub-Hook-ID",
        "X-GitHub-Event",
        "X-GitHub-Hook-Installation-Target-ID",
        "X-GitHub-Hook-Installation-Target-Type",
        "X-GitHub-Delivery",
        "X-Hub-Signature-256",
      ]) {
        expect(headers[name], `${name} on ${delivery.event}`).toBeTruthy();
      }
    }
  });
});
