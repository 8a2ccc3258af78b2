// Storage of webhook deliveries. The ingest path uses pg directly (one multi-row statement per batch,
// payload sent as bytes and parsed by PostgreSQL); everything else uses Prisma with explicit selects.
import { randomUUID } from "node:crypto";
import type pg from "pg";
import type { DbClient } from "../db/prisma.ts";
import type { Prisma } from "../db/generated/client.ts";

export type IncomingDelivery = {
  deliveryId: string;
  event: string;
  hookId: string | null;
  signedWith: "current" | "previous";
  headers: Record<string, string>;
  body: Buffer;
  /** Events outside the whitelist are stored as already ignored, with no job. */
  ignoredReason: string | null;
};

export type StoreResult = { kind: "stored"; id: string; needsProcessing: boolean } | { kind: "duplicate" };

const BIGINT_MAX = "9223372036854775807";

/** PostgreSQL extracts the columns the inbox filters on, so Node never parses the payload on the hot path. */
function insertStatement(count: number): string {
  const rows: string[] = [];
  for (let index = 0; index < count; index++) {
    const p = index * 8;
    rows.push(
      `($${p + 1}::uuid, $${p + 2}::varchar, $${p + 3}::varchar, $${p + 4}::varchar, $${p + 5}::varchar, $${p + 6}::jsonb, convert_from($${p + 7}::bytea, 'UTF8')::jsonb, $${p + 8}::text)`,
    );
  }
  return `
    WITH input (id, delivery_id, event, hook_id, signed_with, headers, payload, ignored_reason) AS (VALUES ${rows.join(", ")})
    INSERT INTO webhook_delivery (id, "deliveryId", event, action, "hookId", "installationId", "repositoryFullName",
      "signedWith", headers, payload, "payloadBytes", status, reason, "processedAt")
    SELECT id, delivery_id, event,
      left(payload->>'action', 100),
      hook_id,
      CASE WHEN jsonb_typeof(payload->'installation'->'id') = 'number'
            AND (payload->'installation'->>'id')::numeric BETWEEN 0 AND ${BIGINT_MAX}
           THEN (payload->'installation'->>'id')::numeric::bigint END,
      left(payload->'repository'->>'full_name', 300),
      signed_with, headers, payload, octet_length(payload::text),
      CASE WHEN ignored_reason IS NULL THEN 'received' ELSE 'ignored' END,
      ignored_reason,
      CASE WHEN ignored_reason IS NULL THEN NULL ELSE now() END
    FROM input
    ON CONFLICT ("deliveryId") DO UPDATE
      SET "duplicateCount" = webhook_delivery."duplicateCount" + 1, "lastDuplicateAt" = now()
    RETURNING id, "deliveryId", (xmax = 0) AS inserted`;
}

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
     * Stores a batch of distinct deliveries and, through `insertJobs`, their processing jobs, in ONE
     * transaction. A delivery id seen before is counted as a duplicate and gets no job.
     */
    async storeBatch(
      deliveries: IncomingDelivery[],
      insertJobs: (client: pg.PoolClient, stored: { id: string; deliveryId: string }[]) => Promise<void>,
    ): Promise<StoreResult[]> {
      const params: unknown[] = [];
      for (const delivery of deliveries) {
        params.push(
          randomUUID(),
          delivery.deliveryId,
          delivery.event,
          delivery.hookId,
          delivery.signedWith,
          JSON.stringify(delivery.headers),
          delivery.body,
          delivery.ignoredReason,
        );
      }
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        const { rows } = await client.query<{ id: string; deliveryId: string; inserted: boolean }>(
          insertStatement(deliveries.length),
          params,
        );
        const byDeliveryId = new Map(rows.map((row) => [row.deliveryId, row]));
        const results = deliveries.map((delivery): StoreResult => {
          const row = byDeliveryId.get(delivery.deliveryId);
          if (!row?.inserted) return { kind: "duplicate" };
          return { kind: "stored", id: row.id, needsProcessing: delivery.ignoredReason === null };
        });
        const toProcess = deliveries
          .map((delivery, index) => ({ delivery, result: results[index] }))
          .filter(({ result }) => result?.kind === "stored" && result.needsProcessing)
          .map(({ delivery, result }) => ({
            id: (result as { id: string }).id,
            deliveryId: delivery.deliveryId,
          }));
        await insertJobs(client, toProcess);
        await client.query("COMMIT");
        return results;
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
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
     * Claims the delivery for processing inside the caller's transaction: the UPDATE takes the row lock,
     * and a concurrent claim waits, then finds the status changed. Null when it already has an outcome.
     * Raw SQL: this runs once per delivery on the hot path.
     */
    async claimForProcessing(db: DbClient, id: string) {
      const rows = await db.$queryRaw<
        { id: string; deliveryId: string; event: string; payload: unknown; receivedAt: Date }[]
      >`
        UPDATE webhook_delivery SET attempts = attempts + 1
        WHERE id = ${id}::uuid AND status = 'received'
        RETURNING id, "deliveryId", event, payload, "receivedAt"`;
      return rows[0] ?? null;
    },

    async recordOutcome(
      db: DbClient,
      id: string,
      outcome: { status: "processed" | "ignored" | "failed"; reason: string },
    ) {
      await db.$executeRaw`
        UPDATE webhook_delivery SET status = ${outcome.status}, reason = ${outcome.reason}, "processedAt" = now()
        WHERE id = ${id}::uuid`;
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

    /** Puts a delivery with an outcome back to "received"; false when it has none yet. */
    async reopenForReplay(db: DbClient, id: string): Promise<boolean> {
      const reopened = await db.webhookDelivery.updateMany({
        where: { id, status: { not: "received" } },
        data: { status: "received", reason: null, processedAt: null },
      });
      return reopened.count === 1;
    },

    /** Lets the queue insert jobs inside a Prisma transaction. */

    async findByDeliveryId(db: DbClient, deliveryId: string) {
      return db.webhookDelivery.findUnique({ where: { deliveryId }, select: deliverySelect });
    },
  };
}

export type WebhookRepository = ReturnType<typeof createWebhookRepository>;
