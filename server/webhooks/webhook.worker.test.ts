// The outbox worker against a real PostgreSQL: failed attempts back off and end as failed, one bad
// delivery does not hold back its batch, several workers process each delivery once, and a delivery
// stored without a notification is still picked up by the poll, and during a burst one drain gives way
// to acknowledging without leaving the backlog behind.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../observability/logger.ts";
import { createMetrics } from "../observability/metrics.ts";
import { createTestDatabase, type TestDatabase } from "../test/database.ts";
import { createWebhookMetrics } from "./webhook.metrics.ts";
import {
  type ProjectMatcher,
  createWebhookProcessor,
  noProjectsYet,
  recordInstallationEvents,
} from "./webhook.processor.ts";
import { DELIVERY_CHANNEL, MAX_PROCESSING_ATTEMPTS, createWebhookRepository } from "./webhook.repository.ts";
import { startWebhookWorker } from "./webhook.worker.ts";
import { createWebhookClaimRepository } from "./webhook-claim.repository.ts";
import { pushPayload, storeDelivery } from "../test/webhooks.ts";

const logger = createLogger({ level: "silent" });

describe("webhook outbox worker", { timeout: 60_000 }, () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database.drop();
  });

  function processorWith(projects: ProjectMatcher) {
    return createWebhookProcessor({
      db: database.db,
      repository: createWebhookRepository(database.pool),
      claims: createWebhookClaimRepository(database.pool, database.claimPool),
      projects,
      installations: recordInstallationEvents,
      metrics: createWebhookMetrics(createMetrics()),
      logger,
    });
  }

  const store = (event: string, payload: unknown) => storeDelivery(database.pool, event, payload);

  async function row(id: string) {
    const { rows } = await database.pool.query<{
      status: string;
      reason: string | null;
      attempts: number;
      waitsSeconds: number | null;
    }>(
      `SELECT status, reason, attempts,
         extract(epoch FROM "nextAttemptAt" - now())::float AS "waitsSeconds"
       FROM webhook_delivery WHERE id = $1`,
      [id],
    );
    if (!rows[0]) throw new Error(`no delivery ${id}`);
    return rows[0];
  }

  async function clearOutbox() {
    await database.pool.query(
      `UPDATE webhook_delivery SET status = 'ignored', reason = 'test cleanup' WHERE status = 'received'`,
    );
    await database.pool.query(`DELETE FROM webhook_claim`);
  }

  it("backs off after a failed attempt, says so, and records the delivery as failed after the last", async () => {
    await clearOutbox();
    const failing = processorWith({
      ...noProjectsYet,
      matchPushes: () => Promise.reject(new Error("project store unavailable")),
    });
    const id = await store("push", pushPayload("acme/broken"));

    expect((await failing.processPending(10)).claimed).toBe(1);
    const first = await row(id);
    expect(first).toMatchObject({ status: "received", attempts: 1 });
    expect(first.reason).toBe(`retrying: processing attempt 1 of ${MAX_PROCESSING_ATTEMPTS} failed`);
    // 2 s backoff: not claimed again before then.
    expect(first.waitsSeconds).toBeGreaterThan(1);
    expect((await failing.processPending(10)).claimed).toBe(0);

    for (let attempt = 2; attempt <= MAX_PROCESSING_ATTEMPTS; attempt++) {
      await database.pool.query(`UPDATE webhook_delivery SET "nextAttemptAt" = now() WHERE id = $1`, [id]);
      expect((await failing.processPending(10)).claimed).toBe(1);
      const current = await row(id);
      expect(current.attempts).toBe(attempt);
      if (attempt < MAX_PROCESSING_ATTEMPTS) {
        expect(current.status).toBe("received");
        // Exponential: 2^attempt seconds.
        expect(current.waitsSeconds).toBeGreaterThan(2 ** attempt - 1);
      }
    }
    const last = await row(id);
    expect(last).toMatchObject({ status: "failed", waitsSeconds: null });
    expect(last.reason).toMatch(/^failed: processing failed 6 times/);
    // The internal error never reaches the inbox.
    expect(last.reason).not.toContain("project store unavailable");
    expect((await failing.processPending(10)).claimed).toBe(0);
  });

  it("processes the rest of a batch when one delivery in it fails", async () => {
    await clearOutbox();
    const processor = processorWith({
      ...noProjectsYet,
      matchPushes: () =>
        Promise.resolve((_db, push) =>
          push.repository === "acme/poison"
            ? Promise.reject(new Error("boom"))
            : Promise.resolve({ status: "processed", reason: `matched ${push.repository}` }),
        ),
    });
    const good = [await store("push", pushPayload("acme/a")), await store("push", pushPayload("acme/b"))];
    const poison = await store("push", pushPayload("acme/poison"));
    const ping = await store("ping", { zen: "z", hook_id: 1 });

    expect(await processor.processPending(10)).toEqual({ claimed: 4, moreWaiting: false });
    for (const id of good) expect(await row(id)).toMatchObject({ status: "processed", attempts: 1 });
    expect(await row(ping)).toMatchObject({ status: "processed", attempts: 1 });
    expect(await row(poison)).toMatchObject({ status: "received", attempts: 1 });
  });

  it("claims oldest first and stops adding large payloads at the batch's byte budget", async () => {
    await clearOutbox();
    const padded = (index: number) => ({ zen: "z", hook_id: index, padding: "p".repeat(1_000) });
    const ids: string[] = [];
    for (let index = 0; index < 3; index++) {
      ids.push(await store("ping", padded(index)));
      // Distinct receivedAt (millisecond precision) so that "oldest first" is observable.
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const repository = createWebhookRepository(database.pool);
    const claimed = await database.db.$transaction((tx) => repository.claimPending(tx, 10, 1_500));
    // Bytes before the second are ~1 KB (< 1.5 KB): taken; before the third ~2 KB: left for the next batch.
    expect(claimed.deliveries.map((delivery) => delivery.id)).toEqual(ids.slice(0, 2));
    expect(claimed.moreWaiting).toBe(true);
    const everything = await database.db.$transaction((tx) => repository.claimPending(tx, 10));
    expect(everything.deliveries.map((delivery) => delivery.id)).toEqual(ids);
    expect(everything.moreWaiting).toBe(false);
    // A full batch may have left more behind: the worker looks again.
    const limited = await database.db.$transaction((tx) => repository.claimPending(tx, 3));
    expect(limited.moreWaiting).toBe(true);
  });

  it("processes every delivery exactly once with three workers draining the same outbox", async () => {
    await clearOutbox();
    const workers = await Promise.all(
      Array.from({ length: 3 }, () =>
        startWebhookWorker(
          { pool: database.pool, processor: processorWith(noProjectsYet), logger },
          { batchSize: 5, concurrency: 2 },
        ),
      ),
    );
    try {
      const ids = await Promise.all(
        Array.from({ length: 300 }, (_, index) => store("ping", { zen: "z", hook_id: index })),
      );
      const waiting = async () =>
        (
          await database.pool.query<{ count: number }>(
            `SELECT count(*)::int AS count FROM webhook_delivery WHERE id = ANY($1::uuid[]) AND status = 'received'`,
            [ids],
          )
        ).rows[0]?.count;
      for (let attempt = 0; attempt < 400 && (await waiting()) !== 0; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      const { rows } = await database.pool.query<{ status: string; attempts: number; count: number }>(
        `SELECT status, attempts, count(*)::int AS count FROM webhook_delivery
         WHERE id = ANY($1::uuid[]) GROUP BY 1, 2`,
        [ids],
      );
      expect(rows).toEqual([{ status: "processed", attempts: 1, count: 300 }]);
    } finally {
      await Promise.all(workers.map((worker) => worker.stop()));
    }
  });

  it("picks up a delivery whose notification was lost, on its next poll", async () => {
    await clearOutbox();
    const worker = await startWebhookWorker(
      { pool: database.pool, processor: processorWith(noProjectsYet), logger },
      { pollIntervalMs: 200 },
    );
    try {
      // Written the way a lost notification looks: the row is there, nothing woke the worker.
      const id = randomUUID();
      await database.pool.query(
        `INSERT INTO webhook_delivery (id, "deliveryId", event, "signedWith", headers, payload, "payloadBytes")
         VALUES ($1, $2, 'ping', 'current', '{}', '{"zen":"quiet","hook_id":9}', 27)`,
        [id, randomUUID()],
      );
      let current = await row(id);
      for (let attempt = 0; attempt < 100 && current.status === "received"; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        current = await row(id);
      }
      expect(current).toMatchObject({ status: "processed", attempts: 1 });
    } finally {
      await worker.stop();
    }
  });

  /**
   * Starts a worker (a quarter of its time during a burst, two drains) over a processor whose backlog
   * is 12 batches of 20 ms each, while notifications say `storedEvery10Ms` deliveries arrive every 10 ms,
   * and resolves with when each batch ran and how many ran at once.
   */
  async function drainWhileArriving(storedEvery10Ms: number) {
    const batches = 12;
    const ran: { startedAt: number; endedAt: number }[] = [];
    let left = 0;
    let running = 0;
    let mostAtOnce = 0;
    const processor = {
      recoverAbandonedClaims: () => Promise.resolve(0),
      async processPending() {
        if (left === 0) return { claimed: 0, moreWaiting: false };
        left--;
        running++;
        mostAtOnce = Math.max(mostAtOnce, running);
        const startedAt = performance.now();
        await new Promise((resolve) => setTimeout(resolve, 20));
        ran.push({ startedAt, endedAt: performance.now() });
        running--;
        return { claimed: 20, moreWaiting: left > 0 };
      },
    };
    const worker = await startWebhookWorker(
      { pool: database.pool, processor, logger },
      { burstShare: 0.25, concurrency: 2 },
    );
    const arrivals = setInterval(() => {
      void database.pool.query(`SELECT pg_notify($1, $2)`, [DELIVERY_CHANNEL, String(storedEvery10Ms)]);
    }, 10);
    try {
      // Longer than the worker's window for counting arrivals, so that it has seen the rate.
      await new Promise((resolve) => setTimeout(resolve, 300));
      left = batches;
      for (let attempt = 0; attempt < 300 && ran.length < batches; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    } finally {
      clearInterval(arrivals);
      await worker.stop();
    }
    expect(ran).toHaveLength(batches);
    return { ran, mostAtOnce };
  }

  it("during a burst drains a backlog with one drain that pauses between batches", async () => {
    // 5,000 deliveries/s: a burst.
    const { ran, mostAtOnce } = await drainWhileArriving(50);
    expect(mostAtOnce).toBe(1);
    // A quarter of its time processing: after a 20 ms batch it waits three times as long.
    const pauses = ran.slice(1).map((batch, index) => batch.startedAt - ran[index]!.endedAt);
    expect(Math.min(...pauses)).toBeGreaterThanOrEqual(50);
  });

  it("below the burst rate drains a backlog at full speed, with every drain it may run", async () => {
    // 200 deliveries/s: ordinary traffic after a burst.
    const { mostAtOnce } = await drainWhileArriving(2);
    expect(mostAtOnce).toBe(2);
  });

  describe("claims left by workers that died", () => {
    const abandon = async (deliveryIds: string[], alone: boolean) =>
      database.pool.query(
        `INSERT INTO webhook_claim (id, "deliveryIds", alone) VALUES ($1, $2::uuid[], $3)`,
        [randomUUID(), deliveryIds, alone],
      );
    const claimsLeft = async () =>
      (await database.pool.query<{ count: number }>(`SELECT count(*)::int AS count FROM webhook_claim`))
        .rows[0]?.count;

    it("processes the deliveries of an abandoned batch, each alone, before the worker drains", async () => {
      await clearOutbox();
      const ids = [
        await store("ping", { zen: "a", hook_id: 1 }),
        await store("push", pushPayload("acme/web")),
        await store("ping", { zen: "c", hook_id: 3 }),
      ];
      await abandon(ids, false);
      const processor = processorWith(noProjectsYet);
      expect(await processor.recoverAbandonedClaims()).toBe(1);
      for (const id of ids) expect((await row(id)).attempts).toBe(1);
      expect((await row(ids[0]!)).status).toBe("processed");
      expect((await row(ids[1]!)).reason).toBe("ignored: no project tracks acme/web@main");
      expect(await claimsLeft()).toBe(0);
      expect(await processor.recoverAbandonedClaims()).toBe(0);
    });

    it("counts an attempt each time a worker died processing a delivery alone, and fails it after the last", async () => {
      await clearOutbox();
      const id = await store("ping", { zen: "poison", hook_id: 4 });
      const processor = processorWith(noProjectsYet);
      for (let attempt = 1; attempt < MAX_PROCESSING_ATTEMPTS; attempt++) {
        await abandon([id], true);
        await processor.recoverAbandonedClaims();
        const current = await row(id);
        expect(current).toMatchObject({
          status: "received",
          attempts: attempt,
          reason: `retrying: processing attempt ${attempt} of ${MAX_PROCESSING_ATTEMPTS} stopped with its worker`,
        });
        expect(current.waitsSeconds).toBeGreaterThan(2 ** attempt - 2);
      }
      await abandon([id], true);
      await processor.recoverAbandonedClaims();
      expect(await row(id)).toMatchObject({
        status: "failed",
        attempts: MAX_PROCESSING_ATTEMPTS,
        reason: `failed: its worker stopped while processing it alone ${MAX_PROCESSING_ATTEMPTS} times; the server log has the last lines for this delivery id`,
      });
    });

    it("leaves alone a claim whose transaction is still open, and a worker's own claims are gone once it commits", async () => {
      await clearOutbox();
      const id = await store("ping", { zen: "busy", hook_id: 5 });
      const claimId = randomUUID();
      await database.pool.query(`INSERT INTO webhook_claim (id, "deliveryIds") VALUES ($1, $2::uuid[])`, [
        claimId,
        [id],
      ]);
      const live = await database.pool.connect();
      try {
        await live.query("BEGIN");
        await live.query(`DELETE FROM webhook_claim WHERE id = $1`, [claimId]);
        const processor = processorWith(noProjectsYet);
        expect(await processor.recoverAbandonedClaims()).toBe(0);
        expect((await row(id)).status).toBe("received");
        // Its worker died: the transaction rolls back and the claim is there, unlocked.
        await live.query("ROLLBACK");
        expect(await processor.recoverAbandonedClaims()).toBe(1);
        expect((await row(id)).status).toBe("processed");
      } finally {
        live.release();
      }
      // A batch processed normally leaves no claim behind.
      await store("ping", { zen: "normal", hook_id: 6 });
      await processorWith(noProjectsYet).processPending(10);
      expect(await claimsLeft()).toBe(0);
    });

    it("writes a batch's claim without a second connection from the main pool", async () => {
      await clearOutbox();
      const id = await store("ping", { zen: "crowded", hook_id: 7 });
      // Everything else in the process (deployments, the API) holds all but one connection: the batch's
      // transaction takes that one, and its claim must not wait for another.
      const others = await Promise.all(
        Array.from({ length: (database.pool.options.max ?? 10) - 1 }, () => database.pool.connect()),
      );
      try {
        const outcome = await Promise.race([
          processorWith(noProjectsYet).processPending(10),
          new Promise((resolve) => setTimeout(() => resolve("waiting for a connection"), 5_000)),
        ]);
        expect(outcome).toEqual({ claimed: 1, moreWaiting: false });
      } finally {
        for (const connection of others) connection.release();
      }
      expect((await row(id)).status).toBe("processed");
    });
  });
});
