-- CreateTable
CREATE TABLE "fly_credential" (
    "organizationId" TEXT NOT NULL,
    "encryptedToken" TEXT NOT NULL,
    "tokenLastFour" VARCHAR(4) NOT NULL,
    "flyOrgSlug" VARCHAR(100) NOT NULL,
    "setByUserId" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "fly_credential_pkey" PRIMARY KEY ("organizationId")
);

-- CreateIndex
CREATE INDEX "fly_credential_setByUserId_idx" ON "fly_credential"("setByUserId");

-- AddForeignKey
ALTER TABLE "fly_credential" ADD CONSTRAINT "fly_credential_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "fly_credential" ADD CONSTRAINT "fly_credential_setByUserId_fkey" FOREIGN KEY ("setByUserId") REFERENCES "user"("id") ON DELETE SET NULL ON UPDATE CASCADE;
