// Processes a stored delivery exactly once: the delivery row is locked, routed to its handler, and its
// outcome written in one transaction. A redelivered job for a delivery that already has an outcome
// does nothing, so a crash between commit and acknowledgement never processes anything twice.
import type * as z from "zod";
import type { Database, DbClient } from "../db/prisma.ts";
import { runWithCorrelation } from "../observability/context.ts";
import type { Logger } from "../observability/logger.ts";
import { sanitizeText } from "./sanitize.ts";
import type { WebhookMetrics } from "./webhook.metrics.ts";
import type { WebhookRepository } from "./webhook.repository.ts";
import {
  type InstallationPayload,
  type InstallationRepositoriesPayload,
  type PullRequestPayload,
  type PushPayload,
  installationPayload,
  installationRepositoriesPayload,
  pingPayload,
  pullRequestPayload,
  pushPayload,
} from "./webhook.schema.ts";

export type Outcome = { status: "processed" | "ignored" | "failed"; reason: string };

/** Decides what a push or pull request means for Hangar's projects; the Projects and Deployments work plugs in here. */
export type ProjectMatcher = {
  onPush(
    db: DbClient,
    push: { repository: string; branch: string; payload: PushPayload; deliveryRowId: string },
  ): Promise<Outcome>;
  onPullRequest(
    db: DbClient,
    pullRequest: { repository: string; payload: PullRequestPayload },
  ): Promise<Outcome>;
};

/** Keeps Hangar's record of GitHub App installations current; the GitHub integration plugs in here. */
export type InstallationHandlers = {
  onInstallation(db: DbClient, payload: InstallationPayload): Promise<Outcome>;
  onInstallationRepositories(db: DbClient, payload: InstallationRepositoriesPayload): Promise<Outcome>;
};

