// Real payloads from @octokit/webhooks-examples (GitHub's own examples), for tests and the benchmark.
import { createRequire } from "node:module";

type ExampleGroup = { name: string; examples: Record<string, unknown>[] };

const require = createRequire(import.meta.url);
const groups = require("@octokit/webhooks-examples") as ExampleGroup[];

export function webhookExamples(event: string): Record<string, unknown>[] {
  const group = groups.find((candidate) => candidate.name === event);
  if (!group || group.examples.length === 0) throw new Error(`no examples for ${event}`);
  return group.examples;
}
