import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { describeError, type RouterOutputs, useTRPC } from "../../../lib/trpc.ts";
import type { VariableScope } from "./environment-variable-scope.ts";

type Variable = RouterOutputs["environmentVariable"]["list"]["variables"][number];

export function EnvironmentVariableRow({
  variable,
  scope,
  canEdit,
  onEdit,
  onRemoved,
}: {
  variable: Variable;
  scope: VariableScope;
  canEdit: boolean;
  onEdit: () => void;
  onRemoved: () => Promise<void>;
}) {
  const trpc = useTRPC();
  const { key } = variable;
  // The clear value lives only in this mutation's state: gone when hidden (reset) or when the row
  // unmounts (gcTime 0), and never in the query cache.
  const reveal = useMutation(trpc.environmentVariable.reveal.mutationOptions({ gcTime: 0 }));
  const remove = useMutation(trpc.environmentVariable.remove.mutationOptions({ onSuccess: onRemoved }));
  const [confirmingRemoval, setConfirmingRemoval] = useState(false);
  const revealed = reveal.data?.value;
  const problem = reveal.error ?? remove.error;

  return (
    <tr>
      <th scope="row">
        <code>{key}</code>
      </th>
      <td className="value-cell">
        {revealed !== undefined ? (
          <code className="revealed" data-testid={`value-${key}`}>
            {revealed}
          </code>
        ) : (
          <code data-testid={`value-${key}`} title={`${variable.valueBytes} bytes, hidden`}>
            {variable.maskedValue}
          </code>
        )}
        {problem ? (
          <small className="form-error" role="alert">
            {describeError(problem).message}
          </small>
        ) : null}
      </td>
      <td>
        {variable.updatedBy ?? "—"}
        <br />
        <time className="muted small" dateTime={variable.updatedAt.toISOString()}>
          {variable.updatedAt.toLocaleString()}
        </time>
      </td>
      {canEdit ? (
        <td>
          {confirmingRemoval ? (
            <div className="actions" role="group" aria-label={`Delete ${key}?`}>
              <span>Delete {key}?</span>
              <button
                type="button"
                className="button danger small"
                disabled={remove.isPending}
                aria-label={`Yes, delete ${key}`}
                onClick={() => remove.mutate({ ...scope, key })}
              >
                {remove.isPending ? "Deleting…" : "Yes, delete"}
              </button>
              <button
                type="button"
                className="button small"
                aria-label={`Keep ${key}`}
                onClick={() => setConfirmingRemoval(false)}
              >
                Keep it
              </button>
            </div>
          ) : (
            <div className="actions">
              <button
                type="button"
                className="button small"
                disabled={reveal.isPending}
                aria-label={`${revealed !== undefined ? "Hide" : "Reveal"} ${key}`}
                onClick={() => (revealed !== undefined ? reveal.reset() : reveal.mutate({ ...scope, key }))}
              >
                {revealed !== undefined ? "Hide" : reveal.isPending ? "Revealing…" : "Reveal"}
              </button>
              <button type="button" className="button small" aria-label={`Edit ${key}`} onClick={onEdit}>
                Edit
              </button>
              <button
                type="button"
                className="button danger small"
                aria-label={`Delete ${key}`}
                onClick={() => {
                  reveal.reset();
                  setConfirmingRemoval(true);
                }}
              >
                Delete
              </button>
            </div>
          )}
        </td>
      ) : null}
    </tr>
  );
}