const SKIP_DEPLOY = /\[(skip deploy|deploy skip)\]/i;

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join(".") || "payload"}: ${issue.message}`)
    .join("; ");
}

export function createWebhookProcessor(deps: {
  db: Database;
  repository: WebhookRepository;
  projects: ProjectMatcher;
  installations: InstallationHandlers;
  metrics: WebhookMetrics;
  logger: Logger;
}) {
  const { projects, installations } = deps;

  function invalid(event: string, error: z.ZodError): Outcome {
    return { status: "failed", reason: sanitizeText(`invalid ${event} payload: ${describeIssues(error)}`) };
  }

  async function route(
    db: DbClient,
    event: string,
    payload: unknown,
    deliveryRowId: string,
  ): Promise<Outcome> {
    switch (event) {
      case "ping": {
        const parsed = pingPayload.safeParse(payload);
        if (!parsed.success) return invalid(event, parsed.error);
        const events = parsed.data.hook?.events?.join(", ") ?? "none listed";
        return {
          status: "processed",
          reason: sanitizeText(`pong: hook ${parsed.data.hook_id ?? "?"} (events: ${events})`),
        };
      }
      case "push": {
        const parsed = pushPayload.safeParse(payload);
        if (!parsed.success) return invalid(event, parsed.error);
        const push = parsed.data;
        const repository = sanitizeText(push.repository.full_name, 200);
        if (!push.ref.startsWith("refs/heads/"))
          return { status: "ignored", reason: "ignored: not a branch push" };
        const branch = sanitizeText(push.ref.slice("refs/heads/".length), 255);
        if (push.deleted) return { status: "ignored", reason: `ignored: branch ${branch} was deleted` };
        if (push.head_commit && SKIP_DEPLOY.test(push.head_commit.message)) {
          return { status: "ignored", reason: "ignored: [skip deploy] in the commit message" };
        }
        return projects.onPush(db, { repository, branch, payload: push, deliveryRowId });
      }
      case "pull_request": {
        const parsed = pullRequestPayload.safeParse(payload);
        if (!parsed.success) return invalid(event, parsed.error);
        return projects.onPullRequest(db, {
          repository: sanitizeText(parsed.data.repository.full_name, 200),
          payload: parsed.data,
        });
      }
      case "installation": {
        const parsed = installationPayload.safeParse(payload);
        if (!parsed.success) return invalid(event, parsed.error);
        return installations.onInstallation(db, parsed.data);
      }
      case "installation_repositories": {
        const parsed = installationRepositoriesPayload.safeParse(payload);
        if (!parsed.success) return invalid(event, parsed.error);
        return installations.onInstallationRepositories(db, parsed.data);
      }
      default:
        return { status: "ignored", reason: "ignored: event not handled" };
    }
  }

  async function processIn(tx: DbClient, deliveryRowId: string): Promise<Outcome | null> {
    const delivery = await deps.repository.claimForProcessing(tx, deliveryRowId);
    if (!delivery) return null;
    deps.metrics.observePickup((Date.now() - delivery.receivedAt.getTime()) / 1000);
    // Every line written for this delivery carries its id, even when it is processed in a batch.
    return runWithCorrelation({ requestId: delivery.deliveryId }, async () => {
      const outcome = await route(tx, delivery.event, delivery.payload, delivery.id);
      await deps.repository.recordOutcome(tx, delivery.id, outcome);
      deps.logger.info(
        { event: delivery.event, status: outcome.status, reason: outcome.reason },
        "webhook processed",
      );
      return outcome;
    });
  }

  async function processAlone(deliveryRowId: string): Promise<Outcome | null> {
    const outcome = await deps.db.$transaction((tx) => processIn(tx, deliveryRowId), { timeout: 30_000 });
    if (outcome) deps.metrics.observeProcessed(outcome.status);
    return outcome;
  }

  return {
    /** Returns the outcome, or null when the delivery was already processed (a redelivered job). */
    process: processAlone,

    /**
     * Processes several deliveries in one transaction (one commit instead of one each). If any of them
     * fails, the transaction is rolled back and each is processed on its own, so one bad delivery
     * cannot hold back the others. Resolves with the ids that still failed.
     */
    async processBatch(deliveryRowIds: string[]): Promise<string[]> {
      try {
        const outcomes = await deps.db.$transaction(
          async (tx) => {
            const results: (Outcome | null)[] = [];
            for (const id of deliveryRowIds) results.push(await processIn(tx, id));
            return results;
          },
          { timeout: 30_000 },
        );
        for (const outcome of outcomes) if (outcome) deps.metrics.observeProcessed(outcome.status);
        return [];
      } catch (batchError) {
        if (deliveryRowIds.length === 1) throw batchError;
        const failed: string[] = [];
        for (const id of deliveryRowIds) {
          try {
            await processAlone(id);
          } catch (error) {
            deps.logger.error({ err: error, deliveryRowId: id }, "webhook processing failed");
            failed.push(id);
          }
        }
        return failed;
      }
    },
  };
}

export type WebhookProcessor = ReturnType<typeof createWebhookProcessor>;

/** Until projects exist, a push or pull request is recorded with what Hangar would have needed. */
export const noProjectsYet: ProjectMatcher = {
  onPush: (_db, push) =>
    Promise.resolve({
      status: "ignored",
      reason: `ignored: no project tracks ${push.repository}@${push.branch}`,
    }),
  onPullRequest: (_db, pullRequest) =>
    Promise.resolve({
      status: "ignored",
      reason: `ignored: no project with previews tracks ${pullRequest.repository}`,
    }),
};

/** Until installations are linked to organisations, installation events are recorded as what they say. */
export const recordInstallationEvents: InstallationHandlers = {
  onInstallation: (_db, payload) =>
    Promise.resolve({
      status: "processed",
      reason: sanitizeText(
        `installation ${payload.installation.id} ${payload.action} for ${payload.installation.account.login}`,
      ),
    }),
  onInstallationRepositories: (_db, payload) =>
    Promise.resolve({
      status: "processed",
      reason: sanitizeText(
        `installation ${payload.installation.id}: ${payload.repositories_added.length} repositories added, ${payload.repositories_removed.length} removed`,
      ),
    }),
};
