// Storage of webhook deliveries. The ingest path uses pg directly (one prepared multi-row statement per
// batch, the payload stored as the text GitHub signed); everything else uses Prisma with explicit selects.
import { randomUUID } from "node:crypto";
import type pg from "pg";
import type { DbClient } from "../db/prisma.ts";
import type { Prisma } from "../db/generated/client.ts";
import type { PayloadSummary } from "./payload-summary.ts";

export type IncomingDelivery = {
  deliveryId: string;
  event: string;
  hookId: string | null;
  signedWith: "current" | "previous";
  headers: Record<string, string>;
  /**
   * The body exactly as received (checked to be UTF-8). Sent to PostgreSQL as a binary parameter, so
   * its bytes are neither decoded nor re-encoded on the way.
   */
  payload: Buffer;
  /** Null when the payload was too large to parse in Node: PostgreSQL parses it as it stores it. */
  summary: PayloadSummary | null;
  /** Events outside the whitelist are stored as already ignored, with no job. */
  ignoredReason: string | null;
};

export type StoreResult = { kind: "stored"; id: string; needsProcessing: boolean } | { kind: "duplicate" };

const BIGINT_MAX = "9223372036854775807";

/** The channel that wakes the webhook worker when deliveries wait in the outbox. */
export const DELIVERY_CHANNEL = "hangar_webhook_delivery";

/** Payload bytes a worker takes into one batch (see claimPending), so large payloads come a few at a time. */
const MAX_BATCH_PAYLOAD_BYTES = 8 * 1024 * 1024;

/** After this many failed processing attempts a delivery is recorded as failed instead of retried. */
export const MAX_PROCESSING_ATTEMPTS = 6;

const INGEST_COLUMNS = 13;

/**
 * One statement, autocommitted: a delivery stored with status 'received' is in the outbox, which is its
 * processing job. The columns the inbox filters on come from Node's summary, or, for a payload too large
 * to parse there, from PostgreSQL parsing it once (which also rejects text that is not JSON).
 */
function insertStatement(count: number): string {
  const rows: string[] = [];
  for (let index = 0; index < count; index++) {
    const p = index * INGEST_COLUMNS;
    rows.push(
      `($${p + 1}::uuid, $${p + 2}::varchar, $${p + 3}::varchar, $${p + 4}::varchar, $${p + 5}::varchar, $${p + 6}::jsonb, $${p + 7}::text, $${p + 8}::int, $${p + 9}::boolean, $${p + 10}::varchar, $${p + 11}::bigint, $${p + 12}::varchar, $${p + 13}::text)`,
    );
  }
  return `
    WITH input (id, delivery_id, event, hook_id, signed_with, headers, payload, payload_bytes, summarised,
                action, installation_id, repository_full_name, ignored_reason) AS (VALUES ${rows.join(", ")}),
    -- Materialised so that the CASE runs once per row: PostgreSQL parses only the payloads Node did not.
    parsed AS MATERIALIZED (
      SELECT input.*, CASE WHEN summarised THEN NULL ELSE payload::jsonb END AS doc FROM input)
    INSERT INTO webhook_delivery (id, "deliveryId", event, action, "hookId", "installationId", "repositoryFullName",
      "signedWith", headers, payload, "payloadBytes", status, reason, "processedAt")
    SELECT id, delivery_id, event,
      CASE WHEN summarised THEN action ELSE left(doc->>'action', 100) END,
      hook_id,
      CASE WHEN summarised THEN installation_id
           WHEN jsonb_typeof(doc->'installation'->'id') = 'number'
            AND (doc->'installation'->>'id')::numeric BETWEEN 0 AND ${BIGINT_MAX}
           THEN (doc->'installation'->>'id')::numeric::bigint END,
      CASE WHEN summarised THEN repository_full_name ELSE left(doc->'repository'->>'full_name', 300) END,
      signed_with, headers, payload, payload_bytes,
      CASE WHEN ignored_reason IS NULL THEN 'received' ELSE 'ignored' END,
      ignored_reason,
      CASE WHEN ignored_reason IS NULL THEN NULL ELSE now() END
    FROM parsed
    ON CONFLICT ("deliveryId") DO UPDATE
      SET "duplicateCount" = webhook_delivery."duplicateCount" + 1, "lastDuplicateAt" = now()
    RETURNING id, "deliveryId", (xmax = 0) AS inserted`;
}

