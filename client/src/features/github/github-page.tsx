import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useSearchParams } from "react-router";
import type { RepositoryPermission } from "../../../../server/github/github.schema.ts";
import { FormError } from "../../components/form-error.tsx";
import { ErrorState, Loading } from "../../components/query-state.tsx";
import { authClient } from "../../lib/auth-client.ts";
import { useTRPC } from "../../lib/trpc.ts";
import { useActiveOrganization } from "../shell/active-organization.tsx";

const PERMISSION_LABELS: Record<RepositoryPermission, string> = {
  admin: "Admin",
  maintain: "Maintain",
  write: "Write",
  triage: "Triage",
  read: "Read",
  none: "No access",
};

/** Links the signed-in account to GitHub (or renews a revoked link) and comes back here. */
async function connectAccount(): Promise<string | null> {
  const { error } = await authClient.linkSocial({
    provider: "github",
    callbackURL: "/github",
    errorCallbackURL: "/github",
  });
  return error ? (error.message ?? "GitHub could not be connected.") : null;
}

export function GitHubPage() {
  const organization = useActiveOrganization();
  const trpc = useTRPC();
  const [searchParams] = useSearchParams();
  const [actionError, setActionError] = useState<string | null>(null);
  const installations = useQuery(trpc.github.installations.queryOptions({ organizationId: organization.id }));
  const canConnect = organization.role === "owner" || organization.role === "admin";

  async function onConnectAccount() {
    setActionError(await connectAccount());
  }

  const data = installations.data;
  return (
    <section aria-labelledby="github-heading" className="stack">
      <div className="page-header">
        <h1 id="github-heading">GitHub</h1>
        {data && canConnect && data.connection === "connected" ? (
          <a className="button primary" href={data.installUrl}>
            Connect GitHub
          </a>
        ) : null}
      </div>
      {searchParams.get("connected") ? (
        <p role="status" className="notice">
          The GitHub installation is connected to {organization.name}.
        </p>
      ) : null}
      {searchParams.get("error") ? (
        <p role="alert" className="form-error">
          GitHub could not be connected ({searchParams.get("error")?.replaceAll("_", " ")}).
        </p>
      ) : null}
      {searchParams.get("requested") ? (
        <p role="status" className="notice">
          Your request was sent to the account&apos;s owners on GitHub. Once they install the App, connect it
          here.
        </p>
      ) : null}
      <FormError message={actionError} />
      {installations.isPending ? <Loading label="Loading GitHub installations…" /> : null}
      {installations.isError ? (
        <ErrorState error={installations.error} onRetry={() => void installations.refetch()} />
      ) : null}
      {data && data.connection !== "connected" ? (
        <div className="empty-state" role="note">
          <h2>
            {data.connection === "reconnect_required" ? "Reconnect GitHub" : "Connect your GitHub account"}
          </h2>
          <p className="muted">
            {data.connection === "reconnect_required"
              ? "GitHub no longer accepts Hangar's access for your account (it was revoked or expired)."
              : "Hangar checks your permissions on GitHub before it connects an installation or creates a project."}
          </p>
          <button type="button" className="button primary" onClick={() => void onConnectAccount()}>
            {data.connection === "reconnect_required" ? "Reconnect GitHub" : "Connect GitHub account"}
          </button>
        </div>
      ) : null}
      {data?.permissionsProblem ? (
        <p className="muted" role="status">
          Permissions could not be read from GitHub: {data.permissionsProblem}
        </p>
      ) : null}
      {data && data.installations.length === 0 ? (
        <div className="empty-state">
          <h2>No GitHub installations yet</h2>
          <p className="muted">
            Install Hangar&apos;s GitHub App on an account or organization and choose its repositories; they
            appear here.
          </p>
        </div>
      ) : null}
      {data?.installations.map((installation) => (
        <article key={installation.id} className="card" aria-labelledby={`installation-${installation.id}`}>
          <h2 id={`installation-${installation.id}`}>
            {installation.accountLogin}{" "}
            <span className="muted small">
              {installation.accountType === "Organization" ? "organization" : "user"} ·{" "}
              {installation.repositorySelection === "all" ? "all repositories" : "selected repositories"}
            </span>
          </h2>
          {installation.suspended ? (
            <p className="form-error" role="status">
              Suspended on GitHub: deployments from these repositories are paused.
            </p>
          ) : null}
          {installation.repositories.length === 0 ? (
            <p className="muted">No repositories.</p>
          ) : (
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Repository</th>
                  <th scope="col">Visibility</th>
                  <th scope="col">Your permission</th>
                </tr>
              </thead>
              <tbody>
                {installation.repositories.map((repository) => (
                  <tr key={repository.id}>
                    <td>{repository.fullName}</td>
                    <td>{repository.private ? "Private" : "Public"}</td>
                    <td>{repository.permission ? PERMISSION_LABELS[repository.permission] : "Unknown"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </article>
      ))}
    </section>
  );
}
