import { describe, expect, it } from "vitest";
import { diffEnvironment, parseEnvFile } from "./env-file.ts";

const values = (text: string) =>
  Object.fromEntries(parseEnvFile(text).variables.map((variable) => [variable.key, variable.value]));

describe("parseEnvFile", () => {
  it("reads plain, exported, commented and quoted lines", () => {
    const text = [
      "# database",
      "DATABASE_URL=postgres://u:p@db/app",
      "export API_KEY = abc123  # rotate monthly",
      "",
      "SINGLE='literal $HOME \\n'",
      'DOUBLE="tab\\tnew\\nline \\"quoted\\""',
      "EMPTY=",
      "HASH_IN_VALUE=abc#def",
    ].join("\n");
    expect(values(text)).toEqual({
      DATABASE_URL: "postgres://u:p@db/app",
      API_KEY: "abc123",
      SINGLE: "literal $HOME \\n",
      DOUBLE: 'tab\tnew\nline "quoted"',
      EMPTY: "",
      HASH_IN_VALUE: "abc#def",
    });
  });

  it("reads a double-quoted value over several lines, such as a PEM key", () => {
    const text = 'PRIVATE_KEY="-----BEGIN KEY-----\nabc\n-----END KEY-----"\nNEXT=1';
    expect(values(text)).toEqual({ PRIVATE_KEY: "-----BEGIN KEY-----\nabc\n-----END KEY-----", NEXT: "1" });
  });

  it("reports invalid lines with their numbers and keeps the valid ones", () => {
    const result = parseEnvFile(
      ["GOOD=1", "not an assignment", "lower_case=2", "FLY_APP=3", "2FA=4", "ALSO_GOOD=5"].join("\n"),
    );
    expect(result.variables.map((variable) => variable.key)).toEqual(["GOOD", "ALSO_GOOD"]);
    expect(result.invalid.map((entry) => entry.line)).toEqual([2, 3, 4, 5]);
    expect(result.invalid[2]?.reason).toMatch(/reserved by Fly\.io/);
  });

  it("reports an unclosed quote and text after a closing quote", () => {
    expect(parseEnvFile('A="never closed\nB=2').invalid).toEqual([
      { line: 1, reason: "The double quote is never closed" },
    ]);
    expect(parseEnvFile("A='x' trailing").invalid[0]?.reason).toBe("Unexpected text after the closing quote");
  });

  it("keeps the last value of a repeated key and says it was repeated", () => {
    const result = parseEnvFile("A=1\nA=2");
    expect(result.variables).toEqual([{ key: "A", value: "2", line: 2 }]);
    expect(result.duplicates).toEqual(["A"]);
  });

  it("accepts Windows line endings and refuses values over 64 KB", () => {
    expect(values("A=1\r\nB=2\r\n")).toEqual({ A: "1", B: "2" });
    expect(parseEnvFile(`BIG=${"x".repeat(64 * 1024 + 1)}`).invalid[0]?.reason).toMatch(/64 KB/);
  });
});

describe("diffEnvironment", () => {
  const current = new Map([
    ["KEEP", "same"],
    ["CHANGE", "old"],
    ["ONLY_HERE", "x"],
  ]);
  const incoming = parseEnvFile("KEEP=same\nCHANGE=new\nNEW=1").variables;

  it("merge adds and changes, and removes nothing", () => {
    expect(diffEnvironment(current, incoming, "merge")).toEqual({
      added: ["NEW"],
      changed: ["CHANGE"],
      removed: [],
      unchanged: ["KEEP"],
    });
  });

  it("replace also removes what the paste does not have", () => {
    expect(diffEnvironment(current, incoming, "replace").removed).toEqual(["ONLY_HERE"]);
  });
});
