// Projects (SPEC §5.3): a repository branch linked to a Fly app. Creating one checks the repository on
// GitHub, creates the Fly app, then records the project; when the record fails the app is destroyed
// again, so neither side is left half-created.
import type { AuditService } from "../audit/audit.service.ts";
import type { Database } from "../db/prisma.ts";
import { AppError } from "../errors.ts";
import type { FlyApi } from "../fly/fly-client.ts";
import { FlyApiError } from "../fly/fly-errors.ts";
import type { FlyCredentialService } from "../fly/fly-credential.service.ts";
import type { GitHubService } from "../github/github.service.ts";
import type { Logger } from "../observability/logger.ts";
import type { ProjectChanges, ProjectRepository, ProjectRow } from "./project.repository.ts";
import type { Environment, projectSettingsSchema } from "./project.schema.ts";
import type * as z from "zod";

export type ProjectView = Omit<ProjectRow, "installationId" | "repositoryId"> & {
  installationId: number;
  repositoryId: number;
};

/** One project as its page shows it: `redeployNeeded` says which environments changed since going live. */
export type ProjectDetail = ProjectView & { redeployNeeded: Record<Environment, boolean> };

function toView(row: ProjectRow): ProjectView {
  return { ...row, installationId: Number(row.installationId), repositoryId: Number(row.repositoryId) };
}

function fieldError(code: "CONFLICT" | "BAD_REQUEST", field: string, message: string, reason: string) {
  return new AppError(code, message, { reason, fieldErrors: { [field]: [message] } });
}

export function projectNotFound(): AppError {
  return new AppError("NOT_FOUND", "No such project in this organization.", { reason: "PROJECT_NOT_FOUND" });
}

const nameTaken = () =>
  fieldError(
    "CONFLICT",
    "name",
    "This organization already has a project with that name.",
    "PROJECT_NAME_TAKEN",
  );
const appNameTaken = () =>
  fieldError("CONFLICT", "flyAppName", "This Fly app name is taken. Choose another.", "FLY_APP_NAME_TAKEN");

/** True when the database refused a row because of a unique constraint on one of `fields`. */
function uniqueViolationOn(error: unknown, field: string): boolean {
  const candidate = error as { code?: unknown; meta?: { target?: unknown } } | null;
  if (candidate?.code !== "P2002") return false;
  const target = candidate.meta?.target;
  if (Array.isArray(target)) return target.includes(field);
  // The pg driver adapter reports the constraint by name, e.g. project_organizationId_name_key.
  return typeof target === "string" ? target.includes(field) : JSON.stringify(target ?? "").includes(field);
}

export type CreateProject = {
  organizationId: string;
  actorUserId: string;
  repository: string;
  name: string;
  productionBranch?: string | undefined;
  rootDirectory: string;
  dockerfilePath: string;
  flyConfigPath: string;
  flyAppName: string;
  region: string;
  autoDeploy: boolean;
  previewsEnabled: boolean;
};

