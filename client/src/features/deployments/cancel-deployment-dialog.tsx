import { useMutation } from "@tanstack/react-query";
import { FormError } from "../../components/form-error.tsx";
import { describeError, useTRPC } from "../../lib/trpc.ts";
import type { Deployment } from "./deployment-types.ts";
import { useInvalidateDeployments } from "./use-invalidate-deployments.ts";
import { useModalDialog } from "./use-modal-dialog.ts";

/** Asks before stopping a deployment; the app stays on its previous release. */
export function CancelDeploymentDialog({
  organizationId,
  deployment,
  onClose,
}: {
  organizationId: string;
  deployment: Deployment;
  onClose: () => void;
}) {
  const trpc = useTRPC();
  const invalidate = useInvalidateDeployments();
  const dialog = useModalDialog();
  const cancel = useMutation(trpc.deployment.cancel.mutationOptions({ onSuccess: () => invalidate() }));
  const titleId = `cancel-deployment-${deployment.number}-title`;
  const descriptionId = `cancel-deployment-${deployment.number}-description`;

  return (
    <dialog
      ref={dialog}
      className="dialog"
      aria-labelledby={titleId}
      aria-describedby={descriptionId}
      onClose={onClose}
    >
      <div className="stack">
        <h2 id={titleId}>Cancel deployment #{deployment.number}?</h2>
        <p id={descriptionId}>
          {deployment.status === "queued"
            ? "It has not started yet: it is dropped from the queue."
            : "Hangar stops its work where it is. Machines already updated go back to the previous release, so the app keeps running what it ran before."}
        </p>
        <FormError message={cancel.isError ? describeError(cancel.error).message : null} />
        <div className="actions">
          {/* The harmless choice first: it is the one that has focus when the dialog opens. */}
          <button type="button" className="button" onClick={() => dialog.current?.close()}>
            Keep it running
          </button>
          <button
            type="button"
            className="button danger"
            disabled={cancel.isPending}
            onClick={() =>
              cancel.mutate(
                { organizationId, deploymentId: deployment.id },
                { onSuccess: () => dialog.current?.close() },
              )
            }
          >
            {cancel.isPending ? "Cancelling…" : "Cancel deployment"}
          </button>
        </div>
      </div>
    </dialog>
  );
}
