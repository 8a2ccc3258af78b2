// The GitHub client against the emulator over HTTP: App JWT, installation-token cache, errors.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createLogger } from "../observability/logger.ts";
import { startTestGitHub, testResilience, type TestGitHub } from "../test/github.ts";
import { type GitHubClient, createGitHubClient } from "./github-client.ts";
import { GitHubError } from "./github-errors.ts";

const logger = createLogger({ level: "silent" });

describe("GitHub client", () => {
  let github: TestGitHub;
  let clock: number;
  let client: GitHubClient;

  beforeAll(async () => {
    github = await startTestGitHub();
  });
  afterAll(() => github.close());
  beforeEach(async () => {
    await github.control("/reset");
    clock = Date.now();
    client = createGitHubClient({
      settings: github.settings,
      resilience: testResilience({ maxRetries: 2 }),
      logger,
      now: () => clock,
    });
  });

  it("reuses an installation token until five minutes before its expires_at, whatever its length", async () => {
    const { id } = await github.control<{ id: number }>("/installations", {
      account: "acme",
      repositories: "all",
    });
    const first = await client.installation.accessToken(id);
    expect(first).toMatch(/^ghs_/);
    expect(first.length).not.toBe(40);
    expect(await client.installation.accessToken(id)).toBe(first);

    clock += 54 * 60_000; // 6 minutes of the hour left: still cached
    expect(await client.installation.accessToken(id)).toBe(first);
    clock += 2 * 60_000; // 4 minutes left: replaced
    const second = await client.installation.accessToken(id);
    expect(second).not.toBe(first);

    const repositories = await client.installation.listRepositories(id);
    expect(repositories.map((repo) => repo.full_name).sort()).toEqual(["acme/api", "acme/web"]);
  });

  it("shares one token request between concurrent callers", async () => {
    const { id } = await github.control<{ id: number }>("/installations", {
      account: "acme",
      repositories: "all",
    });
    const tokens = await Promise.all([1, 2, 3].map(() => client.installation.accessToken(id)));
    expect(new Set(tokens).size).toBe(1);
  });

  it("corrects for a clock GitHub disagrees with, using its Date header", async () => {
    clock = Date.now() + 20 * 60_000;
    const { id } = await github.control<{ id: number }>("/installations", {
      account: "acme",
      repositories: "all",
    });
    await expect(client.app.getInstallation(id)).resolves.toMatchObject({ id, account: { login: "acme" } });
  });

  it("maps GitHub's answers to typed errors: unknown, suspended, not installed", async () => {
    await expect(client.app.getInstallation(987654)).rejects.toMatchObject({
      code: "NOT_FOUND",
      reason: "GITHUB_NOT_FOUND",
      githubStatus: 404,
    });
    const { id } = await github.control<{ id: number }>("/installations", {
      account: "acme",
      repositories: "all",
    });
    await github.control(`/installations/${id}/suspend`);
    const error = await client.installation.accessToken(id).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(GitHubError);
    expect(error).toMatchObject({ code: "FORBIDDEN", reason: "INSTALLATION_SUSPENDED", status: 403 });
    expect(await client.app.findRepositoryInstallation("octocat", "hello")).toBeNull();
  });

  it("refuses credentials GitHub does not know with a clear error", async () => {
    await expect(client.user.get("ghu_not-a-real-token")).rejects.toMatchObject({
      code: "UNAUTHORIZED",
      reason: "GITHUB_BAD_CREDENTIALS",
      message: expect.stringContaining("Bad credentials"),
    });
    await expect(client.oauth.refresh("ghr_unknown")).rejects.toMatchObject({
      reason: "GITHUB_OAUTH_ERROR",
      code: "UNAUTHORIZED",
    });
  });

  it("retries through server errors via the resilience layer", async () => {
    const { id } = await github.control<{ id: number }>("/installations", {
      account: "acme",
      repositories: "all",
    });
    const patient = createGitHubClient({
      settings: github.settings,
      resilience: testResilience({ maxRetries: 12 }),
      logger,
    });
    await github.control("/faults", { errorRate: 0.3, errorStatus: 502 });
    for (let call = 0; call < 5; call++) {
      await expect(patient.installation.listRepositories(id)).resolves.toHaveLength(2);
    }
    await github.control("/faults", undefined, "DELETE");
  });

  it("gives up with typed errors on 5xx, rate limits and dropped connections", async () => {
    await github.control("/faults", { errorRate: 1, errorStatus: 503 });
    await expect(client.app.getInstallation(1)).rejects.toMatchObject({
      code: "BAD_GATEWAY",
      reason: "GITHUB_UNAVAILABLE",
      retryable: true,
    });
    await github.control("/faults", undefined, "DELETE");
    await github.control("/faults", { rateLimit: { retryAfterSeconds: 7, status: 429, rate: 1 } });
    await expect(client.app.getInstallation(1)).rejects.toMatchObject({
      code: "TOO_MANY_REQUESTS",
      reason: "GITHUB_RATE_LIMITED",
      retryAfterSeconds: 7,
      retryable: true,
    });
    await github.control("/faults", undefined, "DELETE");
    await github.control("/faults", { dropConnections: 1 });
    await expect(client.app.getInstallation(1)).rejects.toMatchObject({
      code: "SERVICE_UNAVAILABLE",
      reason: "GITHUB_UNREACHABLE",
      retryable: true,
    });
    await github.control("/faults", undefined, "DELETE");
  });
});
