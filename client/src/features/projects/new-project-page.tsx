import { useQuery } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { Link } from "react-router";
import { ErrorState, Loading } from "../../components/query-state.tsx";
import { describeError, errorReasonOf, useTRPC } from "../../lib/trpc.ts";
import { useActiveOrganization } from "../shell/active-organization.tsx";
import { useHasRole } from "../shell/use-role.ts";
import { NewProjectForm } from "./new-project-form.tsx";

/** `/projects/new`: the wizard, once GitHub and Fly.io are set up for the organisation. */
export function NewProjectPage() {
  const canCreate = useHasRole("admin");
  return (
    <section aria-labelledby="new-project-heading" className="stack">
      <p className="small">
        <Link to="/projects">← Projects</Link>
      </p>
      <h1 id="new-project-heading">New project</h1>
      {canCreate ? <Prerequisites /> : <p className="notice">Only admins and owners can create projects.</p>}
    </section>
  );
}

function Requirement({ title, children }: { title: string; children: ReactNode }) {
  return (
    <div className="empty-state stack" role="note">
      <h2>{title}</h2>
      {children}
    </div>
  );
}

/** A project needs the person's GitHub account, an installation of the App, and a Fly.io token. */
function Prerequisites() {
  const organization = useActiveOrganization();
  const trpc = useTRPC();
  const input = { organizationId: organization.id };
  const github = useQuery(trpc.github.installations.queryOptions(input));
  const fly = useQuery(trpc.flyCredential.get.queryOptions(input));

  if (github.isPending || fly.isPending) return <Loading label="Checking GitHub and Fly.io…" />;
  if (github.isError) {
    if (errorReasonOf(github.error) === "GITHUB_NOT_CONFIGURED") {
      return (
        <Requirement title="GitHub is not configured">
          <p className="muted">{describeError(github.error).message}</p>
        </Requirement>
      );
    }
    return <ErrorState error={github.error} onRetry={() => void github.refetch()} />;
  }
  if (fly.isError) return <ErrorState error={fly.error} onRetry={() => void fly.refetch()} />;

  const requirements: ReactNode[] = [];
  if (github.data.connection !== "connected") {
    const reconnect = github.data.connection === "reconnect_required";
    requirements.push(
      <Requirement
        key="github-account"
        title={reconnect ? "Reconnect GitHub" : "Connect your GitHub account"}
      >
        <p className="muted">
          {reconnect
            ? "GitHub no longer accepts Hangar's access for your account."
            : "GitHub is not connected: Hangar checks your permission on a repository before it creates a project from it."}
        </p>
        <p>
          <Link to="/github">Go to the GitHub page</Link>
        </p>
      </Requirement>,
    );
  } else if (!github.data.installations.some((installation) => !installation.suspended)) {
    requirements.push(
      <Requirement key="github-installation" title="No GitHub installation yet">
        <p className="muted">
          Install Hangar&apos;s GitHub App on the account that owns your repository, and connect it to{" "}
          {organization.name}.
        </p>
        <p>
          <Link to="/github">Go to the GitHub page</Link>
        </p>
      </Requirement>,
    );
  }
  if (!fly.data) {
    requirements.push(
      <Requirement key="fly-token" title="No Fly.io token yet">
        <p className="muted">
          Hangar creates the project&apos;s Fly app with the organization&apos;s Fly.io token.
        </p>
        <p>
          <Link to="/settings">Add a Fly.io token in Settings</Link>
        </p>
      </Requirement>,
    );
  }
  if (requirements.length > 0) return <>{requirements}</>;
  return <NewProjectForm installations={github.data.installations} />;
}
