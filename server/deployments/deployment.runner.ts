// Runs one deployment (SPEC §5.6): resolve → source → build → secrets → rollout → verify → live. The
// worker holds a lease on the row, renewed by a heartbeat that also notices a cancel request; each
// step has its own timeout and records its output, so a worker that takes over after a crash resumes
// after the last finished step. Every run ends in a terminal status with the step and the reason.
import path from "node:path";
import type { Database } from "../db/prisma.ts";
import { AppError } from "../errors.ts";
import type { Encryption } from "../crypto/encryption.ts";
import type { FlyApi } from "../fly/fly-client.ts";
import type { FlyCredentialService } from "../fly/fly-credential.service.ts";
import type { GitHubClient } from "../github/github-client.ts";
import type { Logger } from "../observability/logger.ts";
import type { EnvironmentVariableService } from "../projects/environment-variable.service.ts";
import type { ProjectRepository, ProjectRow } from "../projects/project.repository.ts";
import type { Environment } from "../projects/project.schema.ts";
import { QUEUES, type Queue, prismaExecutor } from "../queue/queue.ts";
import type { Builder } from "./builders/builder.ts";
import { createImageBuilder } from "./builders/image-builder.ts";
import { deploymentEnvironmentContext } from "./deployment-environment.ts";
import type { DeploymentMetrics } from "./deployment.metrics.ts";
import { type DeploymentLogStore, type LogWriter, createLogWriter } from "./deployment-log.ts";
import type { Checkpoint, DeploymentRepository, RunnableDeployment } from "./deployment.repository.ts";
import type { DeploymentStep } from "./deployment.schema.ts";
import { createRedactor } from "./log-redaction.ts";
import { APP_PROCESS_GROUP, parseFlyConfig } from "./rollout/fly-config.ts";
import { rollOut } from "./rollout/rollout.ts";
import {
  type ArchiveLimits,
  createWorkspace,
  extractSourceArchive,
  removeWorkspace,
} from "./source-archive.ts";

export type RunnerSettings = {
  /** Identifies this worker in leases; unique per process. */
  workerId: string;
  leaseTtlSeconds: number;
  heartbeatMs: number;
  /** A run that lost its worker this many times is failed instead of resumed again. */
  maxAttempts: number;
  workspaceRoot: string;
  archiveLimits: ArchiveLimits;
  stepTimeoutsMs: Record<DeploymentStep, number>;
  rollout: {
    /** Machines a first deploy creates. */
    initialMachineCount: number;
    leaseTtlSeconds: number;
    startedMs: number;
    healthyMs: number;
    smokeMs: number;
  };
};

/** Why a run stopped early: the person (or a newer deployment) cancelled it, or its lease was lost. */
class RunStopped extends Error {
  readonly kind: "cancelled" | "lease_lost";

  constructor(kind: "cancelled" | "lease_lost") {
    super(kind === "cancelled" ? "Cancelled." : "The lease on this deployment was lost.");
    this.kind = kind;
  }
}

function describe(error: unknown): string {
  if (error instanceof AppError) return error.message;
  if (error instanceof Error && error.name === "TimeoutError") return "timed out";
  return "an internal error stopped it (see the server log)";
}

