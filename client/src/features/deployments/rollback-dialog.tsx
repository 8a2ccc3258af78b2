import { useMutation } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import {
  ENVIRONMENT_CHOICES,
  type EnvironmentChoice,
} from "../../../../server/deployments/deployment.schema.ts";
import { FormError } from "../../components/form-error.tsx";
import { describeError, useTRPC } from "../../lib/trpc.ts";
import { type Deployment, shortSha } from "./deployment-types.ts";
import { useInvalidateDeployments } from "./use-invalidate-deployments.ts";
import { useModalDialog } from "./use-modal-dialog.ts";

const CHOICES: Record<EnvironmentChoice, { label: string; help: string }> = {
  snapshot: {
    label: "As they were",
    help: "The environment variables this deployment ran with (snapshot).",
  },
  current: {
    label: "As they are now",
    help: "Today's environment variables (current), with the old image.",
  },
};

/** Rolls back to a past release: its image again, no rebuild, env vars as they were or as they are. */
export function RollbackDialog({
  organizationId,
  deployment,
  onClose,
  onRequested,
}: {
  organizationId: string;
  deployment: Deployment;
  onClose: () => void;
  onRequested?: (created: Deployment) => void;
}) {
  const trpc = useTRPC();
  const invalidate = useInvalidateDeployments();
  const dialog = useModalDialog();
  const [choice, setChoice] = useState<EnvironmentChoice>("snapshot");
  const rollback = useMutation(
    trpc.deployment.rollback.mutationOptions({
      onSuccess: async (created) => {
        onRequested?.(created);
        await invalidate();
      },
    }),
  );
  const idPrefix = `rollback-${deployment.number}`;

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    rollback.mutate(
      { organizationId, deploymentId: deployment.id, environmentChoice: choice },
      { onSuccess: () => dialog.current?.close() },
    );
  }

  return (
    <dialog
      ref={dialog}
      className="dialog"
      aria-labelledby={`${idPrefix}-title`}
      aria-describedby={`${idPrefix}-description`}
      onClose={onClose}
    >
      <form className="stack" onSubmit={onSubmit}>
        <h2 id={`${idPrefix}-title`}>Roll back to #{deployment.number}?</h2>
        <p id={`${idPrefix}-description`}>
          Deploys the image of #{deployment.number} (<code>{shortSha(deployment.commitSha)}</code>) to{" "}
          <code>{deployment.flyAppName}</code> again, without a rebuild.
        </p>
        <fieldset className="choice-list">
          <legend>Environment variables</legend>
          {ENVIRONMENT_CHOICES.map((value) => (
            <div className="choice" key={value}>
              <input
                type="radio"
                id={`${idPrefix}-${value}`}
                name={`${idPrefix}-environment`}
                value={value}
                checked={choice === value}
                onChange={() => setChoice(value)}
                aria-describedby={`${idPrefix}-${value}-help`}
              />
              <label htmlFor={`${idPrefix}-${value}`}>{CHOICES[value].label}</label>
              <small id={`${idPrefix}-${value}-help`} className="muted">
                {CHOICES[value].help}
              </small>
            </div>
          ))}
        </fieldset>
        <FormError message={rollback.isError ? describeError(rollback.error).message : null} />
        <div className="actions">
          <button type="submit" className="button primary" disabled={rollback.isPending}>
            {rollback.isPending ? "Rolling back…" : `Roll back to #${deployment.number}`}
          </button>
          <button type="button" className="button" onClick={() => dialog.current?.close()}>
            Keep the current release
          </button>
        </div>
      </form>
    </dialog>
  );
}
