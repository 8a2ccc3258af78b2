import { Link } from "react-router";
import { DeploymentActions } from "./deployment-actions.tsx";
import {
  type Deployment,
  TRIGGER_LABELS,
  deploymentPath,
  firstLine,
  labelOf,
  shortSha,
} from "./deployment-types.ts";
import { formatDuration } from "./format.ts";
import { RelativeTime } from "./relative-time.tsx";
import { StatusBadge } from "./status-badge.tsx";

export function DeploymentRow({
  organizationId,
  deployment,
  pastRelease,
  canDeploy,
  now,
  onRequested,
}: {
  organizationId: string;
  deployment: Deployment;
  pastRelease: boolean;
  canDeploy: boolean;
  now: number;
  onRequested: (created: Deployment) => void;
}) {
  const message = firstLine(deployment.commitMessage);
  return (
    <tr data-testid={`deployment-row-${deployment.number}`}>
      <th scope="row">
        <Link to={deploymentPath(deployment.id)} aria-label={`Deployment #${deployment.number}`}>
          #{deployment.number}
        </Link>
      </th>
      <td>
        <StatusBadge status={deployment.status} cancelRequested={deployment.cancelRequestedAt !== null} />
      </td>
      <td className="commit-cell">
        <code>{shortSha(deployment.commitSha)}</code>{" "}
        <span title={deployment.commitMessage ?? undefined}>
          {message || <span className="muted">(no message)</span>}
        </span>
        <br />
        <span className="muted small">
          {deployment.commitAuthor ?? "unknown author"} · <code>{deployment.branch}</code>
          {deployment.environment === "preview" ? (
            <>
              {" "}
              · <span className="tag">preview {deployment.flyAppName}</span>
            </>
          ) : null}
        </span>
      </td>
      <td>
        {labelOf(TRIGGER_LABELS, deployment.trigger)}
        {deployment.environmentChoice ? (
          <span className="muted small"> ({deployment.environmentChoice} env)</span>
        ) : null}
      </td>
      <td>
        <RelativeTime date={deployment.createdAt} now={now} />
      </td>
      <td>{deployment.durationMs === null ? "—" : formatDuration(deployment.durationMs)}</td>
      {canDeploy ? (
        <td>
          <DeploymentActions
            organizationId={organizationId}
            deployment={deployment}
            pastRelease={pastRelease}
            onRequested={onRequested}
            size="small"
          />
        </td>
      ) : null}
    </tr>
  );
}
