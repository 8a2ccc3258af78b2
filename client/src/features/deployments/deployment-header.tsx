import { skipToken, useQuery } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { Link } from "react-router";
import { isTerminal } from "../../../../server/deployments/deployment.schema.ts";
import { useTRPC } from "../../lib/trpc.ts";
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

function Fact({ term, children }: { term: string; children: ReactNode }) {
  return (
    <div>
      <dt>{term}</dt>
      <dd>{children}</dd>
    </div>
  );
}

/** What was deployed, how and when: #number, status, commit, author, branch, trigger, image, durations. */
export function DeploymentHeader({
  organizationId,
  deployment,
  now,
  actions,
}: {
  organizationId: string;
  deployment: Deployment;
  now: number;
  actions: ReactNode;
}) {
  const trpc = useTRPC();
  const project = useQuery(
    trpc.project.byId.queryOptions({ organizationId, projectId: deployment.projectId }),
  );
  const sourceId = deployment.sourceDeploymentId;
  const source = useQuery(
    trpc.deployment.byId.queryOptions(sourceId ? { organizationId, deploymentId: sourceId } : skipToken),
  );
  const terminal = isTerminal(deployment.status);
  const message = firstLine(deployment.commitMessage);
  const repository = project.data?.repositoryFullName;
  const waitedMs = deployment.startedAt
    ? deployment.startedAt.getTime() - deployment.createdAt.getTime()
    : terminal
      ? null
      : now - deployment.createdAt.getTime();
  const ranMs = terminal
    ? deployment.durationMs
    : deployment.startedAt
      ? now - deployment.startedAt.getTime()
      : null;

  return (
    <header className="stack-tight">
      <p className="small">
        <Link to={`/projects/${deployment.projectId}`}>← {project.data?.name ?? "Project"}</Link>
      </p>
      <div className="page-header deployment-title">
        <h1 id="deployment-heading">Deployment #{deployment.number}</h1>
        {/* Announced as it changes: queued → building → deploying → live. */}
        <span role="status" aria-live="polite">
          <StatusBadge
            status={deployment.status}
            cancelRequested={deployment.cancelRequestedAt !== null}
            testId="deployment-status"
          />
        </span>
        <div className="push-right">{actions}</div>
      </div>
      <p className="commit-line">
        {repository ? (
          <a
            href={`https://github.com/${repository}/commit/${deployment.commitSha}`}
            target="_blank"
            rel="noreferrer"
            aria-label={`Commit ${shortSha(deployment.commitSha)} on GitHub`}
          >
            <code>{shortSha(deployment.commitSha)}</code>
          </a>
        ) : (
          <code>{shortSha(deployment.commitSha)}</code>
        )}{" "}
        <span title={deployment.commitMessage ?? undefined}>
          {message || <span className="muted">(no commit message)</span>}
        </span>
      </p>
      <dl className="inline-facts" aria-label="Deployment summary">
        <Fact term="Author">{deployment.commitAuthor ?? "—"}</Fact>
        <Fact term="Branch">
          <code>{deployment.branch}</code>
        </Fact>
        <Fact term="Trigger">
          {labelOf(TRIGGER_LABELS, deployment.trigger)}
          {sourceId ? (
            <>
              {" of "}
              <Link to={deploymentPath(sourceId)}>
                {source.data ? `#${source.data.number}` : "an earlier deployment"}
              </Link>
            </>
          ) : null}
          {deployment.environmentChoice ? ` (env vars: ${deployment.environmentChoice})` : null}
        </Fact>
        <Fact term="App">
          <code>{deployment.flyAppName}</code>
          {deployment.environment === "preview" ? " (preview)" : null}
        </Fact>
        <Fact term="Image">
          {deployment.imageRef ? <code className="image-ref">{deployment.imageRef}</code> : "—"}
        </Fact>
        <Fact term="Created">
          <RelativeTime date={deployment.createdAt} now={now} />
        </Fact>
        <Fact term={deployment.startedAt || terminal ? "Waited" : "Waiting"}>
          {waitedMs === null ? "—" : formatDuration(waitedMs)}
        </Fact>
        <Fact term={terminal ? "Duration" : "Running for"}>
          {ranMs === null ? "—" : formatDuration(ranMs)}
        </Fact>
        {deployment.finishedAt ? (
          <Fact term="Finished">
            <RelativeTime date={deployment.finishedAt} now={now} />
          </Fact>
        ) : null}
      </dl>
    </header>
  );
}
