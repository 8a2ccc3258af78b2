// Environment variables (SPEC §5.4): one sealed row per project, environment and key. Listings show
// masked values only; reading a value is `reveal`, which is audited. Every change moves the
// environment's change marker, which both says "redeploy needed" and versions bulk-paste previews.
import type { AuditService } from "../audit/audit.service.ts";
import type { Encryption } from "../crypto/encryption.ts";
import type { Database, DbClient } from "../db/prisma.ts";
import { AppError } from "../errors.ts";
import { diffEnvironment, parseEnvFile, type EnvDiff, type InvalidLine } from "./env-file.ts";
import type { EnvironmentVariableRepository } from "./environment-variable.repository.ts";
import type { ProjectRepository } from "./project.repository.ts";
import type { Environment } from "./project.schema.ts";
import { projectNotFound } from "./project.service.ts";

/** Values at least this long show their last four characters; shorter ones show nothing. */
const HINT_MIN_LENGTH = 20;
const MASK = "••••••••";

/** Additional authenticated data: the value opens only in this organisation, project, environment and key. */
export function variableContext(
  organizationId: string,
  projectId: string,
  environment: Environment,
  key: string,
): string {
  return `environment-variable:${organizationId}:${projectId}:${environment}:${key}`;
}

function hintOf(value: string): string | null {
  const characters = [...value];
  return characters.length >= HINT_MIN_LENGTH ? characters.slice(-4).join("") : null;
}

function versionOf(changedAt: Date | null): string {
  return String(changedAt?.getTime() ?? 0);
}

function changedAtOf(
  project: { productionEnvChangedAt: Date | null; previewEnvChangedAt: Date | null },
  environment: Environment,
): Date | null {
  return environment === "production" ? project.productionEnvChangedAt : project.previewEnvChangedAt;
}

export type PastePreview = EnvDiff & {
  invalid: InvalidLine[];
  duplicates: string[];
  /** Pass back to `applyPaste`: a change in between refuses the apply instead of overwriting it. */
  baseVersion: string;
};

type Scope = { organizationId: string; projectId: string; environment: Environment };

