// The real entry point as `npm start` runs it: boots on an embedded database, survives a restart with
// its data, refuses a second instance on the same data directory, and stops cleanly on SIGTERM.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { findFreePort } from "./db/embedded-postgres.ts";
import {
  type HangarProcess,
  startHangarProcess as startHangar,
  waitForReady,
} from "./test/hangar-process.ts";

/** The process's nice value, from /proc (field 19 of its stat line). */
function niceOf(started: HangarProcess): number {
  const stat = fs.readFileSync(`/proc/${started.child.pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);
}

describe("npm start (server/main.ts)", { timeout: 120_000 }, () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "hangar-main-"));
  fs.chmodSync(dataDir, 0o777);
  const running: HangarProcess[] = [];
  afterAll(() => {
    for (const started of running) started.signalGroup("SIGKILL");
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("starts on an embedded database, keeps data across a restart and refuses a second instance", async () => {
    const port = await findFreePort();
    const url = `http://127.0.0.1:${port}`;
    const env = { PORT: String(port), HANGAR_DATA_DIR: dataDir, PUBLIC_URL: url };

    const first = startHangar(env);
    running.push(first);
    await waitForReady(url, first);
    const signUp = await fetch(`${url}/api/auth/sign-up/email`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: url },
      body: JSON.stringify({
        email: "restart@example.com",
        password: "correct-horse-battery",
        name: "Restart",
      }),
    });
    expect(signUp.status).toBe(200);
    // Sandbox mode started both emulators and says where they are.
    const sandbox = (await (await fetch(`${url}/api/sandbox`)).json()) as {
      mode: string;
      github: { controlUrl: string };
    };
    expect(sandbox.mode).toBe("sandbox");
    expect((await fetch(sandbox.github.controlUrl)).status).toBe(200);

    const second = startHangar({ ...env, PORT: String(await findFreePort()) });
    running.push(second);
    expect(await second.exited).not.toBe(0);
    expect(second.output()).toMatch(/data directory .* is in use by another Hangar/);

    // Both roles in one process: it keeps its CPU priority.
    expect(niceOf(first)).toBe(0);
    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);
    expect(first.output()).toContain("shutting down");

    // Restarted as a worker-only process, which yields the CPU to web processes (WORKER_NICE).
    const restarted = startHangar({ ...env, HANGAR_ROLE: "worker" });
    running.push(restarted);
    await waitForReady(url, restarted);
    expect(niceOf(restarted)).toBe(10);
    const signIn = await fetch(`${url}/api/auth/sign-in/email`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: url },
      body: JSON.stringify({ email: "restart@example.com", password: "correct-horse-battery" }),
    });
    expect(signIn.status).toBe(200);
    restarted.child.kill("SIGTERM");
    expect(await restarted.exited).toBe(0);
  });

  it("exits non-zero with one message listing every invalid variable", async () => {
    const started = startHangar({ PORT: "not-a-port", LOG_LEVEL: "loud", HANGAR_DATA_DIR: dataDir });
    expect(await started.exited).toBe(1);
    expect(started.output()).toMatch(/Invalid configuration:[\s\S]*PORT[\s\S]*LOG_LEVEL/);
  });

  it("says when the port is taken", async () => {
    const blocker = (await import("node:net")).createServer();
    const port = await findFreePort();
    await new Promise<void>((resolve) => blocker.listen(port, "127.0.0.1", resolve));
    const otherDir = fs.mkdtempSync(path.join(os.tmpdir(), "hangar-port-"));
    fs.chmodSync(otherDir, 0o777);
    const started = startHangar({ PORT: String(port), HANGAR_DATA_DIR: otherDir });
    running.push(started);
    expect(await started.exited).toBe(1);
    expect(started.output()).toMatch(/Port \d+ is already in use/);
    blocker.close();
    fs.rmSync(otherDir, { recursive: true, force: true });
  });
});
