-- CreateTable
CREATE TABLE "github_installation" (
    "id" BIGINT NOT NULL,
    "organizationId" TEXT,
    "accountId" BIGINT NOT NULL,
    "accountLogin" VARCHAR(100) NOT NULL,
    "accountType" VARCHAR(20) NOT NULL,
    "repositorySelection" VARCHAR(10) NOT NULL,
    "suspendedAt" TIMESTAMPTZ(3),
    "deletedAt" TIMESTAMPTZ(3),
    "linkedByUserId" TEXT,
    "linkedAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "github_installation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "github_installation_repository" (
    "installationId" BIGINT NOT NULL,
    "repositoryId" BIGINT NOT NULL,
    "fullName" VARCHAR(200) NOT NULL,
    "private" BOOLEAN NOT NULL,
    "addedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "github_installation_repository_pkey" PRIMARY KEY ("installationId","repositoryId")
);

-- CreateIndex
CREATE INDEX "github_installation_organizationId_idx" ON "github_installation"("organizationId");

-- CreateIndex
CREATE INDEX "github_installation_repository_fullName_idx" ON "github_installation_repository"("fullName");

-- AddForeignKey
ALTER TABLE "github_installation" ADD CONSTRAINT "github_installation_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "organization"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "github_installation_repository" ADD CONSTRAINT "github_installation_repository_installationId_fkey" FOREIGN KEY ("installationId") REFERENCES "github_installation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