export function createProjectService(deps: {
  db: Database;
  repository: ProjectRepository;
  github: GitHubService | undefined;
  flyCredentials: FlyCredentialService | undefined;
  audit: AuditService;
  logger: Logger;
}) {
  const { db, repository, audit } = deps;
  const logger = deps.logger.child({ component: "projects" });

  function requireGitHub(): GitHubService {
    if (!deps.github) {
      throw new AppError("PRECONDITION_FAILED", "No GitHub App is configured for this Hangar.", {
        reason: "GITHUB_NOT_CONFIGURED",
      });
    }
    return deps.github;
  }

  async function flyFor(organizationId: string): Promise<{ api: FlyApi; orgSlug: string }> {
    if (!deps.flyCredentials) {
      throw new AppError("PRECONDITION_FAILED", "Fly.io is not configured for this Hangar.", {
        reason: "FLY_NOT_CONFIGURED",
      });
    }
    const api = await deps.flyCredentials.apiFor(organizationId);
    const credential = await deps.flyCredentials.get(organizationId);
    return { api, orgSlug: credential?.flyOrgSlug ?? "" };
  }

  async function detailOf(project: ProjectRow): Promise<ProjectDetail> {
    const synced = await repository.lastLiveSync(db, project.id);
    const changedSince = (changedAt: Date | null, syncedAt: Date | null) =>
      changedAt !== null && syncedAt !== null && changedAt > syncedAt;
    return {
      ...toView(project),
      redeployNeeded: {
        production: changedSince(project.productionEnvChangedAt, synced.production),
        preview: changedSince(project.previewEnvChangedAt, synced.preview),
      },
    };
  }

  async function requireProject(organizationId: string, projectId: string): Promise<ProjectRow> {
    const project = await repository.find(db, organizationId, projectId);
    if (!project) throw projectNotFound();
    return project;
  }

  async function checkRegion(api: FlyApi, region: string): Promise<void> {
    const { regions } = await api.listRegions();
    if (!regions.some((candidate) => candidate.code === region)) {
      throw fieldError("BAD_REQUEST", "region", `Fly.io has no region "${region}".`, "FLY_REGION_UNKNOWN");
    }
  }

  /** Destroys an app this request created, because the project that needed it could not be recorded. */
  async function compensate(api: FlyApi, flyAppName: string, cause: unknown): Promise<void> {
    try {
      await api.deleteApp(flyAppName, { force: true });
      logger.warn({ err: cause, flyAppName }, "project not recorded; destroyed the Fly app created for it");
    } catch (error) {
      logger.error(
        { err: error, cause, flyAppName },
        "project not recorded and its Fly app could not be destroyed: delete it by hand",
      );
    }
  }

  return {
    list: async (organizationId: string): Promise<ProjectView[]> =>
      (await repository.listForOrganization(db, organizationId)).map(toView),

    /** The project, and per environment whether its variables changed since its live deployment. */
    get: async (organizationId: string, projectId: string): Promise<ProjectDetail> =>
      detailOf(await requireProject(organizationId, projectId)),

    /** The project row for other domains (deployments, env vars); NOT_FOUND outside the organisation. */
    requireProject,

    /** Fly's regions, for the region picker, with the one nearest to Hangar first. */
    async regions(organizationId: string) {
      const { api } = await flyFor(organizationId);
      const { nearest, regions } = await api.listRegions();
      return {
        nearest: nearest ?? null,
        regions: regions
          .map((region) => ({ code: region.code, name: region.name }))
          .sort((a, b) => a.name.localeCompare(b.name)),
      };
    },

    /** Asked as the person types: free on Fly and not used by any project here. */
    async appNameAvailability(organizationId: string, flyAppName: string) {
      if (await repository.appNameTaken(db, flyAppName)) {
        return { available: false, message: "A Hangar project already uses this app name." };
      }
      const { api } = await flyFor(organizationId);
      const available = await api.isAppNameAvailable(flyAppName);
      return available
        ? { available: true, message: "Available" }
        : { available: false, message: "This name is taken on Fly.io." };
    },

    async create(input: CreateProject): Promise<ProjectDetail> {
      if (await repository.nameTaken(db, input.organizationId, input.name)) throw nameTaken();
      if (await repository.appNameTaken(db, input.flyAppName)) throw appNameTaken();
      const access = await requireGitHub().checkRepositoryAccess({
        organizationId: input.organizationId,
        userId: input.actorUserId,
        repository: input.repository,
      });
      const { api, orgSlug } = await flyFor(input.organizationId);
      await checkRegion(api, input.region);

      try {
        await api.createApp({ name: input.flyAppName, orgSlug });
      } catch (error) {
        if (error instanceof FlyApiError && error.upstreamStatus === 422) {
          if (error.flyStatus === "name_taken" || /taken/i.test(error.flyMessage)) throw appNameTaken();
          throw fieldError("BAD_REQUEST", "flyAppName", error.flyMessage, "FLY_APP_NAME_INVALID");
        }
        throw error;
      }

      try {
        const created = await db.$transaction(async (tx) => {
          const row = await repository.insert(tx, {
            organizationId: input.organizationId,
            name: input.name,
            installationId: BigInt(access.installationId),
            repositoryId: BigInt(access.repositoryId),
            repositoryFullName: access.fullName,
            productionBranch: input.productionBranch ?? access.defaultBranch ?? "main",
            rootDirectory: input.rootDirectory,
            dockerfilePath: input.dockerfilePath,
            flyConfigPath: input.flyConfigPath,
            flyAppName: input.flyAppName,
            region: input.region,
            autoDeploy: input.autoDeploy,
            previewsEnabled: input.previewsEnabled,
            createdByUserId: input.actorUserId,
          });
          await audit.record(tx, {
            action: "project.create",
            actorUserId: input.actorUserId,
            organizationId: input.organizationId,
            targetType: "project",
            targetId: row.id,
            metadata: {
              name: row.name,
              repository: row.repositoryFullName,
              branch: row.productionBranch,
              flyAppName: row.flyAppName,
            },
          });
          return row;
        });
        return await detailOf(created);
      } catch (error) {
        await compensate(api, input.flyAppName, error);
        if (uniqueViolationOn(error, "name")) throw nameTaken();
        if (uniqueViolationOn(error, "flyAppName")) throw appNameTaken();
        throw error;
      }
    },

    async update(input: {
      organizationId: string;
      projectId: string;
      actorUserId: string;
      settings: Partial<z.output<typeof projectSettingsSchema>>;
    }): Promise<ProjectDetail> {
      const current = await requireProject(input.organizationId, input.projectId);
      const changes: ProjectChanges = {};
      for (const [field, value] of Object.entries(input.settings) as [keyof ProjectChanges, never][]) {
        if (value !== undefined && current[field] !== value) changes[field] = value;
      }
      if (Object.keys(changes).length === 0) return detailOf(current);
      if (changes.name && (await repository.nameTaken(db, input.organizationId, changes.name, current.id))) {
        throw nameTaken();
      }
      if (changes.region) await checkRegion((await flyFor(input.organizationId)).api, changes.region);
      try {
        const updated = await db.$transaction(async (tx) => {
          if (!(await repository.lock(tx, input.organizationId, input.projectId))) throw projectNotFound();
          const row = await repository.update(tx, input.projectId, changes);
          await audit.record(tx, {
            action: "project.update",
            actorUserId: input.actorUserId,
            organizationId: input.organizationId,
            targetType: "project",
            targetId: input.projectId,
            metadata: { changed: Object.keys(changes) },
          });
          return row;
        });
        return await detailOf(updated);
      } catch (error) {
        if (uniqueViolationOn(error, "name")) throw nameTaken();
        throw error;
      }
    },

    /**
     * Removes Hangar's records; destroys the Fly app first when asked, so a failure there leaves the
     * project in place to try again. An app already gone on Fly counts as destroyed.
     */
    async delete(input: {
      organizationId: string;
      projectId: string;
      actorUserId: string;
      destroyFlyApp: boolean;
    }): Promise<void> {
      const project = await requireProject(input.organizationId, input.projectId);
      if (await repository.hasActiveDeployment(db, project.id)) {
        throw new AppError(
          "CONFLICT",
          "A deployment of this project is in progress. Cancel it, or wait for it to finish, then delete the project.",
          { reason: "PROJECT_DEPLOYMENT_ACTIVE" },
        );
      }
      if (input.destroyFlyApp) {
        const { api } = await flyFor(input.organizationId);
        try {
          await api.deleteApp(project.flyAppName, { force: true });
        } catch (error) {
          if (!(error instanceof FlyApiError && error.upstreamStatus === 404)) throw error;
        }
      }
      await db.$transaction(async (tx) => {
        if (!(await repository.lock(tx, input.organizationId, input.projectId))) throw projectNotFound();
        await repository.delete(tx, input.projectId);
        await audit.record(tx, {
          action: "project.delete",
          actorUserId: input.actorUserId,
          organizationId: input.organizationId,
          targetType: "project",
          targetId: input.projectId,
          metadata: {
            name: project.name,
            flyAppName: project.flyAppName,
            flyAppDestroyed: input.destroyFlyApp,
          },
        });
      });
    },
  };
}

export type ProjectService = ReturnType<typeof createProjectService>;
