-- Webhook deliveries become their own outbox (docs/decisions/0006-webhook-outbox.md): the ingest path is
-- one INSERT, and the worker claims rows with status 'received' instead of a pg-boss job per delivery.

-- A failed processing attempt is retried after a backoff; until then the row waits here.
ALTER TABLE "webhook_delivery" ADD COLUMN "nextAttemptAt" TIMESTAMPTZ(3);

-- The outbox: only rows still waiting are indexed, so the worker's claim stays cheap however large the
-- history grows.
CREATE INDEX "webhook_delivery_outbox_idx" ON "webhook_delivery" ("receivedAt") WHERE "status" = 'received';

-- No query reads these; each cost every ingested delivery an index insert.
DROP INDEX "webhook_delivery_receivedAt_idx";
DROP INDEX "webhook_delivery_repositoryFullName_receivedAt_idx";

-- The payload is kept as the text GitHub signed: PostgreSQL's jsonb input was the largest cost of an
-- insert, and nothing queries inside a stored payload (the columns the inbox filters on are extracted
-- as the delivery is stored).
ALTER TABLE "webhook_delivery" ALTER COLUMN "payload" TYPE TEXT USING "payload"::text;

-- A typical payload (a push is about 7 KB) stays in the row instead of being compressed and split into
-- TOAST chunks, which doubled the database's cost per insert. Larger payloads are still toasted.
ALTER TABLE "webhook_delivery" SET (toast_tuple_target = 8160);
