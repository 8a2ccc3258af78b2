import { keepPreviousData, useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import { isTerminal } from "../../../../server/deployments/deployment.schema.ts";
import { ActionsHeader } from "../../components/actions-header.tsx";
import { FormError } from "../../components/form-error.tsx";
import { ErrorState, Loading } from "../../components/query-state.tsx";
import { describeError, useTRPC } from "../../lib/trpc.ts";
import { DeploymentRow } from "./deployment-row.tsx";
import { type Deployment, deploymentPath, isPastRelease } from "./deployment-types.ts";
import { useInvalidateDeployments } from "./use-invalidate-deployments.ts";
import { useNow } from "./use-now.ts";
import "./deployments.css";

const PAGE = 20;
const MAX = 100;
/** While any deployment is queued or running, the list is refreshed this often. */
/** While nothing runs, a push can still start a deployment: keep looking, less often. */
const IDLE_REFRESH_MS = 5_000;
const LIVE_REFRESH_MS = 2_000;

/**
 * A project's deployments, newest first, with live status (SPEC §5.11); members and above deploy,
 * redeploy, roll back and cancel.
 */
export function DeploymentsSection({
  organizationId,
  projectId,
  canDeploy,
}: {
  organizationId: string;
  projectId: string;
  canDeploy: boolean;
}) {
  const trpc = useTRPC();
  const invalidate = useInvalidateDeployments();
  const [limit, setLimit] = useState(PAGE);
  const [requested, setRequested] = useState<Deployment | null>(null);
  // Already loaded by the project page: read for the branch named in the empty state.
  const project = useQuery(trpc.project.byId.queryOptions({ organizationId, projectId }));
  const deployments = useQuery(
    trpc.deployment.list.queryOptions(
      { organizationId, projectId, limit },
      {
        placeholderData: keepPreviousData,
        refetchInterval: (query) =>
          query.state.data?.some((deployment) => !isTerminal(deployment.status))
            ? LIVE_REFRESH_MS
            : IDLE_REFRESH_MS,
      },
    ),
  );
  const deploy = useMutation(
    trpc.deployment.deploy.mutationOptions({
      onSuccess: async (created) => {
        setRequested(created);
        await invalidate();
      },
    }),
  );
  const now = useNow(30_000);
  const rows = deployments.data ?? [];
  const branch = project.data?.productionBranch ?? "the production branch";

  return (
    <section aria-labelledby="deployments-heading" className="card stack">
      <div className="section-header">
        <h2 id="deployments-heading">Deployments</h2>
        <div className="actions">
          <p role="status" className="small deploy-status">
            {requested ? (
              <>
                <Link to={deploymentPath(requested.id)}>Deployment #{requested.number}</Link> requested.
              </>
            ) : null}
          </p>
          {canDeploy ? (
            <button
              type="button"
              className="button primary"
              title={`Deploys the head of ${branch} as GitHub has it now`}
              disabled={deploy.isPending}
              onClick={() => deploy.mutate({ organizationId, projectId })}
            >
              {deploy.isPending ? "Deploying…" : "Deploy"}
            </button>
          ) : null}
        </div>
      </div>
      <FormError message={deploy.isError ? describeError(deploy.error).message : null} />

      {deployments.isPending ? <Loading label="Loading deployments…" /> : null}
      {deployments.isError ? (
        <ErrorState error={deployments.error} onRetry={() => void deployments.refetch()} />
      ) : null}
      {deployments.isSuccess && rows.length === 0 ? (
        <div className="empty-state">
          <h3>No deployments yet</h3>
          <p className="muted">
            {canDeploy ? `Push to ${branch} or press Deploy.` : `Pushes to ${branch} deploy here.`}
          </p>
        </div>
      ) : null}
      {rows.length > 0 ? (
        <div className="table-scroll">
          <table className="data-table deployments-table">
            <caption className="visually-hidden">Deployments, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Deployment</th>
                <th scope="col">Status</th>
                <th scope="col">Commit</th>
                <th scope="col">Trigger</th>
                <th scope="col">Created</th>
                <th scope="col">Duration</th>
                {canDeploy ? <ActionsHeader /> : null}
              </tr>
            </thead>
            <tbody>
              {rows.map((deployment) => (
                <DeploymentRow
                  key={deployment.id}
                  organizationId={organizationId}
                  deployment={deployment}
                  pastRelease={isPastRelease(deployment, rows)}
                  canDeploy={canDeploy}
                  now={now}
                  onRequested={setRequested}
                />
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {rows.length >= limit && limit < MAX ? (
        <div className="actions">
          <button
            type="button"
            className="button"
            disabled={deployments.isPlaceholderData}
            onClick={() => setLimit((current) => Math.min(MAX, current + PAGE))}
          >
            {deployments.isPlaceholderData ? "Loading…" : "Show older deployments"}
          </button>
        </div>
      ) : null}
    </section>
  );
}