export function createDeploymentRunner(deps: {
  db: Database;
  repository: DeploymentRepository;
  projects: ProjectRepository;
  environmentVariables: EnvironmentVariableService;
  flyCredentials: FlyCredentialService;
  github: GitHubClient;
  builder: Builder;
  logs: DeploymentLogStore;
  queue: Pick<Queue, "insertInTransaction">;
  /** Purpose "environment-variable": seals the env snapshot each deployment set on Fly. */
  encryption: Encryption;
  settings: RunnerSettings;
  metrics: DeploymentMetrics;
  logger: Logger;
}) {
  const { db, repository, settings } = deps;
  const logger = deps.logger.child({ component: "deployments" });

  /** Ends the run in one transaction with the next queued deployment's job and the GitHub feedback. */
  async function finish(
    deployment: RunnableDeployment,
    outcome: Parameters<DeploymentRepository["finish"]>[3],
  ): Promise<void> {
    const finished = await db.$transaction(async (tx) => {
      if (!(await repository.finish(tx, deployment.id, settings.workerId, outcome))) return false;
      const jobs = [{ correlationId: deployment.id, deploymentId: deployment.id }];
      await deps.queue.insertInTransaction(prismaExecutor(tx), QUEUES.deploymentFeedback, jobs);
      const next = await repository.nextQueued(tx, deployment.flyAppName);
      if (next) {
        await deps.queue.insertInTransaction(prismaExecutor(tx), QUEUES.deploymentRun, [
          { correlationId: next, deploymentId: next },
        ]);
      }
      return true;
    });
    if (finished && deployment.startedAt) {
      deps.metrics.observeFinished(outcome.status, (Date.now() - deployment.startedAt.getTime()) / 1000);
    }
    await deps.logs.notify(deployment.id);
  }

  /** Every value the log must never show: the project's env values (both environments), the Fly token. */
  async function secretsOf(project: ProjectRow, flyToken: string): Promise<string[]> {
    const values = [flyToken];
    for (const environment of ["production", "preview"] as const) {
      const variables = await deps.environmentVariables.valuesFor({
        organizationId: project.organizationId,
        projectId: project.id,
        environment,
      });
      values.push(...variables.values());
    }
    return values;
  }

  async function runPipeline(input: {
    deployment: RunnableDeployment;
    project: ProjectRow;
    fly: FlyApi;
    flyToken: string;
    log: LogWriter;
    stopped: AbortSignal;
    checkpoint: Checkpoint;
  }): Promise<{ machines: { id: string; region: string }[] }> {
    const { deployment, project, log, checkpoint } = input;
    const [owner = "", repo = ""] = project.repositoryFullName.split("/");
    const installationId = Number(project.installationId);
    const rolledBack = deployment.trigger === "rollback";

    async function step<T>(
      name: DeploymentStep,
      status: "building" | "deploying",
      work: (signal: AbortSignal) => Promise<T>,
    ): Promise<T> {
      // What the finished steps logged is stored before the next one starts: a crash loses at most the
      // running step's last lines.
      await log.flush();
      if (
        !(await repository.advance(db, deployment.id, settings.workerId, { status, step: name, checkpoint }))
      ) {
        throw new RunStopped("lease_lost");
      }
      await deps.logs.notify(deployment.id);
      log.write(name, `── ${name} ──`);
      const timeoutMs = settings.stepTimeoutsMs[name];
      const signal = AbortSignal.any([input.stopped, AbortSignal.timeout(timeoutMs)]);
      try {
        return await work(signal);
      } catch (error) {
        if (input.stopped.aborted) throw input.stopped.reason;
        if (signal.aborted) {
          throw new AppError(
            "GATEWAY_TIMEOUT",
            `The ${name} step timed out after ${Math.round(timeoutMs / 1000)} s.`,
            {
              reason: "DEPLOYMENT_STEP_TIMED_OUT",
              cause: error,
            },
          );
        }
        throw error;
      }
    }

    const configPath = path.posix.join(project.rootDirectory, project.flyConfigPath);
    if (checkpoint.flyConfig === undefined) {
      checkpoint.flyConfig = await step("resolve", "building", async () => {
        log.write(
          "resolve",
          `Commit ${deployment.commitSha.slice(0, 7)} on ${deployment.branch}${deployment.commitMessage ? `: ${deployment.commitMessage.split("\n")[0] ?? ""}` : ""}`,
        );
        const content = await deps.github.installation.getFileContent(
          installationId,
          owner,
          repo,
          configPath,
          deployment.commitSha,
        );
        log.write(
          "resolve",
          content === null
            ? `No ${configPath} at this commit: using defaults (HTTP service on port 8080).`
            : `Using ${configPath}.`,
        );
        // Parsed now so that a broken fly.toml fails here, before a build is spent on it.
        parseFlyConfig(content ?? undefined);
        return content;
      });
    }
    const flyConfig = parseFlyConfig(checkpoint.flyConfig ?? undefined);

    if (checkpoint.imageRef === undefined) {
      if (rolledBack && deployment.imageRef) {
        checkpoint.imageRef = deployment.imageRef;
        log.write("resolve", `Rolling back to image ${deployment.imageRef} (no rebuild).`);
      } else {
        const workspace = await createWorkspace(settings.workspaceRoot);
        const sourceDir = path.join(workspace, "source");
        try {
          await step("source", "building", async (signal) => {
            const archive = await deps.github.installation.downloadTarball(
              installationId,
              owner,
              repo,
              deployment.commitSha,
              signal,
            );
            const extracted = await extractSourceArchive(archive, sourceDir, {
              ...settings.archiveLimits,
              signal,
            });
            log.write(
              "source",
              `Fetched ${project.repositoryFullName}@${deployment.commitSha.slice(0, 7)}: ${extracted.entries} entries, ${extracted.bytes} bytes.`,
            );
          });
          checkpoint.imageRef = await step("build", "building", async (signal) => {
            const builder =
              project.buildSource === "image" && project.imageTemplate
                ? createImageBuilder({ template: project.imageTemplate })
                : deps.builder;
            const result = await builder.build({
              deploymentId: deployment.id,
              appName: deployment.flyAppName,
              commitSha: deployment.commitSha,
              workspaceDir: sourceDir,
              rootDirectory: project.rootDirectory,
              dockerfilePath: project.dockerfilePath,
              flyConfigPath: project.flyConfigPath,
              imageLabel: `hangar-${deployment.number}-${deployment.commitSha.slice(0, 7)}`,
              flyToken: input.flyToken,
              signal,
              log: (line) => log.write("build", line),
            });
            log.write("build", `Image ${result.imageRef}`);
            return result.imageRef;
          });
        } finally {
          await removeWorkspace(workspace);
        }
      }
    }
    const imageRef = checkpoint.imageRef;

    checkpoint.secretsVersion = await step("secrets", "deploying", async (signal) => {
      const fly = input.fly.withSignal(signal);
      const values = await environmentFor(deployment, project);
      const previous = await lastSyncedEnvironment(deployment);
      const onFly = new Set((await fly.listSecrets(deployment.flyAppName)).map((secret) => secret.name));
      const changes: Record<string, string | null> = {};
      for (const [key, value] of values) {
        if (!onFly.has(key) || previous.get(key) !== value) changes[key] = value;
      }
      // Only what Hangar set before: secrets someone set with flyctl are left alone.
      for (const key of previous.keys()) if (!values.has(key) && onFly.has(key)) changes[key] = null;
      const changed = Object.keys(changes);
      let version: number | null = null;
      if (changed.length > 0) {
        version = await fly.setSecrets(deployment.flyAppName, changes);
        const set = changed.filter((key) => changes[key] !== null);
        const removed = changed.filter((key) => changes[key] === null);
        log.write(
          "secrets",
          `Updated ${set.length} secret(s)${set.length ? ` (${set.join(", ")})` : ""}${removed.length ? `, removed ${removed.join(", ")}` : ""}.`,
        );
      } else {
        log.write("secrets", `${values.size} secret(s) unchanged.`);
      }
      const snapshot = await deps.encryption.seal(
        JSON.stringify(Object.fromEntries(values)),
        deploymentEnvironmentContext(deployment.id),
      );
      await repository.recordEnvironment(db, deployment.id, settings.workerId, snapshot);
      return version;
    });

    const rollout = await step("rollout", "deploying", (signal) =>
      rollOut({
        fly: input.fly.withSignal(signal),
        appName: deployment.flyAppName,
        image: imageRef,
        // The region chosen in Hangar wins over fly.toml's primary_region: it is the project's setting.
        region: project.region,
        machineConfig: flyConfig.machine,
        release: { id: deployment.id, version: deployment.number },
        deploymentId: deployment.id,
        processGroup: APP_PROCESS_GROUP,
        initialMachineCount: settings.rollout.initialMachineCount,
        ...(checkpoint.secretsVersion ? { minSecretsVersion: checkpoint.secretsVersion } : {}),
        leaseTtlSeconds: settings.rollout.leaseTtlSeconds,
        timeouts: {
          startedMs: settings.rollout.startedMs,
          healthyMs: settings.rollout.healthyMs,
          smokeMs: settings.rollout.smokeMs,
        },
        log: (line) => log.write("rollout", line),
        signal,
      }),
    );

    await step("verify", "deploying", async (signal) => {
      const fly = input.fly.withSignal(signal);
      for (const machine of rollout.machines) {
        const current = await fly.getMachine(deployment.flyAppName, machine.id);
        if (current.state !== "started" || current.config?.image !== imageRef) {
          throw new AppError(
            "BAD_GATEWAY",
            `Machine ${machine.id} is ${current.state} on ${current.config?.image ?? "no image"}, not started on ${imageRef}.`,
            { reason: "DEPLOYMENT_VERIFY_FAILED" },
          );
        }
      }
      log.write("verify", `${rollout.machines.length} machine(s) started on ${imageRef}.`);
    });
    return { machines: rollout.machines.map((machine) => ({ id: machine.id, region: machine.region })) };
  }

  /** The env values to set: as they are, or, for a rollback that asks for it, as the target had them. */
  async function environmentFor(
    deployment: RunnableDeployment,
    project: ProjectRow,
  ): Promise<Map<string, string>> {
    if (
      deployment.trigger === "rollback" &&
      deployment.environmentChoice === "snapshot" &&
      deployment.sourceDeploymentId
    ) {
      const sealed = await repository.sealedEnvironment(db, deployment.sourceDeploymentId);
      if (sealed?.encryptedEnvironment) {
        const opened = await deps.encryption.open(
          sealed.encryptedEnvironment,
          deploymentEnvironmentContext(deployment.sourceDeploymentId),
        );
        return new Map(Object.entries(JSON.parse(opened) as Record<string, string>));
      }
    }
    return deps.environmentVariables.valuesFor({
      organizationId: project.organizationId,
      projectId: project.id,
      environment: deployment.environment as Environment,
    });
  }

  /** What Hangar last set on the app: the snapshot of its latest deployment that synced secrets. */
  async function lastSyncedEnvironment(deployment: RunnableDeployment): Promise<Map<string, string>> {
    const previous = await repository.lastSynced(db, deployment.flyAppName, deployment.id);
    if (!previous?.encryptedEnvironment) return new Map();
    const opened = await deps.encryption.open(
      previous.encryptedEnvironment,
      deploymentEnvironmentContext(previous.id),
    );
    return new Map(Object.entries(JSON.parse(opened) as Record<string, string>));
  }

  return {
    /** Runs (or resumes) the deployment if it can be claimed; returns when it has ended or was handed on. */
    async run(deploymentId: string): Promise<void> {
      const claim = await repository.claim(db, deploymentId, settings.workerId, settings.leaseTtlSeconds);
      if (claim.kind !== "claimed") return;
      const deployment = claim.deployment;
      const checkpoint: Checkpoint = { ...deployment.checkpoint };
      const resumed = deployment.attempts > 1;

      const project = await deps.projects.findById(db, deployment.projectId);
      if (!project) {
        await finish(deployment, {
          status: "failed",
          failedStep: "resolve",
          failureReason: "The project was deleted.",
        });
        return;
      }
      if (resumed && deployment.attempts > settings.maxAttempts) {
        await finish(deployment, {
          status: "failed",
          failedStep: deployment.step,
          failureReason: `The worker running it stopped ${deployment.attempts - 1} times; giving up.`,
        });
        return;
      }

      const stop = new AbortController();
      const heartbeat = setInterval(() => {
        repository
          .heartbeat(db, deployment.id, settings.workerId, settings.leaseTtlSeconds)
          .then((lease) => {
            if (!lease) stop.abort(new RunStopped("lease_lost"));
            else if (lease.cancelRequested) stop.abort(new RunStopped("cancelled"));
          })
          .catch((error: unknown) =>
            logger.warn({ err: error, deploymentId }, "deployment heartbeat failed"),
          );
      }, settings.heartbeatMs);

      let log: LogWriter | undefined;
      try {
        const flyToken = await deps.flyCredentials.tokenFor(project.organizationId);
        log = createLogWriter({
          store: deps.logs,
          deploymentId: deployment.id,
          startSeq: await deps.logs.lastSeq(deployment.id),
          redact: createRedactor(await secretsOf(project, flyToken)),
          logger,
        });
        if (resumed)
          log.write(
            (deployment.step ?? "resolve") as DeploymentStep,
            `Resumed by another worker (attempt ${deployment.attempts}).`,
            "warn",
          );
        if (deployment.cancelRequestedAt) throw new RunStopped("cancelled");
        const fly = (await deps.flyCredentials.apiFor(project.organizationId)).withSignal(undefined);
        const result = await runPipeline({
          deployment,
          project,
          fly,
          flyToken,
          log,
          stopped: stop.signal,
          checkpoint,
        });
        log.write("verify", `Deployment #${deployment.number} is live.`);
        await log.flush();
        await finish(deployment, {
          status: "live",
          releaseVersion: deployment.number,
          machines: result.machines,
        });
      } catch (error) {
        const current = await repository.find(db, deployment.id);
        const stepName = (current?.step ?? deployment.step ?? "resolve") as DeploymentStep;
        const stopped =
          error instanceof RunStopped
            ? error
            : stop.signal.aborted
              ? (stop.signal.reason as RunStopped)
              : undefined;
        if (stopped?.kind === "lease_lost") {
          logger.warn({ deploymentId }, "lost the lease on a deployment; another worker carries on");
          return;
        }
        if (stopped?.kind === "cancelled") {
          log?.write(stepName, "Cancelled; the app stays on its previous release.", "warn");
          await log?.flush();
          await finish(deployment, {
            status: "cancelled",
            failedStep: stepName,
            failureReason: "Cancelled.",
          });
          return;
        }
        if (!(error instanceof AppError))
          logger.error({ err: error, deploymentId }, "deployment failed unexpectedly");
        const reason = describe(error);
        log?.write(stepName, `Failed at ${stepName}: ${reason}`, "error");
        await log?.flush();
        await finish(deployment, { status: "failed", failedStep: stepName, failureReason: reason });
      } finally {
        clearInterval(heartbeat);
      }
    },
  };
}

export type DeploymentRunner = ReturnType<typeof createDeploymentRunner>;