export function createEnvironmentVariableService(deps: {
  db: Database;
  repository: EnvironmentVariableRepository;
  projects: ProjectRepository;
  encryption: Encryption;
  audit: AuditService;
}) {
  const { db, repository, encryption, audit } = deps;

  async function requireProject(scope: Scope) {
    const project = await deps.projects.find(db, scope.organizationId, scope.projectId);
    if (!project) throw projectNotFound();
    return project;
  }

  async function lock(tx: DbClient, scope: Scope) {
    const locked = await repository.lockProject(tx, scope.projectId, scope.environment);
    if (!locked) throw projectNotFound();
    return locked;
  }

  async function seal(scope: Scope, key: string, value: string, actorUserId: string) {
    return {
      key,
      encryptedValue: await encryption.seal(
        value,
        variableContext(scope.organizationId, scope.projectId, scope.environment, key),
      ),
      valueHint: hintOf(value),
      valueBytes: Buffer.byteLength(value),
      updatedByUserId: actorUserId,
    };
  }

  async function openAll(db: DbClient, scope: Scope): Promise<Map<string, string>> {
    const rows = await repository.listSealed(db, scope.projectId, scope.environment);
    const values = new Map<string, string>();
    for (const row of rows) {
      values.set(
        row.key,
        await encryption.open(
          row.encryptedValue,
          variableContext(scope.organizationId, scope.projectId, scope.environment, row.key),
        ),
      );
    }
    return values;
  }

  return {
    async list(scope: Scope) {
      const project = await requireProject(scope);
      const rows = await repository.list(db, scope.projectId, scope.environment);
      return {
        version: versionOf(changedAtOf(project, scope.environment)),
        variables: rows.map((row) => ({
          key: row.key,
          maskedValue: row.valueHint ? `${MASK}${row.valueHint}` : MASK,
          valueBytes: row.valueBytes,
          updatedBy: row.updatedByName,
          updatedAt: row.updatedAt,
        })),
      };
    },

    async reveal(scope: Scope & { key: string; actorUserId: string }): Promise<{ value: string }> {
      await requireProject(scope);
      return db.$transaction(async (tx) => {
        const row = await repository.findSealed(tx, scope.projectId, scope.environment, scope.key);
        if (!row) {
          throw new AppError("NOT_FOUND", `No variable ${scope.key} in ${scope.environment}.`, {
            reason: "ENVIRONMENT_VARIABLE_NOT_FOUND",
          });
        }
        const value = await encryption.open(
          row.encryptedValue,
          variableContext(scope.organizationId, scope.projectId, scope.environment, scope.key),
        );
        await audit.record(tx, {
          action: "environment_variable.reveal",
          actorUserId: scope.actorUserId,
          organizationId: scope.organizationId,
          targetType: "project",
          targetId: scope.projectId,
          metadata: { environment: scope.environment, key: scope.key },
        });
        return { value };
      });
    },

    async set(scope: Scope & { key: string; value: string; actorUserId: string }): Promise<void> {
      await requireProject(scope);
      const write = await seal(scope, scope.key, scope.value, scope.actorUserId);
      await db.$transaction(async (tx) => {
        await lock(tx, scope);
        const existed = await repository.upsert(tx, scope.projectId, scope.environment, write);
        await deps.projects.markEnvironmentChanged(tx, scope.projectId, scope.environment);
        await audit.record(tx, {
          action: existed ? "environment_variable.update" : "environment_variable.create",
          actorUserId: scope.actorUserId,
          organizationId: scope.organizationId,
          targetType: "project",
          targetId: scope.projectId,
          metadata: { environment: scope.environment, key: scope.key },
        });
      });
    },

    async remove(scope: Scope & { key: string; actorUserId: string }): Promise<void> {
      await requireProject(scope);
      await db.$transaction(async (tx) => {
        await lock(tx, scope);
        if ((await repository.delete(tx, scope.projectId, scope.environment, [scope.key])) === 0) {
          throw new AppError("NOT_FOUND", `No variable ${scope.key} in ${scope.environment}.`, {
            reason: "ENVIRONMENT_VARIABLE_NOT_FOUND",
          });
        }
        await deps.projects.markEnvironmentChanged(tx, scope.projectId, scope.environment);
        await audit.record(tx, {
          action: "environment_variable.delete",
          actorUserId: scope.actorUserId,
          organizationId: scope.organizationId,
          targetType: "project",
          targetId: scope.projectId,
          metadata: { environment: scope.environment, key: scope.key },
        });
      });
    },

    /** What pasting `text` would do; changes nothing. */
    async previewPaste(scope: Scope & { text: string; mode: "merge" | "replace" }): Promise<PastePreview> {
      const project = await requireProject(scope);
      const parsed = parseEnvFile(scope.text);
      const current = await openAll(db, scope);
      return {
        ...diffEnvironment(current, parsed.variables, scope.mode),
        invalid: parsed.invalid,
        duplicates: parsed.duplicates,
        baseVersion: versionOf(changedAtOf(project, scope.environment)),
      };
    },

    /**
     * Applies a previewed paste in one transaction: all of it or none. Invalid lines are skipped, as the
     * preview said; a change to the variables since the preview refuses the whole apply.
     */
    async applyPaste(
      scope: Scope & { text: string; mode: "merge" | "replace"; baseVersion: string; actorUserId: string },
    ): Promise<EnvDiff> {
      await requireProject(scope);
      const parsed = parseEnvFile(scope.text);
      const writes = new Map(
        await Promise.all(
          parsed.variables.map(
            async (variable) =>
              [variable.key, await seal(scope, variable.key, variable.value, scope.actorUserId)] as const,
          ),
        ),
      );
      return db.$transaction(async (tx) => {
        const locked = await lock(tx, scope);
        if (versionOf(locked.changedAt) !== scope.baseVersion) {
          throw new AppError(
            "CONFLICT",
            "These variables changed since the preview. Review the paste again before applying it.",
            { reason: "ENVIRONMENT_CHANGED_SINCE_PREVIEW" },
          );
        }
        const diff = diffEnvironment(await openAll(tx, scope), parsed.variables, scope.mode);
        for (const key of [...diff.added, ...diff.changed]) {
          const write = writes.get(key);
          if (write) await repository.upsert(tx, scope.projectId, scope.environment, write);
        }
        if (diff.removed.length > 0)
          await repository.delete(tx, scope.projectId, scope.environment, diff.removed);
        if (diff.added.length + diff.changed.length + diff.removed.length > 0) {
          await deps.projects.markEnvironmentChanged(tx, scope.projectId, scope.environment);
          await audit.record(tx, {
            action: "environment_variable.bulk_apply",
            actorUserId: scope.actorUserId,
            organizationId: scope.organizationId,
            targetType: "project",
            targetId: scope.projectId,
            metadata: {
              environment: scope.environment,
              added: diff.added,
              changed: diff.changed,
              removed: diff.removed,
            },
          });
        }
        return diff;
      });
    },

    /** Every value of one environment, in the clear: for the deployment that syncs them to Fly. */
    valuesFor: (scope: Scope): Promise<Map<string, string>> => openAll(db, scope),
  };
}

export type EnvironmentVariableService = ReturnType<typeof createEnvironmentVariableService>;
