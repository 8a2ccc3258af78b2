import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { describeError, useTRPC } from "../../lib/trpc.ts";
import { CancelDeploymentDialog } from "./cancel-deployment-dialog.tsx";
import { type Deployment, canCancel, canRedeploy } from "./deployment-types.ts";
import { RollbackDialog } from "./rollback-dialog.tsx";
import { useInvalidateDeployments } from "./use-invalidate-deployments.ts";

/**
 * Cancel (queued or running), Redeploy (ended) and Rollback (a past release) for one deployment.
 * Render it only for members and above: viewers may not call these.
 */
export function DeploymentActions({
  organizationId,
  deployment,
  pastRelease,
  onRequested,
  size = "normal",
}: {
  organizationId: string;
  deployment: Deployment;
  /** Whether it is a live release older than the one running now (the only kind to roll back to). */
  pastRelease: boolean;
  /** Told about the deployment a redeploy or rollback created. */
  onRequested?: (created: Deployment) => void;
  size?: "normal" | "small";
}) {
  const trpc = useTRPC();
  const invalidate = useInvalidateDeployments();
  const [dialog, setDialog] = useState<"cancel" | "rollback" | null>(null);
  const redeploy = useMutation(
    trpc.deployment.redeploy.mutationOptions({
      onSuccess: async (created) => {
        onRequested?.(created);
        await invalidate();
      },
    }),
  );
  const buttonClass = size === "small" ? "button small" : "button";
  const { number } = deployment;

  return (
    <div className="deployment-actions">
      <div className="actions">
        {canCancel(deployment) ? (
          <button
            type="button"
            className={`${buttonClass} danger`}
            aria-label={`Cancel deployment #${number}`}
            aria-haspopup="dialog"
            onClick={() => setDialog("cancel")}
          >
            Cancel
          </button>
        ) : null}
        {canRedeploy(deployment) ? (
          <button
            type="button"
            className={buttonClass}
            aria-label={`Redeploy #${number}`}
            disabled={redeploy.isPending}
            onClick={() => redeploy.mutate({ organizationId, deploymentId: deployment.id })}
          >
            {redeploy.isPending ? "Redeploying…" : "Redeploy"}
          </button>
        ) : null}
        {pastRelease ? (
          <button
            type="button"
            className={buttonClass}
            aria-label={`Roll back to #${number}`}
            aria-haspopup="dialog"
            onClick={() => setDialog("rollback")}
          >
            Rollback
          </button>
        ) : null}
      </div>
      {redeploy.isError ? (
        <small className="form-error" role="alert">
          {describeError(redeploy.error).message}
        </small>
      ) : null}
      {dialog === "cancel" ? (
        <CancelDeploymentDialog
          organizationId={organizationId}
          deployment={deployment}
          onClose={() => setDialog(null)}
        />
      ) : null}
      {dialog === "rollback" ? (
        <RollbackDialog
          organizationId={organizationId}
          deployment={deployment}
          onClose={() => setDialog(null)}
          onRequested={onRequested}
        />
      ) : null}
    </div>
  );
}
