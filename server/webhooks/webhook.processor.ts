// Processes a stored delivery exactly once: the delivery row is claimed (locked), routed to its handler,
// and its outcome written in one transaction. A crash rolls the claim back, so another worker takes the
// delivery at once; one that already has an outcome is never claimed again.
import type * as z from "zod";
import type { Database, DbClient } from "../db/prisma.ts";
import { runWithCorrelation } from "../observability/context.ts";
import type { Logger } from "../observability/logger.ts";
import { parseJsonText } from "./payload-summary.ts";
import { sanitizeText } from "./sanitize.ts";
import type { WebhookMetrics } from "./webhook.metrics.ts";
import type { WebhookClaimRepository } from "./webhook-claim.repository.ts";
import type { ClaimedDelivery, WebhookRepository } from "./webhook.repository.ts";
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

/** What validating a delivery left to do. */
type Step =
  | { kind: "done"; outcome: Outcome }
  | { kind: "push"; push: BranchPush }
  | { kind: "handler"; run: (db: DbClient) => Promise<Outcome> };

const done = (outcome: Outcome): Step => ({ kind: "done", outcome });

function pushesIn(entries: { step: Step }[]): BranchPush[] {
  return entries.flatMap(({ step }) => (step.kind === "push" ? [step.push] : []));
}

/** A push to a branch, validated, waiting for the projects that track it. */
export type BranchPush = { repository: string; branch: string; payload: PushPayload; deliveryRowId: string };

/** Decides one push from what a lookup found. */
export type PushDecider = (db: DbClient, push: BranchPush) => Promise<Outcome>;

