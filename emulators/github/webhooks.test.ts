import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  APP_ID,
  startReceiver,
  startTestEmulator,
  WEBHOOK_SECRET,
  type TestEmulator,
} from "./test-support.ts";

let gh: TestEmulator;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  receiver = await startReceiver();
  gh = await startTestEmulator({ webhookUrl: receiver.url, setupUrl: "http://hangar.test/api/github/setup" });
});
afterAll(async () => {
  await gh.close();
  await receiver.close();
});

interface DeliveryItem {
  id: number;
  guid: string;
  event: string;
  action: string | null;
  status: string;
  status_code: number;
  redelivery: boolean;
  duration: number;
}

async function lastReceived() {
  await gh.control("/deliveries/wait");
  const delivery = receiver.received.at(-1);
  if (!delivery) throw new Error("nothing received");
  return delivery;
}

describe("delivery", () => {
  it("POSTs signed JSON with GitHub's headers (signature over the exact bytes)", async () => {
    await gh.installation("acme", "all");
    const { deliveryId, sha } = await gh.control<{ deliveryId: string; sha: string }>(
      "/repos/acme/web/push",
      {
        branch: "main",
        message: "Ship it",
      },
    );
    const delivery = await lastReceived();
    const { headers, body } = delivery;
    expect(headers["content-type"]).toBe("application/json");
    expect(headers["user-agent"]).toMatch(/^GitHub-Hookshot\/[0-9a-f]{7}$/);
    expect(headers["x-github-event"]).toBe("push");
    expect(headers["x-github-delivery"]).toBe(deliveryId);
    expect(headers["x-github-delivery"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(headers["x-github-hook-id"]).toMatch(/^\d+$/);
    expect(headers["x-github-hook-installation-target-type"]).toBe("integration");
    expect(headers["x-github-hook-installation-target-id"]).toBe(String(APP_ID));
    const sha256 = createHmac("sha256", WEBHOOK_SECRET).update(body).digest("hex");
    const sha1 = createHmac("sha1", WEBHOOK_SECRET).update(body).digest("hex");
    expect(headers["x-hub-signature-256"]).toBe(`sha256=${sha256}`);
    expect(headers["x-hub-signature"]).toBe(`sha1=${sha1}`);
    const payload = JSON.parse(body.toString("utf8")) as {
      after: string;
      ref: string;
      head_commit: { message: string };
    };
    expect(payload).toMatchObject({
      after: sha,
      ref: "refs/heads/main",
      head_commit: { message: "Ship it" },
    });
  });

  it("push payloads describe creation, force-push and deletion like GitHub", async () => {
    const created = await gh.control<{ sha: string }>("/repos/acme/web/push", {
      branch: "release",
      message: "Cut",
    });
    const createdPayload = JSON.parse((await lastReceived()).body.toString()) as Record<string, unknown>;
    expect(createdPayload).toMatchObject({
      created: true,
      deleted: false,
      forced: false,
      before: "0".repeat(40),
      after: created.sha,
    });
    await gh.control("/repos/acme/web/push", { branch: "release", message: "Amended", force: true });
    const forced = JSON.parse((await lastReceived()).body.toString()) as Record<string, unknown>;
    expect(forced).toMatchObject({ forced: true, before: created.sha });
    await gh.control("/repos/acme/web/branches/release", {}, "DELETE");
    const deleted = JSON.parse((await lastReceived()).body.toString()) as Record<string, unknown>;
    expect(deleted).toMatchObject({ deleted: true, after: "0".repeat(40), head_commit: null, commits: [] });
  });

  it("records each attempt with status and duration, and never retries a failure", async () => {
    receiver.setStatus(500);
    const before = receiver.received.length;
    const { deliveryId } = await gh.control<{ deliveryId: string }>("/repos/acme/web/push", {
      branch: "main",
    });
    await gh.control("/deliveries/wait");
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(receiver.received.length).toBe(before + 1);
    receiver.setStatus(200);
    const jwt = `Bearer ${await gh.appJwt()}`;
    const failed = (await (
      await gh.rest("/app/hook/deliveries?status=failure", { auth: jwt })
    ).json()) as DeliveryItem[];
    const attempt = failed.find((item) => item.guid === deliveryId);
    expect(attempt).toMatchObject({
      status_code: 500,
      status: "Invalid HTTP Response: 500",
      redelivery: false,
    });
    expect(attempt?.duration).toBeGreaterThanOrEqual(0);
  });

  it("redelivery keeps the guid, gets a new id and redelivery: true", async () => {
    const { deliveryId } = await gh.control<{ deliveryId: string }>("/repos/acme/web/push", {
      branch: "main",
    });
    await gh.control("/deliveries/wait");
    const jwt = `Bearer ${await gh.appJwt()}`;
    const list = (await (await gh.rest("/app/hook/deliveries", { auth: jwt })).json()) as DeliveryItem[];
    const original = list.find((item) => item.guid === deliveryId);
    if (!original) throw new Error("delivery not listed");
    const firstBody = receiver.received.at(-1)?.body;
    const attempt = await gh.rest(`/app/hook/deliveries/${original.id}/attempts`, {
      method: "POST",
      auth: jwt,
    });
    expect(attempt.status).toBe(202);
    const again = await lastReceived();
    expect(again.headers["x-github-delivery"]).toBe(deliveryId);
    expect(again.body.equals(firstBody ?? Buffer.alloc(0))).toBe(true);
    const after = (await (await gh.rest("/app/hook/deliveries", { auth: jwt })).json()) as DeliveryItem[];
    const redelivered = after.filter((item) => item.guid === deliveryId);
    expect(redelivered).toHaveLength(2);
    expect(redelivered[0]).toMatchObject({ redelivery: true, status: "OK", status_code: 200 });
    expect(redelivered[0]?.id).not.toBe(original.id);
  });

  it("lists deliveries newest first with cursor pagination in the Link header", async () => {
    const jwt = `Bearer ${await gh.appJwt()}`;
    const first = await gh.rest("/app/hook/deliveries?per_page=2", { auth: jwt });
    const link = first.headers.get("link") ?? "";
    expect(link).toMatch(/<[^>]+cursor=v1_\d+>; rel="next"/);
    const next = link.slice(1, link.indexOf(">"));
    const page1 = (await first.json()) as DeliveryItem[];
    const page2 = (await (
      await fetch(next, { headers: { "user-agent": "t", authorization: jwt } })
    ).json()) as DeliveryItem[];
    expect(page1[0]?.id).toBeGreaterThan(page1[1]?.id ?? 0);
    expect(page2[0]?.id).toBeLessThan(page1[1]?.id ?? 0);
  });

  it("records a failed connection as 'failed to connect'", async () => {
    await gh.control("/hook", { url: "http://127.0.0.1:9/nothing-listens-here" }, "PATCH");
    const { deliveryId: failing } = await gh.control<{ deliveryId: string }>("/ping");
    await gh.control("/deliveries/wait");
    await gh.control("/hook", { url: receiver.url }, "PATCH");
    const all = await gh.control<(DeliveryItem & { state: string })[]>("/deliveries", undefined, "GET");
    expect(all.find((item) => item.guid === failing)).toMatchObject({
      status: "failed to connect",
      status_code: 502,
    });
  });
});

describe("install flow", () => {
  it("creates the installation, sends installation.created, and redirects to the Setup URL", async () => {
    const page = await fetch(`${gh.url}/apps/hangar-sandbox/installations/new?login=octocat&state=abc`);
    const html = await page.text();
    expect(html).toContain("acme");
    expect(html).toContain("octocat");
    const response = await fetch(`${gh.url}/apps/hangar-sandbox/installations`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        login: "octocat",
        account: "octocat",
        repository_selection: "all",
        state: "abc",
      }),
      redirect: "manual",
    });
    expect(response.status).toBe(302);
    const setup = new URL(response.headers.get("location") ?? "");
    expect(setup.origin + setup.pathname).toBe("http://hangar.test/api/github/setup");
    expect(setup.searchParams.get("setup_action")).toBe("install");
    expect(setup.searchParams.get("state")).toBe("abc");
    const id = Number(setup.searchParams.get("installation_id"));
    const delivery = await lastReceived();
    expect(delivery.headers["x-github-event"]).toBe("installation");
    expect(JSON.parse(delivery.body.toString())).toMatchObject({ action: "created", installation: { id } });
  });

  it("an update sends installation_repositories and setup_action=update", async () => {
    const state = await gh.control<{ installations: { id: number; account: { login: string } }[] }>(
      "/state",
      undefined,
      "GET",
    );
    const acme = state.installations.find((item) => item.account.login === "acme");
    const response = await fetch(`${gh.url}/apps/hangar-sandbox/installations`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `login=octocat&account=acme&repository_selection=selected&repository_ids=702114001`,
      redirect: "manual",
    });
    const setup = new URL(response.headers.get("location") ?? "");
    expect(setup.searchParams.get("setup_action")).toBe("update");
    expect(Number(setup.searchParams.get("installation_id"))).toBe(acme?.id);
    const delivery = await lastReceived();
    expect(delivery.headers["x-github-event"]).toBe("installation_repositories");
    expect(JSON.parse(delivery.body.toString())).toMatchObject({
      action: "removed",
      repository_selection: "selected",
      repositories_removed: [{ full_name: "acme/api" }],
    });
  });

  it("refuses an account the user does not administer", async () => {
    const response = await fetch(`${gh.url}/apps/hangar-sandbox/installations`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "login=hubot&account=acme&repository_selection=all",
      redirect: "manual",
    });
    expect(response.status).toBe(403);
  });
});

