import { describe, expect, it } from "vitest";
import { createRedactor } from "./log-redaction.ts";

// Its base64 has "+", "/" and padding, so the standard and URL-safe forms differ.
const SECRET = "s3cra?at>?~";

describe("log redaction", () => {
  it("replaces every occurrence of every value", () => {
    const redact = createRedactor([SECRET, "hunter22"]);
    expect(redact(`token=${SECRET} again ${SECRET}; password hunter22.`)).toBe(
      "token=[redacted] again [redacted]; password [redacted].",
    );
    expect(redact("nothing to hide here")).toBe("nothing to hide here");
  });

  it("replaces base64 forms: standard and URL-safe, with and without padding", () => {
    const redact = createRedactor([SECRET]);
    expect(Buffer.from(SECRET).toString("base64")).toBe("czNjcmE/YXQ+P34=");
    expect(redact("std czNjcmE/YXQ+P34= end")).toBe("std [redacted] end");
    expect(redact("std-unpadded czNjcmE/YXQ+P34 end")).toBe("std-unpadded [redacted] end");
    expect(redact("url czNjcmE_YXQ-P34 end")).toBe("url [redacted] end");
    expect(redact("url-padded czNjcmE_YXQ-P34= end")).toBe("url-padded [redacted] end");
  });

  it("replaces the value inside a longer base64 string, such as a Basic auth header", () => {
    const redact = createRedactor([SECRET]);
    // "ci:", "ops:" and "root:" put the secret at each of base64's three byte alignments.
    for (const user of ["ci", "ops", "root"]) {
      const header = `Authorization: Basic ${Buffer.from(`${user}:${SECRET}`).toString("base64")}`;
      // Left: the user and at most one byte of the secret before, at most a few padding characters after.
      expect(redact(header)).toMatch(
        /^Authorization: Basic [A-Za-z0-9+/]{4,8}\[redacted\][A-Za-z0-9+/=]{0,3}$/,
      );
    }
  });

  it("replaces the URL-encoded form", () => {
    const redact = createRedactor(["p@ss w/rd&x"]);
    expect(redact("GET /login?password=p%40ss%20w%2Frd%26x&next=/")).toBe(
      "GET /login?password=[redacted]&next=/",
    );
  });

  it("redacts overlapping values whole, longest first, whatever order they come in", () => {
    const redact = createRedactor(["abcd", "abcdefgh", "efgh-ijkl"]);
    expect(redact("x abcdefgh y")).toBe("x [redacted] y");
    expect(redact("x abcdefgh-ijkl y")).toBe("x [redacted] y");
    expect(redact("abcdabcd efgh-ijklabcd")).toBe("[redacted][redacted] [redacted][redacted]");
    expect(redact("x efgh-ijkl y")).toBe("x [redacted] y");
  });

  it("leaves values shorter than four characters alone", () => {
    const redact = createRedactor(["1", "on", "abc", "true"]);
    expect(redact("port 1 is on, abc")).toBe("port 1 is on, abc");
    expect(redact("enabled: true")).toBe("enabled: [redacted]");
    expect(createRedactor(["", "ab"])("unchanged")).toBe("unchanged");
  });

  it("treats values as text, not patterns", () => {
    const redact = createRedactor(["a.b*c(d)|e"]);
    expect(redact("axb*c(d)|e and a.b*c(d)|e")).toBe("axb*c(d)|e and [redacted]");
  });

  it("redacts each line of a multi-line value, and the whole value's base64", () => {
    const key =
      "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----";
    const redact = createRedactor([key]);
    expect(key.split("\n").map(redact)).toEqual(Array(4).fill("[redacted]"));
    expect(redact(`KEY_B64=${Buffer.from(key).toString("base64")}`)).toBe("KEY_B64=[redacted]");
  });

  it("handles many values over thousands of lines", () => {
    const secrets = Array.from({ length: 200 }, (_, n) => `secret-value-${n}-${(n * 7919).toString(36)}`);
    const redact = createRedactor(secrets);
    const lines = Array.from(
      { length: 5_000 },
      (_, n) =>
        `step ${n}: using ${secrets[n % secrets.length]} and ${encodeURIComponent(secrets[(n * 3) % 200] ?? "")}`,
    );
    const redacted = lines.map(redact);
    expect(redacted.every((line) => /^step \d+: using \[redacted\] and \[redacted\]$/.test(line))).toBe(true);
  });
});
