// Parses a pasted .env file into variables, with a report line for every line that is not one, and
// compares the result with what a project has, so the dashboard can show what a paste would add,
// change and remove before anything is applied (SPEC §5.4).
import { MAX_ENVIRONMENT_VALUE_BYTES, environmentVariableKeySchema } from "./project.schema.ts";

export type ParsedVariable = { key: string; value: string; line: number };
export type InvalidLine = { line: number; reason: string };
export type ParsedEnvFile = { variables: ParsedVariable[]; invalid: InvalidLine[]; duplicates: string[] };

const ASSIGNMENT = /^(?:export\s+)?([^=\s]+)\s*=\s?(.*)$/s;
const ESCAPES: Record<string, string> = { n: "\n", r: "\r", t: "\t", '"': '"', "\\": "\\" };

function unescapeDoubleQuoted(value: string): string {
  return value.replace(/\\(.)/g, (match, char: string) => ESCAPES[char] ?? match);
}

/**
 * Reads `KEY=value` lines: `export` prefixes, `#` comments, blank lines, single quotes (literal), double
 * quotes (escapes, and values spanning several lines), and unquoted values (trimmed, ` #` starts a
 * comment). A key given twice keeps its last value and is listed in `duplicates`.
 */
export function parseEnvFile(text: string): ParsedEnvFile {
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  const byKey = new Map<string, ParsedVariable>();
  const invalid: InvalidLine[] = [];
  const duplicates = new Set<string>();

  for (let index = 0; index < lines.length; index++) {
    const lineNumber = index + 1;
    const line = (lines[index] ?? "").trim();
    if (line === "" || line.startsWith("#")) continue;
    const match = ASSIGNMENT.exec(line);
    if (!match) {
      invalid.push({ line: lineNumber, reason: "Expected KEY=value" });
      continue;
    }
    const key = match[1] ?? "";
    let raw = match[2] ?? "";
    let value: string;
    const quote = raw[0];
    if (quote === '"' || quote === "'") {
      // A quoted value may continue on the following lines until its closing quote.
      let endLine = index;
      let body = raw.slice(1);
      let close = findClosingQuote(body, quote);
      while (close === -1 && endLine + 1 < lines.length) {
        endLine++;
        body += `\n${lines[endLine] ?? ""}`;
        close = findClosingQuote(body, quote);
      }
      if (close === -1) {
        invalid.push({
          line: lineNumber,
          reason: `The ${quote === '"' ? "double" : "single"} quote is never closed`,
        });
        break;
      }
      const rest = body.slice(close + 1).trim();
      if (rest !== "" && !rest.startsWith("#")) {
        invalid.push({ line: lineNumber, reason: "Unexpected text after the closing quote" });
        index = endLine;
        continue;
      }
      value = quote === '"' ? unescapeDoubleQuoted(body.slice(0, close)) : body.slice(0, close);
      index = endLine;
    } else {
      const comment = raw.search(/\s#/);
      if (comment !== -1) raw = raw.slice(0, comment);
      value = raw.trim();
    }
    const keyCheck = environmentVariableKeySchema.safeParse(key);
    if (!keyCheck.success) {
      invalid.push({
        line: lineNumber,
        reason: `${key}: ${keyCheck.error.issues[0]?.message ?? "invalid name"}`,
      });
      continue;
    }
    if (Buffer.byteLength(value) > MAX_ENVIRONMENT_VALUE_BYTES) {
      invalid.push({ line: lineNumber, reason: `${key}: values are limited to 64 KB` });
      continue;
    }
    if (byKey.has(key)) duplicates.add(key);
    byKey.set(key, { key, value, line: lineNumber });
  }
  return { variables: [...byKey.values()], invalid, duplicates: [...duplicates] };
}

function findClosingQuote(body: string, quote: string): number {
  for (let position = 0; position < body.length; position++) {
    if (quote === '"' && body[position] === "\\") {
      position++;
      continue;
    }
    if (body[position] === quote) return position;
  }
  return -1;
}

export type EnvDiff = { added: string[]; changed: string[]; removed: string[]; unchanged: string[] };

/**
 * What applying `incoming` would do to `current`. In "merge" mode keys absent from the paste stay; in
 * "replace" mode they are removed.
 */
export function diffEnvironment(
  current: ReadonlyMap<string, string>,
  incoming: readonly ParsedVariable[],
  mode: "merge" | "replace",
): EnvDiff {
  const diff: EnvDiff = { added: [], changed: [], removed: [], unchanged: [] };
  const incomingKeys = new Set<string>();
  for (const { key, value } of incoming) {
    incomingKeys.add(key);
    const existing = current.get(key);
    if (existing === undefined) diff.added.push(key);
    else if (existing !== value) diff.changed.push(key);
    else diff.unchanged.push(key);
  }
  if (mode === "replace")
    for (const key of current.keys()) if (!incomingKeys.has(key)) diff.removed.push(key);
  for (const list of Object.values(diff)) list.sort();
  return diff;
}
