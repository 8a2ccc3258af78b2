-- CreateTable
CREATE TABLE "project" (
    "id" UUID NOT NULL,
    "organizationId" TEXT NOT NULL,
    "name" VARCHAR(100) NOT NULL,
    "installationId" BIGINT NOT NULL,
    "repositoryId" BIGINT NOT NULL,
    "repositoryFullName" VARCHAR(200) NOT NULL,
    "productionBranch" VARCHAR(255) NOT NULL,
    "rootDirectory" VARCHAR(1024) NOT NULL DEFAULT '',
    "dockerfilePath" VARCHAR(1024) NOT NULL DEFAULT 'Dockerfile',
    "flyConfigPath" VARCHAR(1024) NOT NULL DEFAULT 'fly.toml',
    "flyAppName" VARCHAR(63) NOT NULL,
    "region" VARCHAR(3) NOT NULL,
    "autoDeploy" BOOLEAN NOT NULL DEFAULT true,
    "previewsEnabled" BOOLEAN NOT NULL DEFAULT false,
    "cancelInProgress" BOOLEAN NOT NULL DEFAULT false,
    "buildSource" VARCHAR(20) NOT NULL DEFAULT 'dockerfile',
    "imageTemplate" VARCHAR(500),
    "productionEnvChangedAt" TIMESTAMPTZ(3),
    "previewEnvChangedAt" TIMESTAMPTZ(3),
    "lastDeploymentNumber" INTEGER NOT NULL DEFAULT 0,
    "createdByUserId" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "project_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "environment_variable" (
    "id" UUID NOT NULL,
    "projectId" UUID NOT NULL,
    "environment" VARCHAR(20) NOT NULL,
    "key" VARCHAR(256) NOT NULL,
    "encryptedValue" TEXT NOT NULL,
    "valueHint" VARCHAR(4),
    "valueBytes" INTEGER NOT NULL,
    "updatedByUserId" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "environment_variable_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "deployment" (
    "id" UUID NOT NULL,
    "projectId" UUID NOT NULL,
    "number" INTEGER NOT NULL,
    "environment" VARCHAR(20) NOT NULL,
    "flyAppName" VARCHAR(63) NOT NULL,
    "pullRequestNumber" INTEGER,
    "trigger" VARCHAR(20) NOT NULL,
    "status" VARCHAR(20) NOT NULL DEFAULT 'queued',
    "step" VARCHAR(20),
    "branch" VARCHAR(255) NOT NULL,
    "commitSha" VARCHAR(40) NOT NULL,
    "commitMessage" TEXT,
    "commitAuthor" VARCHAR(200),
    "sourceDeploymentId" UUID,
    "environmentChoice" VARCHAR(20),
    "imageRef" VARCHAR(500),
    "checkpoint" JSONB NOT NULL DEFAULT '{}',
    "encryptedEnvironment" TEXT,
    "environmentSyncedAt" TIMESTAMPTZ(3),
    "releaseVersion" INTEGER,
    "machines" JSONB,
    "githubDeploymentId" BIGINT,
    "githubStatus" VARCHAR(20),
    "webhookDeliveryId" UUID,
    "requestedByUserId" TEXT,
    "failedStep" VARCHAR(20),
    "failureReason" TEXT,
    "cancelRequestedAt" TIMESTAMPTZ(3),
    "cancelRequestedBy" TEXT,
    "leaseOwner" VARCHAR(100),
    "leaseExpiresAt" TIMESTAMPTZ(3),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMPTZ(3),
    "stepStartedAt" TIMESTAMPTZ(3),
    "finishedAt" TIMESTAMPTZ(3),
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "deployment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "deployment_log_line" (
    "deploymentId" UUID NOT NULL,
    "seq" INTEGER NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "step" VARCHAR(20) NOT NULL,
    "level" VARCHAR(10) NOT NULL DEFAULT 'info',
    "text" TEXT NOT NULL,

    CONSTRAINT "deployment_log_line_pkey" PRIMARY KEY ("deploymentId","seq")
);

-- CreateIndex
CREATE UNIQUE INDEX "project_flyAppName_key" ON "project"("flyAppName");

-- CreateIndex
CREATE INDEX "project_repositoryFullName_productionBranch_idx" ON "project"("repositoryFullName", "productionBranch");

-- CreateIndex
CREATE INDEX "project_installationId_idx" ON "project"("installationId");

-- CreateIndex
CREATE UNIQUE INDEX "project_organizationId_name_key" ON "project"("organizationId", "name");

-- CreateIndex
CREATE UNIQUE INDEX "environment_variable_projectId_environment_key_key" ON "environment_variable"("projectId", "environment", "key");

-- CreateIndex
CREATE INDEX "deployment_projectId_createdAt_idx" ON "deployment"("projectId", "createdAt" DESC);

-- CreateIndex
CREATE INDEX "deployment_status_leaseExpiresAt_idx" ON "deployment"("status", "leaseExpiresAt");

-- CreateIndex
CREATE UNIQUE INDEX "deployment_projectId_number_key" ON "deployment"("projectId", "number");

-- AddForeignKey
ALTER TABLE "project" ADD CONSTRAINT "project_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "environment_variable" ADD CONSTRAINT "environment_variable_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "project"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "deployment" ADD CONSTRAINT "deployment_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "project"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "deployment_log_line" ADD CONSTRAINT "deployment_log_line_deploymentId_fkey" FOREIGN KEY ("deploymentId") REFERENCES "deployment"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- One deployment per target app is building or deploying at a time, across every worker process.
CREATE UNIQUE INDEX "deployment_one_running_per_app" ON "deployment"("flyAppName") WHERE "status" IN ('building', 'deploying');

-- Finding the queued deployment of an app when the running one ends.
CREATE INDEX "deployment_queued_per_app_idx" ON "deployment"("flyAppName", "createdAt") WHERE "status" = 'queued';
