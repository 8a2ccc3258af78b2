// Secret values (a project's environment variables, the Fly token) are removed from deployment log lines
// before they are stored or streamed (SPEC §5.6, §8). Redaction works line by line: the pipeline splits
// builder output into lines first, so a value can only span lines if it contains a newline itself, and
// such values are also matched line by line.

export const REDACTED = "[redacted]";

/**
 * Values (and encoded forms) shorter than this are left alone: "1", "on" or "80" are not secrets anyone
 * can keep, and redacting them would turn every such run of characters in a log into [redacted].
 */
export const MIN_REDACTED_LENGTH = 4;

/**
 * Base64 of `value` as it appears inside a longer base64 string, at each of the three byte alignments
 * (a Basic auth header encodes "user:password" together): only the characters that depend on the
 * value's bytes alone, so they are the same whatever surrounds the value.
 */
function alignedBase64(value: Buffer, encoding: "base64" | "base64url"): string[] {
  return [0, 1, 2].map((offset) => {
    const encoded = Buffer.concat([Buffer.alloc(offset), value]).toString(encoding);
    const firstBit = offset * 8;
    const endBit = (offset + value.length) * 8;
    return encoded.slice(Math.ceil(firstBit / 6), Math.floor(endBit / 6));
  });
}

/**
 * The forms a value takes in logs: as is, URL-encoded, base64 (standard and URL-safe, padded or not,
 * alone or inside a longer encoded string).
 */
function formsOf(value: string): string[] {
  const bytes = Buffer.from(value, "utf8");
  const standard = bytes.toString("base64");
  const urlSafe = bytes.toString("base64url");
  return [
    value,
    encodeURIComponent(value),
    standard,
    standard.replace(/=+$/, ""),
    urlSafe,
    urlSafe.padEnd(standard.length, "="),
    ...alignedBase64(bytes, "base64"),
    ...alignedBase64(bytes, "base64url"),
  ];
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * A function replacing every occurrence of each secret value, and of its encoded forms, with
 * [redacted]. One regular expression for all of them, alternatives longest first so the longest value
 * starting at a position wins; each search resumes one character after the last match's start, so
 * values that overlap ("abcdefgh" and "efgh-ijkl" in "abcdefgh-ijkl") are merged and redacted whole
 * rather than leaving the tail of one behind. A plain alternation (no lookahead) keeps the regular
 * expression engine's fast scan for candidate positions.
 */
export function createRedactor(secretValues: readonly string[]): (line: string) => string {
  const patterns = new Set<string>();
  for (const secret of secretValues) {
    const values = secret.includes("\n") ? [secret, ...secret.split(/\r?\n/)] : [secret];
    for (const value of values) {
      if (value.length < MIN_REDACTED_LENGTH) continue;
      for (const form of formsOf(value)) {
        if (form.length >= MIN_REDACTED_LENGTH) patterns.add(form);
      }
    }
  }
  if (patterns.size === 0) return (line) => line;
  const alternatives = [...patterns].sort((a, b) => b.length - a.length).map(escapeRegExp);
  const finder = new RegExp(alternatives.join("|"), "g");

  return (line) => {
    let redacted = "";
    /** line[0, copied) is already in `redacted`. */
    let copied = 0;
    /** The current run of overlapping occurrences, [start, end). */
    let start = -1;
    let end = -1;
    finder.lastIndex = 0;
    for (let match = finder.exec(line); match; match = finder.exec(line)) {
      const matchEnd = match.index + match[0].length;
      finder.lastIndex = match.index + 1;
      if (start >= 0 && match.index < end) {
        end = Math.max(end, matchEnd);
        continue;
      }
      if (start >= 0) {
        redacted += line.slice(copied, start) + REDACTED;
        copied = end;
      }
      start = match.index;
      end = matchEnd;
    }
    if (start < 0) return line;
    return redacted + line.slice(copied, start) + REDACTED + line.slice(end);
  };
}