describe("pull requests", () => {
  it("open, synchronize, merge: pull_request events with GitHub's fields, fork head.repo differs", async () => {
    const { number } = await gh.control<{ number: number }>("/repos/acme/web/pulls", {
      head: "feature/greeting",
      title: "Hi",
    });
    const opened = JSON.parse((await lastReceived()).body.toString()) as { action: string; number: number };
    expect(opened).toMatchObject({ action: "opened", number });
    const sync = await gh.control<{ sha: string }>(`/repos/acme/web/pulls/${number}/synchronize`, {
      message: "More",
    });
    const synchronized = JSON.parse((await lastReceived()).body.toString()) as Record<string, unknown>;
    expect(synchronized).toMatchObject({
      action: "synchronize",
      after: sync.sha,
      pull_request: { head: { sha: sync.sha } },
    });
    await gh.control(`/repos/acme/web/pulls/${number}/merge`);
    const closed = JSON.parse((await lastReceived()).body.toString()) as Record<string, unknown>;
    expect(closed).toMatchObject({ action: "closed", pull_request: { merged: true, state: "closed" } });
    await gh.control("/repos/acme/web/pulls", { head: "main", headOwner: "hubot", title: "Fork" });
    const fork = JSON.parse((await lastReceived()).body.toString()) as {
      pull_request: {
        head: { repo: { full_name: string; fork: boolean } };
        base: { repo: { full_name: string } };
      };
    };
    expect(fork.pull_request.head.repo).toMatchObject({ full_name: "hubot/web", fork: true });
    expect(fork.pull_request.base.repo.full_name).toBe("acme/web");
  });
});
