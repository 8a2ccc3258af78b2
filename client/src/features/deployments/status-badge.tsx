import { isTerminal } from "../../../../server/deployments/deployment.schema.ts";
import { STATUS_LABELS, labelOf } from "./deployment-types.ts";
import "./deployments.css";

/**
 * A deployment's status: the word itself, with a colour and a mark (drawn by CSS, so the text stays
 * exactly the status) that say the same thing.
 */
export function StatusBadge({
  status,
  cancelRequested = false,
  testId,
}: {
  status: string;
  cancelRequested?: boolean;
  testId?: string;
}) {
  return (
    <span className="status-badge-group">
      <span className={`status-badge status-${status}`} data-testid={testId}>
        {labelOf(STATUS_LABELS, status)}
      </span>
      {cancelRequested && !isTerminal(status) ? <span className="muted small">cancelling…</span> : null}
    </span>
  );
}
