import { skipToken, useQuery } from "@tanstack/react-query";
import { Link, useNavigate, useParams } from "react-router";
import { isTerminal } from "../../../../server/deployments/deployment.schema.ts";
import { environmentSchema } from "../../../../server/projects/project.schema.ts";
import { ErrorState, Loading } from "../../components/query-state.tsx";
import { errorCodeOf, useTRPC } from "../../lib/trpc.ts";
import { useActiveOrganization } from "../shell/active-organization.tsx";
import { useHasRole } from "../shell/use-role.ts";
import { DeploymentActions } from "./deployment-actions.tsx";
import { DeploymentHeader } from "./deployment-header.tsx";
import { DeploymentLog } from "./deployment-log.tsx";
import { type Deployment, deploymentPath, isPastRelease } from "./deployment-types.ts";
import { StepTimeline } from "./step-timeline.tsx";
import { useDeploymentFollow } from "./use-deployment-follow.ts";
import { useNow } from "./use-now.ts";
import "./deployments.css";

const FALLBACK_REFRESH_MS = 2_000;

/** `/deployments/:deploymentId`: header, step timeline and live log of one deployment (SPEC §5.11). */
export function DeploymentPage() {
  const { deploymentId = "" } = useParams();
  const organization = useActiveOrganization();
  // Keyed: moving to another deployment (e.g. the one a redeploy created) starts afresh.
  return (
    <DeploymentDetail
      key={`${organization.id}:${deploymentId}`}
      organizationId={organization.id}
      deploymentId={deploymentId}
    />
  );
}

function DeploymentDetail({
  organizationId,
  deploymentId,
}: {
  organizationId: string;
  deploymentId: string;
}) {
  const trpc = useTRPC();
  // Started at once, beside the query: it streams the log and keeps the cached deployment current.
  const follow = useDeploymentFollow({ organizationId, deploymentId });
  const deployment = useQuery(
    trpc.deployment.byId.queryOptions(
      { organizationId, deploymentId },
      {
        // Without the stream (it failed for good), fall back to polling until the deployment ends.
        refetchInterval: (query) =>
          follow.error && query.state.data && !isTerminal(query.state.data.status)
            ? FALLBACK_REFRESH_MS
            : false,
      },
    ),
  );

  if (deployment.isPending) return <Loading label="Loading the deployment…" />;
  if (deployment.isError) {
    const code = errorCodeOf(deployment.error);
    if (code === "NOT_FOUND" || code === "BAD_REQUEST") {
      return (
        <section aria-labelledby="deployment-heading">
          <h1 id="deployment-heading">Deployment not found</h1>
          <p>
            This organization has no such deployment. <Link to="/projects">Go to your projects</Link>.
          </p>
        </section>
      );
    }
    return <ErrorState error={deployment.error} onRetry={() => void deployment.refetch()} />;
  }

  const ended = isTerminal(deployment.data.status);
  return (
    <article aria-labelledby="deployment-heading" className="stack deployment-page">
      <DeploymentOverview organizationId={organizationId} deployment={deployment.data} />
      <DeploymentLog
        lines={follow.lines}
        loading={!follow.received && !follow.error}
        ended={ended}
        reconnecting={follow.reconnecting}
        error={follow.error}
        onRetry={follow.retry}
      />
    </article>
  );
}

function DeploymentOverview({
  organizationId,
  deployment,
}: {
  organizationId: string;
  deployment: Deployment;
}) {
  const navigate = useNavigate();
  const canDeploy = useHasRole("member");
  const now = useNow(1_000, !isTerminal(deployment.status));
  const pastRelease = usePastRelease(organizationId, deployment, canDeploy);

  return (
    <>
      <DeploymentHeader
        organizationId={organizationId}
        deployment={deployment}
        now={now}
        actions={
          canDeploy ? (
            <DeploymentActions
              organizationId={organizationId}
              deployment={deployment}
              pastRelease={pastRelease}
              onRequested={(created) => void navigate(deploymentPath(created.id))}
            />
          ) : null
        }
      />
      <StepTimeline deployment={deployment} now={now} />
    </>
  );
}

/** Whether a newer deployment of the same app went live after this live one (so it can be rolled back to). */
function usePastRelease(organizationId: string, deployment: Deployment, canDeploy: boolean): boolean {
  const trpc = useTRPC();
  const wanted = canDeploy && deployment.status === "live";
  const recent = useQuery(
    trpc.deployment.list.queryOptions(
      wanted
        ? {
            organizationId,
            projectId: deployment.projectId,
            environment: environmentSchema.safeParse(deployment.environment).data,
            limit: 20,
          }
        : skipToken,
    ),
  );
  return isPastRelease(deployment, recent.data ?? []);
}
