-- CreateTable
CREATE TABLE "webhook_delivery" (
    "id" UUID NOT NULL,
    "deliveryId" VARCHAR(100) NOT NULL,
    "event" VARCHAR(100) NOT NULL,
    "action" VARCHAR(100),
    "hookId" VARCHAR(40),
    "installationId" BIGINT,
    "repositoryFullName" VARCHAR(300),
    "signedWith" VARCHAR(10) NOT NULL,
    "headers" JSONB NOT NULL,
    "payload" JSONB NOT NULL,
    "payloadBytes" INTEGER NOT NULL,
    "receivedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "status" VARCHAR(20) NOT NULL DEFAULT 'received',
    "reason" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "processedAt" TIMESTAMPTZ(3),
    "duplicateCount" INTEGER NOT NULL DEFAULT 0,
    "lastDuplicateAt" TIMESTAMPTZ(3),

    CONSTRAINT "webhook_delivery_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "webhook_rejection" (
    "id" UUID NOT NULL,
    "deliveryId" VARCHAR(100),
    "event" VARCHAR(100),
    "ipAddress" VARCHAR(64),
    "status" INTEGER NOT NULL,
    "reason" TEXT NOT NULL,
    "receivedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "webhook_rejection_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "webhook_delivery_deliveryId_key" ON "webhook_delivery"("deliveryId");

-- CreateIndex
CREATE INDEX "webhook_delivery_receivedAt_idx" ON "webhook_delivery"("receivedAt" DESC);

-- CreateIndex
CREATE INDEX "webhook_delivery_repositoryFullName_receivedAt_idx" ON "webhook_delivery"("repositoryFullName", "receivedAt" DESC);

-- CreateIndex
CREATE INDEX "webhook_delivery_installationId_receivedAt_idx" ON "webhook_delivery"("installationId", "receivedAt" DESC);

-- CreateIndex
CREATE INDEX "webhook_rejection_receivedAt_idx" ON "webhook_rejection"("receivedAt" DESC);
