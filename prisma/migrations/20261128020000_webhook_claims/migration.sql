-- Claims a worker is processing (docs/decisions/0006-webhook-outbox.md, amendment "a delivery that
-- stops its worker"). A worker writes the row, committed on its own, before it processes a batch, and
-- deletes it in the batch's transaction, which keeps it locked until then. A row that is there and not
-- locked is a batch whose worker died: its deliveries are processed again one at a time ("alone"), and
-- a delivery whose worker dies while processing it alone has that attempt counted, so that it ends as
-- failed instead of stopping workers forever.
CREATE TABLE "webhook_claim" (
    "id" UUID NOT NULL,
    "deliveryIds" UUID[],
    "alone" BOOLEAN NOT NULL DEFAULT false,
    "claimedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "webhook_claim_pkey" PRIMARY KEY ("id")
);
