import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { extract } from "tar";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestEmulator, type TestEmulator } from "./test-support.ts";

let gh: TestEmulator;
let auth: string;

beforeAll(async () => {
  gh = await startTestEmulator();
  auth = `token ${(await gh.installation("acme", "all")).token}`;
});
afterAll(() => gh.close());

describe("pagination", () => {
  it("pages with per_page/page and GitHub's Link header", async () => {
    const first = await gh.rest("/installation/repositories?per_page=1", { auth });
    const link = first.headers.get("link") ?? "";
    expect(link).toContain(`<${gh.api}/installation/repositories?per_page=1&page=2>; rel="next"`);
    expect(link).toContain('page=2>; rel="last"');
    const second = await gh.rest("/installation/repositories?per_page=1&page=2", { auth });
    const secondLink = second.headers.get("link") ?? "";
    expect(secondLink).toContain('page=1>; rel="prev"');
    expect(secondLink).toContain('page=1>; rel="first"');
    expect(secondLink).not.toContain('rel="next"');
    const names = [first, second].map(
      async (response) =>
        ((await response.json()) as { repositories: { name: string }[] }).repositories[0]?.name,
    );
    expect(await Promise.all(names)).toEqual(["web", "api"]);
  });
});

describe("contents", () => {
  it("returns base64 wrapped at 60 characters, raw on request, and directory listings", async () => {
    const file = (await (await gh.rest("/repos/acme/web/contents/server.js", { auth })).json()) as {
      content: string;
      encoding: string;
      sha: string;
      type: string;
    };
    expect(file).toMatchObject({
      type: "file",
      encoding: "base64",
      sha: expect.stringMatching(/^[0-9a-f]{40}$/),
    });
    expect(file.content.split("\n").every((line) => line.length <= 60)).toBe(true);
    const text = Buffer.from(file.content, "base64").toString("utf8");
    expect(text).toContain("createServer");
    const raw = await gh.rest("/repos/acme/web/contents/server.js", {
      auth,
      headers: { accept: "application/vnd.github.raw+json" },
    });
    expect(await raw.text()).toBe(text);
    const dir = (await (await gh.rest("/repos/acme/api/contents/services/api", { auth })).json()) as {
      name: string;
    }[];
    expect(dir.map((entry) => entry.name)).toContain("fly.toml");
    expect((await gh.rest("/repos/acme/web/contents/nope.txt", { auth })).status).toBe(404);
    expect((await gh.rest("/repos/acme/web/contents/README.md?ref=unknown-ref", { auth })).status).toBe(404);
  });

  it("serves a pushed file at the new sha and the old content at the old sha", async () => {
    const before = (await (await gh.rest("/repos/acme/web/branches/main", { auth })).json()) as {
      commit: { sha: string };
    };
    const { sha } = await gh.control<{ sha: string }>("/repos/acme/web/push", {
      branch: "main",
      message: "Change the port",
      files: { "fly.toml": 'app = "acme-web"\n' },
    });
    const read = async (ref: string) =>
      (await (await gh.rest(`/repos/acme/web/contents/fly.toml?ref=${ref}`, { auth })).json()) as {
        content: string;
      };
    expect(Buffer.from((await read(sha)).content, "base64").toString()).toBe('app = "acme-web"\n');
    expect(Buffer.from((await read(before.commit.sha)).content, "base64").toString()).toContain(
      "internal_port",
    );
  });
});

describe("commits", () => {
  it("returns a commit by branch, heads/branch, full or short sha; an unknown ref is 422", async () => {
    const { sha } = await gh.control<{ sha: string }>("/repos/acme/web/push", {
      branch: "feature/greeting",
      message: "Say hello louder\n\nWith a body.",
      author: "hubot",
      files: { "greeting.txt": "HELLO\n" },
    });
    type CommitBody = {
      sha: string;
      html_url: string;
      commit: { message: string; author: { name: string; email: string } };
      author: { login?: string };
      parents: { sha: string }[];
    };
    const get = async (ref: string) => {
      const response = await gh.rest(`/repos/acme/web/commits/${ref}`, { auth });
      return { status: response.status, body: (await response.json()) as CommitBody };
    };
    const byBranch = await get("feature/greeting");
    expect(byBranch.status).toBe(200);
    expect(byBranch.body).toMatchObject({
      sha,
      html_url: `${gh.url}/acme/web/commit/${sha}`,
      commit: { message: "Say hello louder\n\nWith a body.", author: { name: expect.any(String) } },
      author: { login: "hubot" },
    });
    expect(byBranch.body.parents).toHaveLength(1);
    for (const ref of ["heads/feature/greeting", sha, sha.slice(0, 7)]) {
      expect((await get(ref)).body.sha).toBe(sha);
    }
    const parent = await get(byBranch.body.parents[0]?.sha ?? "");
    expect(parent.body.sha).not.toBe(sha);

    const unknown = await gh.rest("/repos/acme/web/commits/no-such-branch", { auth });
    expect(unknown.status).toBe(422);
    expect(await unknown.json()).toMatchObject({ message: "No commit found for SHA: no-such-branch" });
    expect((await gh.rest(`/repos/acme/web/commits/${sha}`)).status).toBe(404);
  });
});

