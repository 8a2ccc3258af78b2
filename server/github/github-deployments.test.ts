// The GitHub client's deployment calls against the emulator over HTTP: branches, commits, file contents,
// tarball downloads (extracted with the real source-archive code) and GitHub Deployments with statuses.
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { type IncomingMessage, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { extractSourceArchive } from "../deployments/source-archive.ts";
import { createLogger } from "../observability/logger.ts";
import { startTestGitHub, testResilience, type TestGitHub } from "../test/github.ts";
import { type GitHubClient, createGitHubClient } from "./github-client.ts";
import type { GitHubAppSettings } from "./github-settings.ts";

const logger = createLogger({ level: "silent" });

type EmulatorState = { repositories: { fullName: string; branches: Record<string, string> }[] };
type RecordedDeployment = {
  id: number;
  sha: string;
  ref: string;
  environment: string;
  description: string | null;
  payload: unknown;
  transient_environment: boolean;
  production_environment: boolean;
  creator: { login: string };
  statuses: {
    state: string;
    description: string;
    log_url: string;
    target_url: string;
    environment_url: string;
  }[];
};

describe("GitHub client: deployment calls", () => {
  let github: TestGitHub;
  let client: GitHubClient;
  let installationId: number;
  let scratch: string;

  const clientFor = (settings: GitHubAppSettings, policy: Parameters<typeof testResilience>[0] = {}) =>
    createGitHubClient({ settings, resilience: testResilience({ maxRetries: 2, ...policy }), logger });

  async function branchHead(fullName: string, branch: string): Promise<string> {
    const state = await github.control<EmulatorState>("/state", undefined, "GET");
    const sha = state.repositories.find((repo) => repo.fullName === fullName)?.branches[branch];
    if (!sha) throw new Error(`no ${branch} in ${fullName}`);
    return sha;
  }

  async function extract(stream: ReadableStream<Uint8Array>): Promise<string> {
    const target = path.join(scratch, `source-${Math.random().toString(36).slice(2)}`);
    await extractSourceArchive(stream, target);
    return target;
  }

  beforeAll(async () => {
    github = await startTestGitHub();
  });
  afterAll(() => github.close());
  beforeEach(async () => {
    await github.control("/reset");
    client = clientFor(github.settings);
    ({ id: installationId } = await github.control<{ id: number }>("/installations", {
      account: "acme",
      repositories: ["web"],
    }));
    scratch = await mkdtemp(path.join(tmpdir(), "hangar-github-deployments-"));
  });
  afterEach(() => rm(scratch, { recursive: true, force: true }));

  it("gets a branch's head commit, branch names with slashes included; null when there is none", async () => {
    expect(await client.installation.getBranch(installationId, "acme", "web", "main")).toEqual({
      name: "main",
      commitSha: await branchHead("acme/web", "main"),
    });
    const { sha } = await github.control<{ sha: string }>("/repos/acme/web/push", {
      branch: "feature/greeting",
      message: "Greet",
    });
    expect(await client.installation.getBranch(installationId, "acme", "web", "feature/greeting")).toEqual({
      name: "feature/greeting",
      commitSha: sha,
    });
    expect(await client.installation.getBranch(installationId, "acme", "web", "no-such-branch")).toBeNull();
    // acme/api is not in the installation: GitHub answers 404, as for a repository that does not exist.
    expect(await client.installation.getBranch(installationId, "acme", "api", "main")).toBeNull();
  });

  it("gets a commit's message, author and page; null for an unknown sha (422) or repository (404)", async () => {
    const { sha } = await github.control<{ sha: string }>("/repos/acme/web/push", {
      branch: "main",
      message: "Serve on port 8080\n\nAnd say why in the body.",
      author: "hubot",
    });
    const commit = await client.installation.getCommit(installationId, "acme", "web", sha);
    expect(commit).toEqual({
      sha,
      message: "Serve on port 8080\n\nAnd say why in the body.",
      authorName: expect.stringMatching(/\S/),
      authorLogin: "hubot",
      url: `${github.settings.webUrl}/acme/web/commit/${sha}`,
    });
    expect((await client.installation.getCommit(installationId, "acme", "web", "main"))?.sha).toBe(sha);
    expect(await client.installation.getCommit(installationId, "acme", "web", "0".repeat(40))).toBeNull();
    expect(await client.installation.getCommit(installationId, "acme", "api", "main")).toBeNull();
  });

  it("reads a file's content at a commit; null for a missing file or a directory", async () => {
    const before = await branchHead("acme/web", "main");
    const { sha } = await github.control<{ sha: string }>("/repos/acme/web/push", {
      branch: "main",
      files: { "deploy/fly.toml": 'app = "acme-web"\nprimary_region = "ams"\n' },
    });
    const read = (file: string, ref: string) =>
      client.installation.getFileContent(installationId, "acme", "web", file, ref);
    expect(await read("deploy/fly.toml", sha)).toBe('app = "acme-web"\nprimary_region = "ams"\n');
    expect(await read("deploy/fly.toml", before)).toBeNull();
    expect(await read("Dockerfile", sha)).toContain("FROM node");
    expect(await read("deploy", sha)).toBeNull();
    expect(await read("no/such/file", sha)).toBeNull();
  });

  it("downloads the tarball at an exact sha, which extracts with the top-level directory stripped", async () => {
    const first = await github.control<{ sha: string }>("/repos/acme/web/push", {
      branch: "main",
      files: { "bin/start.sh": "#!/bin/sh\nexec node server.js\n", "public/index.html": "<h1>v1</h1>" },
    });
    await github.control("/repos/acme/web/push", {
      branch: "main",
      files: { "public/index.html": "<h1>v2</h1>" },
    });

    const source = await extract(
      await client.installation.downloadTarball(installationId, "acme", "web", first.sha),
    );
    expect(await readFile(path.join(source, "public/index.html"), "utf8")).toBe("<h1>v1</h1>");
    expect(await readFile(path.join(source, "Dockerfile"), "utf8")).toContain("FROM node");
    expect((await stat(path.join(source, "bin/start.sh"))).mode & 0o111).toBe(0o111);

    await expect(
      client.installation.downloadTarball(installationId, "acme", "web", "f".repeat(40)),
    ).rejects.toMatchObject({ code: "NOT_FOUND", reason: "GITHUB_NOT_FOUND" });
  });

  it("sends the installation token to the API but not to a download host on another origin", async () => {
    const seen: { origin: string; path: string; authorization: string | undefined }[] = [];
    // Two recording front doors to the emulator: one is the API, the other plays codeload.github.com.
    const codeload = await startRecordingProxy(
      "codeload",
      github.settings.webUrl,
      seen,
      (location) => location,
    );
    const api = await startRecordingProxy("api", github.settings.webUrl, seen, (location) =>
      location.replace(github.settings.webUrl, codeload.url),
    );
    try {
      const viaProxies = clientFor({ ...github.settings, apiUrl: `${api.url}/api/v3` });
      const sha = await branchHead("acme/web", "main");
      const source = await extract(
        await viaProxies.installation.downloadTarball(installationId, "acme", "web", sha),
      );
      expect(await readFile(path.join(source, "fly.toml"), "utf8")).toContain("acme-web");

      const tarballRequest = seen.find((request) => request.path.includes("/tarball/"));
      expect(tarballRequest).toMatchObject({
        origin: "api",
        authorization: expect.stringMatching(/^token ghs_/),
      });
      const download = seen.find((request) => request.path.startsWith("/codeload/"));
      expect(download).toMatchObject({ origin: "codeload", authorization: undefined });
    } finally {
      await Promise.all([api.close(), codeload.close()]);
    }
  });

  it("retries the tarball request through server errors, and keeps the body past the attempt timeout", async () => {
    const patient = clientFor(github.settings, { maxRetries: 12, timeoutMs: 1_000 });
    const sha = await branchHead("acme/web", "main");
    await github.control("/faults", { errorRate: 0.5, errorStatus: 502, routes: "/repos/acme/web/tarball" });
    for (let download = 0; download < 3; download++) {
      const stream = await patient.installation.downloadTarball(installationId, "acme", "web", sha);
      // Read after the per-attempt timeout: it bounds waiting for an answer, not reading the body.
      await new Promise((resolve) => setTimeout(resolve, download === 0 ? 1_200 : 0));
      const source = await extract(stream);
      expect(await readFile(path.join(source, "server.js"), "utf8")).toContain("createServer");
    }
    await github.control("/faults", undefined, "DELETE");
  });

  it("stops a download when its signal is aborted", async () => {
    const sha = await branchHead("acme/web", "main");
    const aborted = new AbortController();
    aborted.abort(new Error("deployment cancelled"));
    await expect(
      client.installation.downloadTarball(installationId, "acme", "web", sha, aborted.signal),
    ).rejects.toThrow("deployment cancelled");
  });

  it("creates a deployment without auto-merge or required contexts, and posts its statuses", async () => {
    // feature/greeting is behind main: with auto_merge GitHub would merge main into it and answer 202.
    await github.control("/repos/acme/web/push", { branch: "main", message: "Main moves on" });
    const greeting = await branchHead("acme/web", "feature/greeting");
    const { id } = await client.installation.createDeployment(installationId, "acme", "web", {
      ref: "feature/greeting",
      environment: "web – preview",
      description: "Hangar deployment #7 to acme-web-pr-3",
      payload: { deploymentId: "d_123" },
      transientEnvironment: true,
      productionEnvironment: false,
    });
    expect(await branchHead("acme/web", "feature/greeting")).toBe(greeting);

    const post = (state: "in_progress" | "success" | "failure", extra: Record<string, string> = {}) =>
      client.installation.createDeploymentStatus(installationId, "acme", "web", id, { state, ...extra });
    await post("in_progress", { logUrl: "https://hangar.test/deployments/d_123" });
    await post("success", {
      logUrl: "https://hangar.test/deployments/d_123",
      environmentUrl: "https://acme-web-pr-3.fly.dev",
      description: "Live. ".repeat(40),
    });

    const [recorded] = await github.control<RecordedDeployment[]>("/deployments", undefined, "GET");
    expect(recorded).toMatchObject({
      id,
      sha: greeting,
      ref: "feature/greeting",
      environment: "web – preview",
      description: "Hangar deployment #7 to acme-web-pr-3",
      payload: { deploymentId: "d_123" },
      transient_environment: true,
      production_environment: false,
      creator: { login: "hangar-test[bot]" },
    });
    expect(recorded?.statuses.map((status) => status.state)).toEqual(["in_progress", "success"]);
    expect(recorded?.statuses[1]).toMatchObject({
      log_url: "https://hangar.test/deployments/d_123",
      target_url: "https://hangar.test/deployments/d_123",
      environment_url: "https://acme-web-pr-3.fly.dev",
      description: "Live. ".repeat(40).slice(0, 140),
    });
  });

  it("leaves GitHub's defaults to GitHub, and reports a missing deployment", async () => {
    const sha = await branchHead("acme/web", "main");
    const { id } = await client.installation.createDeployment(installationId, "acme", "web", {
      ref: sha,
      environment: "production",
      description: "Hangar deployment #1",
    });
    const [recorded] = await github.control<RecordedDeployment[]>("/deployments", undefined, "GET");
    expect(recorded).toMatchObject({ id, sha, production_environment: true, transient_environment: false });
    await expect(
      client.installation.createDeploymentStatus(installationId, "acme", "web", id + 1000, {
        state: "failure",
      }),
    ).rejects.toMatchObject({ code: "NOT_FOUND", githubStatus: 404 });
  });

  it("does not repeat a deployment POST after an ambiguous failure, as it may have been created", async () => {
    const seen: { origin: string; path: string; authorization: string | undefined }[] = [];
    const api = await startRecordingProxy("api", github.settings.webUrl, seen, (location) => location);
    try {
      const patient = clientFor({ ...github.settings, apiUrl: `${api.url}/api/v3` }, { maxRetries: 5 });
      await github.control("/faults", {
        errorRate: 1,
        errorStatus: 502,
        routes: "/repos/acme/web/deployments",
      });
      const input = { ref: "main", environment: "production", description: "Hangar deployment #2" };
      await expect(
        patient.installation.createDeployment(installationId, "acme", "web", input),
      ).rejects.toMatchObject({
        code: "BAD_GATEWAY",
        reason: "GITHUB_UNAVAILABLE",
      });
      expect(seen.filter((request) => request.path.endsWith("/repos/acme/web/deployments"))).toHaveLength(1);
      // A rate limit means GitHub did nothing: that one is retried.
      await github.control("/faults", {
        rateLimit: { retryAfterSeconds: 0, rate: 1 },
        routes: "/repos/acme/web/deployments",
      });
      await expect(
        patient.installation.createDeployment(installationId, "acme", "web", input),
      ).rejects.toMatchObject({
        reason: "GITHUB_RATE_LIMITED",
      });
      expect(seen.filter((request) => request.path.endsWith("/repos/acme/web/deployments"))).toHaveLength(
        1 + 6,
      );
    } finally {
      await github.control("/faults", undefined, "DELETE");
      await api.close();
    }
  });
});

/**
 * A front door to `upstream` on its own port (so its own origin) that records each request's path and
 * Authorization header, and rewrites redirect locations with `rewrite`.
 */
async function startRecordingProxy(
  origin: string,
  upstream: string,
  seen: { origin: string; path: string; authorization: string | undefined }[],
  rewrite: (location: string) => string,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer(async (request: IncomingMessage, response: ServerResponse) => {
    seen.push({ origin, path: request.url ?? "", authorization: request.headers.authorization });
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const headers = new Headers();
    for (const [name, value] of Object.entries(request.headers)) {
      if (typeof value === "string" && !["host", "connection", "content-length"].includes(name)) {
        headers.set(name, value);
      }
    }
    const answer = await fetch(`${upstream}${request.url ?? ""}`, {
      method: request.method,
      headers,
      body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
      redirect: "manual",
    });
    const answerHeaders: Record<string, string> = {};
    for (const [name, value] of answer.headers) {
      if (!["content-length", "content-encoding", "transfer-encoding", "connection"].includes(name)) {
        answerHeaders[name] = name === "location" ? rewrite(value) : value;
      }
    }
    response.writeHead(answer.status, answerHeaders);
    response.end(Buffer.from(await answer.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
