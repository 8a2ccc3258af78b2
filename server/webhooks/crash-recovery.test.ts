// SIGKILL the real server while deliveries are arriving, restart it, and check that every delivery it
// acknowledged was stored and processed exactly once (SPEC §8).
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findFreePort } from "../db/embedded-postgres.ts";
import { createTestDatabase, type TestDatabase } from "../test/database.ts";
import { TEST_WEBHOOK_SECRET } from "../test/harness.ts";
import { type HangarProcess, startHangarProcess, waitForReady } from "../test/hangar-process.ts";
import { signPayload } from "./signature.ts";

const DELIVERIES = 400;

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
});