describe("tarball", () => {
  it("redirects to a download whose archive root is {owner}-{repo}-{sha7}/", async () => {
    const branch = (await (await gh.rest("/repos/acme/api/branches/main", { auth })).json()) as {
      commit: { sha: string };
    };
    const redirect = await gh.rest("/repos/acme/api/tarball/main", { auth });
    expect(redirect.status).toBe(302);
    const location = redirect.headers.get("location") ?? "";
    expect(location).toContain("/codeload/acme/api/legacy.tar.gz/refs/heads/main?token=");
    const download = await fetch(location);
    expect(download.status).toBe(200);
    const dir = await mkdtemp(join(tmpdir(), "gh-emulator-tar-"));
    try {
      await writeFile(join(dir, "archive.tar.gz"), Buffer.from(await download.arrayBuffer()));
      await extract({ file: join(dir, "archive.tar.gz"), cwd: dir });
      const root = `acme-api-${branch.commit.sha.slice(0, 7)}`;
      expect((await readdir(dir)).sort()).toEqual([root, "archive.tar.gz"].sort());
      expect(await readFile(join(dir, root, "services/api/fly.toml"), "utf8")).toContain('app = "acme-api"');
      expect(await readFile(join(dir, root, "Dockerfile"), "utf8")).toContain("FROM node");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    // The link is bound to its token; without it a private archive is not found.
    expect((await fetch(location.replace(/\?token=.*/, ""))).status).toBe(404);
  });
});

describe("deployments", () => {
  it("records deployments and statuses as GitHub does (log_url → target_url, creator is the App bot)", async () => {
    const created = (await (
      await gh.rest("/repos/acme/web/deployments", {
        method: "POST",
        auth,
        body: {
          ref: "main",
          auto_merge: false,
          required_contexts: [],
          environment: "preview-pr-1",
          transient_environment: true,
        },
      })
    ).json()) as { id: number; creator: { login: string; type: string }; production_environment: boolean };
    expect(created.creator).toMatchObject({ login: "hangar-sandbox[bot]", type: "Bot" });
    expect(created.production_environment).toBe(false);
    const status = (await (
      await gh.rest(`/repos/acme/web/deployments/${created.id}/statuses`, {
        method: "POST",
        auth,
        body: { state: "in_progress", log_url: "https://hangar.test/deployments/1" },
      })
    ).json()) as { target_url: string; log_url: string };
    expect(status).toMatchObject({
      target_url: "https://hangar.test/deployments/1",
      log_url: "https://hangar.test/deployments/1",
    });
    const tooLong = await gh.rest(`/repos/acme/web/deployments/${created.id}/statuses`, {
      method: "POST",
      auth,
      body: { state: "failure", description: "x".repeat(141) },
    });
    expect(tooLong.status).toBe(422);
    const recorded = await gh.control<{ id: number; statuses: { state: string }[] }[]>(
      "/deployments",
      undefined,
      "GET",
    );
    expect(recorded.find((deployment) => deployment.id === created.id)?.statuses.map((s) => s.state)).toEqual(
      ["in_progress"],
    );
  });

  it("required_contexts that never reported make a 409; a missing ref is 422", async () => {
    const conflict = await gh.rest("/repos/acme/web/deployments", {
      method: "POST",
      auth,
      body: { ref: "main", auto_merge: false, required_contexts: ["ci"] },
    });
    expect(conflict.status).toBe(409);
    expect((await gh.rest("/repos/acme/web/deployments", { method: "POST", auth, body: {} })).status).toBe(
      422,
    );
  });

  it("auto_inactive marks the earlier successful deployment of a non-production environment inactive", async () => {
    const deploy = async () => {
      const { id } = (await (
        await gh.rest("/repos/acme/web/deployments", {
          method: "POST",
          auth,
          body: { ref: "main", auto_merge: false, environment: "staging" },
        })
      ).json()) as { id: number };
      await gh.rest(`/repos/acme/web/deployments/${id}/statuses`, {
        method: "POST",
        auth,
        body: { state: "success" },
      });
      return id;
    };
    const first = await deploy();
    await deploy();
    const statuses = (await (
      await gh.rest(`/repos/acme/web/deployments/${first}/statuses`, { auth })
    ).json()) as { state: string }[];
    expect(statuses.map((status) => status.state)).toEqual(["inactive", "success"]);
  });
});

describe("pull request comments", () => {
  it("creates and updates a comment in place", async () => {
    const { number } = await gh.control<{ number: number }>("/repos/acme/web/pulls", {
      head: "feature/greeting",
    });
    const created = await gh.rest(`/repos/acme/web/issues/${number}/comments`, {
      method: "POST",
      auth,
      body: { body: "Deploying…" },
    });
    expect(created.status).toBe(201);
    const { id, url } = (await created.json()) as { id: number; url: string };
    expect(created.headers.get("location")).toBe(url);
    await gh.rest(`/repos/acme/web/issues/comments/${id}`, {
      method: "PATCH",
      auth,
      body: { body: "Ready" },
    });
    const comments = await gh.control<{ id: number; body: string; issue_number: number }[]>(
      "/comments",
      undefined,
      "GET",
    );
    expect(comments).toEqual([expect.objectContaining({ id, body: "Ready", issue_number: number })]);
    expect(
      (await gh.rest("/repos/acme/web/issues/999/comments", { method: "POST", auth, body: { body: "x" } }))
        .status,
    ).toBe(404);
  });
});
