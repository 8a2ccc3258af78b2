// SIGKILL the real server while deliveries are arriving, restart it, and check that every delivery it
// acknowledged was stored and processed exactly once (SPEC §8). And a delivery whose processing kills
// its worker process every time: it ends as failed, and the deliveries beside it are processed.
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findFreePort } from "../db/embedded-postgres.ts";
import { createTestDatabase, type TestDatabase } from "../test/database.ts";
import { TEST_WEBHOOK_SECRET } from "../test/harness.ts";
import { type HangarProcess, startHangarProcess, waitForReady } from "../test/hangar-process.ts";
import { pushPayload, storeDelivery } from "../test/webhooks.ts";
import { signPayload } from "./signature.ts";
import { MAX_PROCESSING_ATTEMPTS } from "./webhook.repository.ts";

const DELIVERIES = 400;

const POISON_REPOSITORY = "acme/poison";
const DIES_WITH_CODE = 70;

describe("crash recovery", { timeout: 120_000 }, () => {
  let database: TestDatabase;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "hangar-crash-"));
  const children: HangarProcess[] = [];
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    for (const child of children) child.signalGroup("SIGKILL");
    await database.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("processes every acknowledged delivery exactly once after a SIGKILL mid-load", async () => {
    const port = await findFreePort();
    const url = `http://127.0.0.1:${port}`;
    const env = {
      PORT: String(port),
      PUBLIC_URL: url,
      DATABASE_URL: database.url,
      HANGAR_DATA_DIR: dataDir,
      GITHUB_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
    };
    const first = startHangarProcess({ ...env, LOG_LEVEL: "warn" });
    children.push(first);
    await waitForReady(url, first);

    const acknowledged: string[] = [];
    let sent = 0;
    const sendOne = async () => {
      const deliveryId = randomUUID();
      const body = JSON.stringify({ zen: "crash", hook_id: sent });
      const response = await fetch(`${url}/api/webhooks/github`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-github-event": "ping",
          "x-github-delivery": deliveryId,
          "x-hub-signature-256": signPayload(TEST_WEBHOOK_SECRET, body),
        },
        body,
      }).catch(() => null);
      if (response?.status === 202) acknowledged.push(deliveryId);
    };
    const senders = Array.from({ length: 16 }, async () => {
      while (sent < DELIVERIES) {
        sent++;
        await sendOne();
      }
    });
    // Kill the server without warning once it has acknowledged a good share of the load.
    while (acknowledged.length < DELIVERIES / 4) await new Promise((resolve) => setTimeout(resolve, 5));
    first.signalGroup("SIGKILL");
    await Promise.all(senders);
    expect(acknowledged.length).toBeGreaterThan(0);
    expect(acknowledged.length).toBeLessThan(DELIVERIES);

    const second = startHangarProcess({ ...env, LOG_LEVEL: "warn" });
    children.push(second);
    await waitForReady(url, second);

    const pending = async () =>
      (
        await database.pool.query<{ count: number }>(
          `SELECT count(*)::int AS count FROM webhook_delivery WHERE "deliveryId" = ANY($1) AND status = 'received'`,
          [acknowledged],
        )
      ).rows[0]?.count ?? -1;
    for (let attempt = 0; attempt < 600 && (await pending()) > 0; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const { rows } = await database.pool.query<{ deliveryId: string; status: string; attempts: number }>(
      `SELECT "deliveryId", status, attempts FROM webhook_delivery WHERE "deliveryId" = ANY($1)`,
      [acknowledged],
    );
    expect(rows).toHaveLength(acknowledged.length);
    expect(rows.filter((row) => row.status !== "processed")).toEqual([]);
    // The outcome and the attempt counter commit together, so one attempt means processed once.
    expect(rows.filter((row) => row.attempts !== 1)).toEqual([]);
    second.signalGroup("SIGTERM");
  });

  it("fails a delivery that stops its worker every time, and processes the rest of its batch", async () => {
    const storePush = (repositoryName: string) =>
      storeDelivery(database.pool, "push", pushPayload(repositoryName));
    const before = [await storePush("acme/web"), await storePush("acme/api")];
    const poison = await storePush(POISON_REPOSITORY);
    const after = [await storePush("acme/web"), await storePush("acme/docs")];
    const waiting = async () =>
      (
        await database.pool.query<{ count: number }>(
          `SELECT count(*)::int AS count FROM webhook_delivery WHERE id = ANY($1::uuid[]) AND status = 'received'`,
          [[...before, poison, ...after]],
        )
      ).rows[0]?.count ?? -1;

    let deaths = 0;
    // Each death in a batch is followed by one while the poison is processed alone, which counts.
    for (let run = 0; run < 2 * MAX_PROCESSING_ATTEMPTS + 2 && (await waiting()) > 0; run++) {
      const worker = spawn(process.execPath, ["server/test/dying-webhook-worker.ts"], {
        cwd: path.resolve(import.meta.dirname, "..", ".."),
        env: {
          PATH: process.env.PATH ?? "",
          DATABASE_URL: database.url,
          POISON_REPOSITORY,
          DIE_WITH_CODE: String(DIES_WITH_CODE),
        },
        stdio: "ignore",
      });
      const exited = new Promise<number | null>((resolve) => worker.on("exit", (code) => resolve(code)));
      let code: number | null | "running" = "running";
      void exited.then((exitCode) => (code = exitCode));
      while (code === "running" && (await waiting()) > 0) {
        // Backoffs and parked batches wait up to a minute: make every waiting delivery due now.
        await database.pool.query(
          `UPDATE webhook_delivery SET "nextAttemptAt" = now() WHERE id = ANY($1::uuid[]) AND status = 'received'`,
          [[...before, poison, ...after]],
        );
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      if (code === "running") {
        worker.kill("SIGTERM");
        await exited;
      } else {
        expect(code).toBe(DIES_WITH_CODE);
        deaths++;
      }
    }

    const { rows } = await database.pool.query<{
      id: string;
      status: string;
      attempts: number;
      reason: string;
    }>(`SELECT id, status, attempts, reason FROM webhook_delivery WHERE id = ANY($1::uuid[])`, [
      [...before, poison, ...after],
    ]);
    const byId = new Map(rows.map((row) => [row.id, row]));
    expect(byId.get(poison)).toMatchObject({
      status: "failed",
      attempts: MAX_PROCESSING_ATTEMPTS,
      reason: expect.stringContaining(
        `its worker stopped while processing it alone ${MAX_PROCESSING_ATTEMPTS} times`,
      ),
    });
    for (const id of [...before, ...after]) {
      expect(byId.get(id)).toMatchObject({ status: "ignored", attempts: 1 });
    }
    expect(deaths).toBeGreaterThanOrEqual(MAX_PROCESSING_ATTEMPTS);
    expect(deaths).toBeLessThanOrEqual(2 * MAX_PROCESSING_ATTEMPTS);
  });
});