/** Statement texts by batch size; each is prepared once per connection, so PostgreSQL plans it once. */
const insertStatements = new Map<number, string>();
function preparedInsert(count: number) {
  let text = insertStatements.get(count);
  if (!text) {
    text = insertStatement(count);
    insertStatements.set(count, text);
  }
  return { name: `webhook-ingest-${count}`, text };
}

export type ClaimedDelivery = {
  id: string;
  deliveryId: string;
  event: string;
  /** JSON text. */
  payload: string;
  receivedAt: Date;
  attempts: number;
};

const deliverySelect = {
  id: true,
  deliveryId: true,
  event: true,
  action: true,
  hookId: true,
  installationId: true,
  repositoryFullName: true,
  signedWith: true,
  receivedAt: true,
  status: true,
  reason: true,
  attempts: true,
  processedAt: true,
  duplicateCount: true,
} satisfies Prisma.WebhookDeliverySelect;

export function createWebhookRepository(pool: pg.Pool) {
  return {
    /**
     * Stores a batch of distinct deliveries in ONE autocommitted statement. A delivery id seen before is
     * counted as a duplicate and not stored again.
     */
    async storeBatch(deliveries: IncomingDelivery[]): Promise<StoreResult[]> {
      const values: unknown[] = [];
      for (const delivery of deliveries) {
        values.push(
          randomUUID(),
          delivery.deliveryId,
          delivery.event,
          delivery.hookId,
          delivery.signedWith,
          JSON.stringify(delivery.headers),
          delivery.payload,
          delivery.payload.length,
          delivery.summary !== null,
          delivery.summary?.action ?? null,
          delivery.summary?.installationId ?? null,
          delivery.summary?.repositoryFullName ?? null,
          delivery.ignoredReason,
        );
      }
      const { rows } = await pool.query<{ id: string; deliveryId: string; inserted: boolean }>({
        ...preparedInsert(deliveries.length),
        values,
      });
      const byDeliveryId = new Map(rows.map((row) => [row.deliveryId, row]));
      return deliveries.map((delivery): StoreResult => {
        const row = byDeliveryId.get(delivery.deliveryId);
        if (!row?.inserted) return { kind: "duplicate" };
        return { kind: "stored", id: row.id, needsProcessing: delivery.ignoredReason === null };
      });
    },

    /**
     * Wakes the workers listening for deliveries. Sent after the deliveries' own commit, not inside it:
     * a NOTIFY inside the ingest statement would take PostgreSQL's notify lock through every commit's
     * WAL flush and serialise them all. The payload is how many deliveries were stored since the last
     * notification.
     */
    async notifyWorkers(stored: number): Promise<void> {
      await pool.query({
        name: "webhook-notify",
        text: `SELECT pg_notify('${DELIVERY_CHANNEL}', $1)`,
        values: [String(stored)],
      });
    },

    async recordRejection(
      db: DbClient,
      rejection: {
        deliveryId: string | null;
        event: string | null;
        ipAddress: string | null;
        status: number;
        reason: string;
      },
    ) {
      await db.webhookRejection.create({ data: rejection, select: { id: true } });
    },

    /**
     * Claims up to `limit` deliveries waiting in the outbox, oldest first, inside the caller's transaction:
     * the row locks hold until it commits, other workers skip them, and a crash releases them at once.
     * Deliveries are added while the payloads taken before each one stay under `maxPayloadBytes`, so a
     * batch holds at most one large payload beyond that budget. Says whether due deliveries were left
     * for the next claim. The attempt counter commits together with the outcome. Raw SQL: this is the
     * worker's hot path.
     */
    async claimPending(
      db: DbClient,
      limit: number,
      maxPayloadBytes: number = MAX_BATCH_PAYLOAD_BYTES,
    ): Promise<{ deliveries: ClaimedDelivery[]; moreWaiting: boolean }> {
      // Only locks, no UPDATE: the attempt counter is written with the outcome. Updating claimed rows
      // would add entries at the head of the outbox index on every claim, and a head page that keeps
      // changing never gets its dead entries marked, so each claim would step over all of them.
      const rows = await db.$queryRaw<(ClaimedDelivery & { candidates: number })[]>`
        WITH candidates AS (
          SELECT id, "receivedAt", "payloadBytes" FROM webhook_delivery
          WHERE status = 'received' AND ("nextAttemptAt" IS NULL OR "nextAttemptAt" <= now())
          ORDER BY "receivedAt" LIMIT ${limit}
          FOR UPDATE SKIP LOCKED),
        within_budget AS (
          SELECT id FROM (
            SELECT id, sum("payloadBytes") OVER (ORDER BY "receivedAt", id) - "payloadBytes" AS bytes_before
            FROM candidates) AS sized
          WHERE bytes_before < ${maxPayloadBytes})
        SELECT delivery.id, delivery."deliveryId", delivery.event, delivery.payload, delivery."receivedAt",
          delivery.attempts + 1 AS attempts, (SELECT count(*)::int FROM candidates) AS candidates
        FROM webhook_delivery AS delivery JOIN within_budget USING (id)
        ORDER BY delivery."receivedAt"`;
      const candidates = rows[0]?.candidates ?? 0;
      return {
        deliveries: rows.map(({ candidates: _, ...delivery }) => delivery),
        // A full batch may have left more; a batch cut by the byte budget did.
        moreWaiting: candidates === limit || candidates > rows.length,
      };
    },

    /**
     * Claims one delivery, waiting for a worker that holds it; null when it already has an outcome (that
     * worker finished it) or is not due yet.
     */
    async claimById(db: DbClient, id: string): Promise<ClaimedDelivery | null> {
      const rows = await db.$queryRaw<ClaimedDelivery[]>`
        SELECT id, "deliveryId", event, payload, "receivedAt", attempts + 1 AS attempts
        FROM webhook_delivery WHERE id = ${id}::uuid AND status = 'received'
        FOR UPDATE`;
      return rows[0] ?? null;
    },

    /** Records the outcomes of a batch in one statement, counting the attempt that reached them. */
    async recordOutcomes(
      db: DbClient,
      outcomes: { id: string; status: "processed" | "ignored" | "failed"; reason: string }[],
    ) {
      if (outcomes.length === 0) return;
      await db.$executeRaw`
        UPDATE webhook_delivery AS delivery
        SET status = outcome.status, reason = outcome.reason, attempts = delivery.attempts + 1,
            "processedAt" = now(), "nextAttemptAt" = NULL
        FROM unnest(${outcomes.map((outcome) => outcome.id)}::uuid[], ${outcomes.map((outcome) => outcome.status)}::varchar[],
                    ${outcomes.map((outcome) => outcome.reason)}::text[]) AS outcome (id, status, reason)
        WHERE delivery.id = outcome.id`;
    },

    /**
     * Counts an attempt that did not reach an outcome: its transaction rolled back ("failed"), or its
     * worker died while processing the delivery alone ("interrupted"). Before the last allowed attempt
     * the delivery waits an exponential backoff (2, 4, 8… seconds) and says so in its reason; after it,
     * it is failed. Null when the delivery already has an outcome.
     */
    async recordFailedAttempt(
      db: DbClient,
      id: string,
      cause: "failed" | "interrupted" = "failed",
    ): Promise<{ deliveryId: string; attempts: number; status: string } | null> {
      const retrying =
        cause === "failed"
          ? "retrying: processing attempt %s of %s failed"
          : "retrying: processing attempt %s of %s stopped with its worker";
      const failed =
        cause === "failed"
          ? "failed: processing failed %s times; the server log has the errors for this delivery id"
          : "failed: its worker stopped while processing it alone %s times; the server log has the last lines for this delivery id";
      const rows = await db.$queryRaw<{ deliveryId: string; attempts: number; status: string }[]>`
        UPDATE webhook_delivery SET
          attempts = attempts + 1,
          status = CASE WHEN attempts + 1 >= ${MAX_PROCESSING_ATTEMPTS}::int THEN 'failed' ELSE status END,
          reason = CASE WHEN attempts + 1 >= ${MAX_PROCESSING_ATTEMPTS}::int
            THEN format(${failed}::text, attempts + 1)
            ELSE format(${retrying}::text, attempts + 1, ${MAX_PROCESSING_ATTEMPTS}::int) END,
          "processedAt" = CASE WHEN attempts + 1 >= ${MAX_PROCESSING_ATTEMPTS}::int THEN now() END,
          "nextAttemptAt" = CASE WHEN attempts + 1 < ${MAX_PROCESSING_ATTEMPTS}::int
            THEN now() + make_interval(secs => power(2, attempts + 1)) END
        WHERE id = ${id}::uuid AND status = 'received'
        RETURNING "deliveryId", attempts, status`;
      return rows[0] ?? null;
    },

    /** Deliveries of the organisation's GitHub installations, newest first. */
    async listForOrganization(
      db: DbClient,
      organizationId: string,
      filter: { status?: string; event?: string; cursor?: string; limit: number },
    ) {
      const installations = await db.gitHubInstallation.findMany({
        where: { organizationId },
        select: { id: true },
      });
      return db.webhookDelivery.findMany({
        where: {
          installationId: { in: installations.map((installation) => installation.id) },
          ...(filter.status ? { status: filter.status } : {}),
          ...(filter.event ? { event: filter.event } : {}),
        },
        orderBy: [{ receivedAt: "desc" }, { id: "desc" }],
        take: filter.limit,
        ...(filter.cursor ? { cursor: { id: filter.cursor }, skip: 1 } : {}),
        select: deliverySelect,
      });
    },

    /** One delivery with its headers and payload, if it belongs to one of the organisation's installations. */
    async findForOrganization(db: DbClient, organizationId: string, id: string) {
      const delivery = await db.webhookDelivery.findUnique({
        where: { id },
        select: { ...deliverySelect, headers: true, payload: true, payloadBytes: true },
      });
      if (delivery?.installationId === null || delivery?.installationId === undefined) return null;
      const installation = await db.gitHubInstallation.findFirst({
        where: { id: delivery.installationId, organizationId },
        select: { id: true },
      });
      return installation ? delivery : null;
    },

    /**
     * Puts a delivery with an outcome back into the outbox and wakes a worker when the caller's
     * transaction commits; false when it has no outcome yet.
     */
    async reopenForReplay(db: DbClient, id: string): Promise<boolean> {
      const reopened = await db.webhookDelivery.updateMany({
        where: { id, status: { not: "received" } },
        data: { status: "received", reason: null, processedAt: null, nextAttemptAt: null },
      });
      if (reopened.count !== 1) return false;
      await db.$executeRaw`SELECT pg_notify(${DELIVERY_CHANNEL}, '')`;
      return true;
    },

    async findByDeliveryId(db: DbClient, deliveryId: string) {
      return db.webhookDelivery.findUnique({ where: { deliveryId }, select: deliverySelect });
    },
  };
}

export type WebhookRepository = ReturnType<typeof createWebhookRepository>;
