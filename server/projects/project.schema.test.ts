import { describe, expect, it } from "vitest";
import {
  environmentVariableKeySchema,
  flyAppNameSchema,
  gitBranchSchema,
  repositoryFileSchema,
  repositoryPathSchema,
} from "./project.schema.ts";

const accepts = (schema: { safeParse(value: unknown): { success: boolean } }, value: string) =>
  schema.safeParse(value).success;

describe("Fly app names", () => {
  it.each(["web", "acme-web-prod", "a1", "x".repeat(62), "0day"])("accepts %s", (name) => {
    expect(accepts(flyAppNameSchema, name)).toBe(true);
  });
  it.each(["", "a", "Web", "web_app", "-web", "web-", "we b", "x".repeat(63), "wéb", "web.app"])(
    "refuses %j",
    (name) => {
      expect(accepts(flyAppNameSchema, name)).toBe(false);
    },
  );
});

describe("branch names (git check-ref-format --branch)", () => {
  it.each(["main", "feature/login", "release-1.2", "user/jo/fix_3", "v2"])("accepts %s", (name) => {
    expect(accepts(gitBranchSchema, name)).toBe(true);
  });
  it.each([
    "",
    "-main",
    "/main",
    "main/",
    "a//b",
    "a..b",
    "main.",
    "main.lock",
    "feature/.hidden",
    "a b",
    "a~1",
    "a^",
    "a:b",
    "a?",
    "a*",
    "a[b",
    "a\\b",
    "@",
    "a@{1}",
    "tab\there",
    "x".repeat(256),
  ])("refuses %j", (name) => {
    expect(accepts(gitBranchSchema, name)).toBe(false);
  });
});

describe("repository paths", () => {
  it.each([
    ["", ""],
    [".", ""],
    ["./", ""],
    ["services/api", "services/api"],
    ["./services//api/", "services/api"],
    ["  deploy/fly.toml ", "deploy/fly.toml"],
  ])("normalises %j to %j", (input, output) => {
    expect(repositoryPathSchema.parse(input)).toBe(output);
  });
  it.each(["../secrets", "a/../../b", "/etc/passwd", "C:/Windows", "a\\b", "a\u0000b", "a\nb"])(
    "refuses %j",
    (input) => {
      expect(accepts(repositoryPathSchema, input)).toBe(false);
    },
  );
  it("a file path must name something", () => {
    expect(accepts(repositoryFileSchema, "Dockerfile")).toBe(true);
    expect(accepts(repositoryFileSchema, "./")).toBe(false);
  });
});

describe("environment variable names", () => {
  it.each(["DATABASE_URL", "_PRIVATE", "A", "API_V2_KEY"])("accepts %s", (key) => {
    expect(accepts(environmentVariableKeySchema, key)).toBe(true);
  });
  it.each(["", "database_url", "2FA", "API-KEY", "API KEY", "FLY_REGION", "K".repeat(257)])(
    "refuses %j",
    (key) => {
      expect(accepts(environmentVariableKeySchema, key)).toBe(false);
    },
  );
});
