// Claims: the record, written before a worker processes deliveries, that lets another worker notice it
// died while doing so (decision 0006, migration 20261128020000).
import { randomUUID } from "node:crypto";
import type pg from "pg";
import type { DbClient } from "../db/prisma.ts";

/**
 * How long the deliveries of a batch whose worker died stay out of batch claims while they are
 * processed one at a time; if that worker dies too, they come back to the batches after it.
 */
const ABANDONED_BATCH_PARKED_SECONDS = 60;

/** Connections for claim writes: one per concurrent drain (two by default) and one for recovery. */
export const CLAIM_POOL_SIZE = 3;

/**
 * `claimPool` (of CLAIM_POOL_SIZE) is a small pool of its own for `openClaim`: a claim is written while
 * its batch's transaction holds a connection of `pool`, so taken from `pool` it would wait, holding that
 * one, behind everything else the process runs there (deployments, the API), and the batch would stall
 * until they end.
 */
export function createWebhookClaimRepository(pool: pg.Pool, claimPool: pg.Pool) {
  return {
    /**
     * Writes down, committed on its own, the deliveries a worker has claimed and is about to process, so
     * that the worker's death is noticed (migration 20261128020000). The processing transaction deletes
     * it with `deleteClaim`, and so does the worker when that transaction rolled back with it alive.
     */
    async openClaim(deliveryIds: string[], alone: boolean): Promise<string> {
      const id = randomUUID();
      // Committed without waiting for the WAL flush (for this statement only): the row has to outlive
      // the worker process, not PostgreSQL itself, and a batch does not wait for a second fsync.
      await claimPool.query({
        name: "webhook-claim-open",
        text: `WITH unflushed AS (SELECT set_config('synchronous_commit', 'off', true))
               INSERT INTO webhook_claim (id, "deliveryIds", alone) SELECT $1, $2::uuid[], $3 FROM unflushed`,
        values: [id, deliveryIds, alone],
      });
      return id;
    },

    /**
     * Deletes a claim. Inside its processing transaction it stays locked until that commits and is gone
     * when it does.
     */
    async deleteClaim(db: DbClient, claimId: string) {
      await db.$executeRaw`DELETE FROM webhook_claim WHERE id = ${claimId}::uuid`;
    },

    /**
     * Takes the claims whose workers died: left behind, and not locked by a transaction still working
     * on them. The deliveries of a batch are parked for a minute, out of every worker's batch claims,
     * while the caller processes them alone, in the order returned. A claim taken in the moment between
     * its writing and its transaction's lock still has its deliveries locked by that transaction: parking
     * them waits for it, and they are found done.
     */
    async takeAbandonedClaims(): Promise<{ deliveryIds: string[]; alone: boolean }[]> {
      const { rows } = await pool.query<{ deliveryIds: string[]; alone: boolean }>({
        name: "webhook-claim-take-abandoned",
        text: `
          WITH taken AS (
            DELETE FROM webhook_claim WHERE id IN (SELECT id FROM webhook_claim FOR UPDATE SKIP LOCKED)
            RETURNING "deliveryIds", alone),
          parked AS (
            UPDATE webhook_delivery SET "nextAttemptAt" = now() + interval '${ABANDONED_BATCH_PARKED_SECONDS} seconds'
            WHERE id IN (SELECT unnest("deliveryIds") FROM taken WHERE NOT alone) AND status = 'received')
          -- Those still waiting, the ones with failed attempts behind them last: a delivery that stops
          -- its worker then does so after the rest of its batch has its outcomes.
          SELECT alone, CASE WHEN alone THEN "deliveryIds" ELSE ARRAY(
              SELECT delivery.id FROM webhook_delivery AS delivery
              WHERE delivery.id = ANY(taken."deliveryIds") AND delivery.status = 'received'
              ORDER BY delivery.attempts, delivery."receivedAt") END AS "deliveryIds"
          FROM taken`,
      });
      return rows;
    },
  };
}

export type WebhookClaimRepository = ReturnType<typeof createWebhookClaimRepository>;
