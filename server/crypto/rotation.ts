// `npm run secrets:rotate` (SPEC §5.4): re-seals every stored secret under the current
// ENCRYPTION_SECRET, so ENCRYPTION_SECRET_PREVIOUS can be dropped afterwards. Each sealed column is
// walked in primary-key order, one batch (one transaction) at a time. Values already under the current
// key are left alone, so a run that stops anywhere is finished by running it again. A value that does
// not open is reported by row id (never its content) and left as it is; the run carries on.
import type { Database, DbClient } from "../db/prisma.ts";
import { deploymentEnvironmentContext } from "../deployments/deployment-environment.ts";
import { AppError } from "../errors.ts";
import { flyCredentialContext } from "../fly/fly-credential.service.ts";
import { tokenContext } from "../github/github-user-tokens.ts";
import type { Logger } from "../observability/logger.ts";
import { variableContext } from "../projects/environment-variable.service.ts";
import type { Encryption, EncryptionPurpose } from "./encryption.ts";
import {
  createRotationRepository,
  type Page,
  type RotationRepository,
  type SealedColumn,
} from "./rotation.repository.ts";

export type ColumnCounts = {
  /** Rows holding a sealed value. */
  scanned: number;
  reencrypted: number;
  alreadyCurrent: number;
  /** Changed by the application between our read and our write: its newer value was kept. */
  skipped: number;
  failed: number;
};

export type RotationFailure = { column: SealedColumn; id: string; reason: string };

export type RotationResult = {
  counts: Record<SealedColumn, ColumnCounts>;
  failures: RotationFailure[];
};

/** Reported after each committed batch; `lastId` is the primary key the batch ended at. */
export type RotationProgress = { column: SealedColumn; lastId: string; counts: ColumnCounts };

type SealedRow = { id: string; sealed: string; context: string };

type ColumnWalk = {
  column: SealedColumn;
  purpose: EncryptionPurpose;
  page: (db: DbClient, page: Page) => Promise<SealedRow[]>;
};

/** Every sealed column, its key's purpose, and each row's context as the code that seals it builds it. */
function sealedColumns(repository: RotationRepository): ColumnWalk[] {
  const githubTokens = (kind: "access" | "refresh"): ColumnWalk => ({
    column: kind === "access" ? "account.accessToken" : "account.refreshToken",
    purpose: "github-token",
    page: async (db, page) =>
      (await repository.githubTokens(db, kind === "access" ? "accessToken" : "refreshToken", page)).map(
        (row) => ({ id: row.id, sealed: row.sealed, context: tokenContext(row.accountId, kind) }),
      ),
  });
  return [
    {
      column: "fly_credential.encryptedToken",
      purpose: "fly-credential",
      page: async (db, page) =>
        (await repository.flyCredentials(db, page)).map((row) => ({
          id: row.organizationId,
          sealed: row.encryptedToken,
          // As sealed by server/fly/fly-credential.service.ts.
          context: flyCredentialContext(row.organizationId),
        })),
    },
    githubTokens("access"),
    githubTokens("refresh"),
    {
      column: "environment_variable.encryptedValue",
      purpose: "environment-variable",
      page: async (db, page) =>
        (await repository.environmentVariables(db, page)).map((row) => ({
          id: row.id,
          sealed: row.encryptedValue,
          context: variableContext(row.project.organizationId, row.projectId, row.environment, row.key),
        })),
    },
    {
      column: "deployment.encryptedEnvironment",
      purpose: "environment-variable",
      page: async (db, page) =>
        (await repository.deploymentEnvironments(db, page)).map((row) => ({
          ...row,
          context: deploymentEnvironmentContext(row.id),
        })),
    },
  ];
}

export async function rotateSecrets(options: {
  db: Database;
  /** Encryption with the current secret and, during a rotation, the previous one. */
  encryptionFor: (purpose: EncryptionPurpose) => Encryption;
  batchSize: number;
  logger?: Logger;
  onProgress?: (progress: RotationProgress) => void | Promise<void>;
}): Promise<RotationResult> {
  const { db, batchSize, logger, onProgress } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error("batchSize must be a positive integer");
  const repository = createRotationRepository();
  const counts = {} as Record<SealedColumn, ColumnCounts>;
  const failures: RotationFailure[] = [];

  for (const { column, purpose, page } of sealedColumns(repository)) {
    const encryption = options.encryptionFor(purpose);
    const columnCounts: ColumnCounts = {
      scanned: 0,
      reencrypted: 0,
      alreadyCurrent: 0,
      skipped: 0,
      failed: 0,
    };
    counts[column] = columnCounts;
    let after: string | undefined;
    for (;;) {
      const rows = await page(db, { after, limit: batchSize });
      const last = rows.at(-1);
      if (!last) break;

      const replacements: { id: string; from: string; to: string }[] = [];
      for (const row of rows) {
        columnCounts.scanned++;
        if (!encryption.isStale(row.sealed)) {
          columnCounts.alreadyCurrent++;
          continue;
        }
        let plaintext: string;
        try {
          plaintext = await encryption.open(row.sealed, row.context);
        } catch (error) {
          // Only "does not open" is a per-row failure; anything else (database, bug) stops the run.
          if (!(error instanceof AppError)) throw error;
          const reason = error.reason ?? error.code;
          columnCounts.failed++;
          failures.push({ column, id: row.id, reason });
          logger?.warn(
            { column, id: row.id, reason },
            "a stored secret could not be decrypted; left as it is",
          );
          continue;
        }
        replacements.push({
          id: row.id,
          from: row.sealed,
          to: await encryption.seal(plaintext, row.context),
        });
      }

      if (replacements.length > 0) {
        const replaced = await db.$transaction(async (tx) => {
          const results: boolean[] = [];
          for (const { id, from, to } of replacements) {
            results.push(await repository.replace(tx, column, id, from, to));
          }
          return results;
        });
        for (const done of replaced) {
          if (done) columnCounts.reencrypted++;
          else columnCounts.skipped++;
        }
      }
      logger?.debug({ column, lastId: last.id, ...columnCounts }, "secret rotation batch committed");
      await onProgress?.({ column, lastId: last.id, counts: { ...columnCounts } });
      if (rows.length < batchSize) break;
      after = last.id;
    }
  }
  return { counts, failures };
}