/** Decides what a push or pull request means for Hangar's projects; the Projects and Deployments work plugs in here. */
export type ProjectMatcher = {
  /**
   * Looks up the projects that track any of these pushes (one query for a whole batch) and resolves to
   * the function that decides each of them.
   */
  matchPushes(db: DbClient, pushes: BranchPush[]): Promise<PushDecider>;
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

/** Long enough for a batch that waits on a busy project row; a stuck one is rolled back and retried. */
const TRANSACTION_TIMEOUT_MS = 30_000;

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
  claims: WebhookClaimRepository;
  projects: ProjectMatcher;
  installations: InstallationHandlers;
  metrics: WebhookMetrics;
  logger: Logger;
}) {
  const { projects, installations } = deps;

  function invalid(event: string, error: z.ZodError): Step {
    return done({
      status: "failed",
      reason: sanitizeText(`invalid ${event} payload: ${describeIssues(error)}`),
    });
  }

  /**
   * Validates a delivery without touching the database: a decided outcome, a branch push that waits
   * for the project lookup, or a handler to run.
   */
  function prepare(delivery: ClaimedDelivery): Step {
    const payload = parseJsonText(delivery.payload);
    const event = delivery.event;
    if (payload === undefined) {
      return done({ status: "failed", reason: `invalid ${sanitizeText(event, 100)} payload: not JSON` });
    }
    switch (event) {
      case "ping": {
        const parsed = pingPayload.safeParse(payload);
        if (!parsed.success) return invalid(event, parsed.error);
        const events = parsed.data.hook?.events?.join(", ") ?? "none listed";
        const reason = sanitizeText(`pong: hook ${parsed.data.hook_id ?? "?"} (events: ${events})`);
        return done({ status: "processed", reason });
      }
      case "push": {
        const parsed = pushPayload.safeParse(payload);
        if (!parsed.success) return invalid(event, parsed.error);
        const push = parsed.data;
        const repository = sanitizeText(push.repository.full_name, 200);
        if (!push.ref.startsWith("refs/heads/"))
          return done({ status: "ignored", reason: "ignored: not a branch push" });
        const branch = sanitizeText(push.ref.slice("refs/heads/".length), 255);
        if (push.deleted) {
          return done({ status: "ignored", reason: `ignored: branch ${branch} was deleted` });
        }
        if (push.head_commit && SKIP_DEPLOY.test(push.head_commit.message)) {
          return done({ status: "ignored", reason: "ignored: [skip deploy] in the commit message" });
        }
        return { kind: "push", push: { repository, branch, payload: push, deliveryRowId: delivery.id } };
      }
      case "pull_request": {
        const parsed = pullRequestPayload.safeParse(payload);
        if (!parsed.success) return invalid(event, parsed.error);
        const pullRequest = {
          repository: sanitizeText(parsed.data.repository.full_name, 200),
          payload: parsed.data,
        };
        return { kind: "handler", run: (db) => projects.onPullRequest(db, pullRequest) };
      }
      case "installation": {
        const parsed = installationPayload.safeParse(payload);
        if (!parsed.success) return invalid(event, parsed.error);
        return { kind: "handler", run: (db) => installations.onInstallation(db, parsed.data) };
      }
      case "installation_repositories": {
        const parsed = installationRepositoriesPayload.safeParse(payload);
        if (!parsed.success) return invalid(event, parsed.error);
        return { kind: "handler", run: (db) => installations.onInstallationRepositories(db, parsed.data) };
      }
      default:
        return done({ status: "ignored", reason: "ignored: event not handled" });
    }
  }

  /**
   * Decides claimed deliveries in order inside the caller's transaction; every line logged while
   * deciding one carries its delivery id. The projects tracking the pushes are looked up once, and
   * looked up again for the pushes after any handler ran, since a handler may change what is tracked.
   */
  async function decide(tx: DbClient, deliveries: ClaimedDelivery[]): Promise<({ id: string } & Outcome)[]> {
    const steps = deliveries.map((delivery) => {
      if (delivery.attempts === 1) {
        deps.metrics.observePickup((Date.now() - delivery.receivedAt.getTime()) / 1000);
      }
      return {
        delivery,
        step: runWithCorrelation({ requestId: delivery.deliveryId }, () => prepare(delivery)),
      };
    });
    let decidePush: PushDecider | undefined;
    const results: ({ id: string } & Outcome)[] = [];
    for (const [index, { delivery, step }] of steps.entries()) {
      const outcome = await runWithCorrelation({ requestId: delivery.deliveryId }, async () => {
        let decided: Outcome;
        if (step.kind === "done") decided = step.outcome;
        else if (step.kind === "handler") {
          decidePush = undefined;
          decided = await step.run(tx);
        } else {
          decidePush ??= await projects.matchPushes(tx, pushesIn(steps.slice(index)));
          decided = await decidePush(tx, step.push);
        }
        deps.logger.info(
          { event: delivery.event, status: decided.status, reason: decided.reason },
          "webhook processed",
        );
        return decided;
      });
      results.push({ id: delivery.id, ...outcome });
    }
    return results;
  }

  /**
   * Counts an attempt that reached no outcome, its processing having thrown an error or its worker having
   * died ("interrupted"): the delivery is retried after a backoff, or failed after the last attempt.
   */
  async function recordFailure(id: string, failure: { error: unknown } | "interrupted") {
    const cause = failure === "interrupted" ? failure : "failed";
    let recorded: Awaited<ReturnType<WebhookRepository["recordFailedAttempt"]>> = null;
    try {
      recorded = await deps.repository.recordFailedAttempt(deps.db, id, cause);
      if (recorded?.status === "failed") deps.metrics.observeProcessed("failed");
    } finally {
      // An interruption of a delivery that has an outcome by now was not its processing's doing.
      if (cause === "failed" || recorded) {
        runWithCorrelation({ requestId: recorded?.deliveryId ?? id }, () =>
          deps.logger.error(
            {
              err: failure === "interrupted" ? undefined : failure.error,
              deliveryRowId: id,
              attempts: recorded?.attempts,
            },
            cause === "failed"
              ? "webhook processing failed"
              : "a worker stopped while processing this webhook delivery alone",
          ),
        );
      }
    }
  }

  /**
   * Writes down, before the work in `tx` starts, which deliveries it claimed, so that a worker that
   * dies during it leaves the claim behind (see recoverAbandonedClaims). Returns what removes the claim
   * if the transaction rolls back with the worker alive.
   */
  async function writeDownClaim(
    tx: DbClient,
    deliveries: ClaimedDelivery[],
    alone: boolean,
  ): Promise<() => Promise<void>> {
    const claimId = await deps.claims.openClaim(
      deliveries.map((delivery) => delivery.id),
      alone,
    );
    await deps.claims.deleteClaim(tx, claimId);
    return () => deps.claims.deleteClaim(deps.db, claimId);
  }

  /** Processes one delivery alone, in its own transaction; null when it already had an outcome. */
  async function processOne(id: string): Promise<Outcome | null> {
    let dropClaim: (() => Promise<void>) | undefined;
    try {
      const outcome = await deps.db.$transaction(
        async (tx) => {
          const delivery = await deps.repository.claimById(tx, id);
          if (!delivery) return null;
          dropClaim = await writeDownClaim(tx, [delivery], true);
          const results = await decide(tx, [delivery]);
          await deps.repository.recordOutcomes(tx, results);
          return results[0] ?? null;
        },
        { timeout: TRANSACTION_TIMEOUT_MS },
      );
      if (outcome) deps.metrics.observeProcessed(outcome.status);
      return outcome;
    } catch (error) {
      await dropClaim?.().catch(() => undefined);
      throw error;
    }
  }

  return {
    /** Processes one delivery now, whatever its place in the outbox; null when it already had an outcome. */
    process: processOne,

    /**
     * Claims up to `limit` deliveries from the outbox and processes them in one transaction (one commit
     * for the batch). If any of them fails, the batch rolls back and each is processed on its own, so
     * one bad delivery cannot hold back the others; one that still fails waits for a retry. Resolves
     * with the number of deliveries claimed, and whether more were due than one batch took.
     */
    async processPending(limit: number): Promise<{ claimed: number; moreWaiting: boolean }> {
      let claimed: ClaimedDelivery[] = [];
      let moreWaiting = false;
      let dropClaim: (() => Promise<void>) | undefined;
      try {
        const outcomes = await deps.db.$transaction(
          async (tx) => {
            ({ deliveries: claimed, moreWaiting } = await deps.repository.claimPending(tx, limit));
            if (claimed.length === 0) return [];
            dropClaim = await writeDownClaim(tx, claimed, false);
            const results = await decide(tx, claimed);
            await deps.repository.recordOutcomes(tx, results);
            return results;
          },
          { timeout: TRANSACTION_TIMEOUT_MS },
        );
        for (const outcome of outcomes) deps.metrics.observeProcessed(outcome.status);
        return { claimed: outcomes.length, moreWaiting };
      } catch (batchError) {
        // The claim itself failed (the database is unreachable): nothing was taken, the caller retries.
        if (claimed.length === 0) throw batchError;
        await dropClaim?.().catch(() => undefined);
        const [only] = claimed;
        if (claimed.length === 1 && only) {
          await recordFailure(only.id, { error: batchError });
          return { claimed: 1, moreWaiting };
        }
        for (const delivery of claimed) {
          await processOne(delivery.id).catch((error: unknown) => recordFailure(delivery.id, { error }));
        }
        return { claimed: claimed.length, moreWaiting };
      }
    },

    /**
     * Finds the claims of workers that died while processing them. A batch's deliveries are processed
     * again one at a time, so the rest of a batch does not share the fate of one delivery that stops
     * its worker; a delivery whose worker died while processing it alone has that attempt counted, so
     * such a delivery ends as failed after the last attempt instead of stopping workers forever.
     * Resolves with the number of claims found.
     */
    async recoverAbandonedClaims(): Promise<number> {
      const claims = await deps.claims.takeAbandonedClaims();
      for (const claim of claims) {
        for (const id of claim.deliveryIds) {
          if (claim.alone) await recordFailure(id, "interrupted");
          else await processOne(id).catch((error: unknown) => recordFailure(id, { error }));
        }
      }
      return claims.length;
    },
  };
}

export type WebhookProcessor = ReturnType<typeof createWebhookProcessor>;

/** Until projects exist, a push or pull request is recorded with what Hangar would have needed. */
export const noProjectsYet: ProjectMatcher = {
  matchPushes: () =>
    Promise.resolve((_db, push) =>
      Promise.resolve({
        status: "ignored",
        reason: `ignored: no project tracks ${push.repository}@${push.branch}`,
      }),
    ),
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
