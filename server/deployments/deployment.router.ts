import { tracked } from "@trpc/server";
import { organizationProcedure, router } from "../trpc/init.ts";
import {
  deployInput,
  deploymentIdInput,
  deploymentLogsInput,
  followDeploymentInput,
  isTerminal,
  listDeploymentsInput,
  rollbackInput,
} from "./deployment.schema.ts";

/** Lines per read of the live log; a reconnect catches up in pages of this size. */
const FOLLOW_PAGE = 500;
/** A missed notification delays the live log by at most this long. */
const FOLLOW_POLL_MS = 2_000;

export const deploymentRouter = router({
  list: organizationProcedure("viewer")
    .input(listDeploymentsInput)
    .query(({ ctx, input }) =>
      ctx.services.deployments.list({ ...input, organizationId: ctx.organization.id }),
    ),
  byId: organizationProcedure("viewer")
    .input(deploymentIdInput)
    .query(({ ctx, input }) => ctx.services.deployments.get(ctx.organization.id, input.deploymentId)),
  logs: organizationProcedure("viewer")
    .input(deploymentLogsInput)
    .query(({ ctx, input }) =>
      ctx.services.deployments.logs({ ...input, organizationId: ctx.organization.id }),
    ),
  /**
   * The live log and status over SSE. Each event is tracked by the last line's sequence number, so
   * EventSource's reconnect (Last-Event-ID) resumes exactly after the last line it received.
   */
  follow: organizationProcedure("viewer")
    .input(followDeploymentInput)
    .subscription(async function* ({ ctx, input, signal }) {
      const { deployments, deploymentEvents } = ctx.services;
      const organizationId = ctx.organization.id;
      let seq = Number(input.lastEventId ?? 0) || 0;
      let last = await deployments.get(organizationId, input.deploymentId);
      yield tracked(String(seq), { deployment: last, lines: [] });
      while (!signal?.aborted) {
        const lines = await deployments.logs({
          organizationId,
          deploymentId: input.deploymentId,
          afterSeq: seq,
          limit: FOLLOW_PAGE,
        });
        const deployment = await deployments.get(organizationId, input.deploymentId);
        const changed = deployment.status !== last.status || deployment.step !== last.step;
        if (lines.length > 0 || changed) {
          seq = lines.at(-1)?.seq ?? seq;
          last = deployment;
          yield tracked(String(seq), { deployment, lines });
        }
        if (isTerminal(deployment.status) && lines.length < FOLLOW_PAGE) return;
        if (lines.length < FOLLOW_PAGE) {
          await deploymentEvents.waitForChange(input.deploymentId, FOLLOW_POLL_MS, signal);
        }
      }
    }),
  deploy: organizationProcedure("member")
    .input(deployInput)
    .mutation(({ ctx, input }) =>
      ctx.services.deployments.deploy({
        organizationId: ctx.organization.id,
        projectId: input.projectId,
        actorUserId: ctx.user.id,
      }),
    ),
  redeploy: organizationProcedure("member")
    .input(deploymentIdInput)
    .mutation(({ ctx, input }) =>
      ctx.services.deployments.redeploy({
        organizationId: ctx.organization.id,
        deploymentId: input.deploymentId,
        actorUserId: ctx.user.id,
      }),
    ),
  rollback: organizationProcedure("member")
    .input(rollbackInput)
    .mutation(({ ctx, input }) =>
      ctx.services.deployments.rollback({
        organizationId: ctx.organization.id,
        deploymentId: input.deploymentId,
        environmentChoice: input.environmentChoice,
        actorUserId: ctx.user.id,
      }),
    ),
  cancel: organizationProcedure("member")
    .input(deploymentIdInput)
    .mutation(({ ctx, input }) =>
      ctx.services.deployments.cancel({
        organizationId: ctx.organization.id,
        deploymentId: input.deploymentId,
        actorUserId: ctx.user.id,
      }),
    ),
});
