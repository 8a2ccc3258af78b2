import { useQuery } from "@tanstack/react-query";
import { Link, useParams } from "react-router";
import { ErrorState, Loading } from "../../components/query-state.tsx";
import { errorCodeOf, useTRPC } from "../../lib/trpc.ts";
import { ProjectDeploymentsSection } from "../deployments/project-deployments-section.tsx";
import { useActiveOrganization } from "../shell/active-organization.tsx";
import { useHasRole } from "../shell/use-role.ts";
import { EnvironmentVariablesSection } from "./environment-variables/environment-variables-section.tsx";
import { ProjectDangerZone } from "./project-danger-zone.tsx";
import { ProjectHeader } from "./project-header.tsx";
import { ProjectSettingsSection } from "./project-settings-section.tsx";

/** `/projects/:projectId`: one section per concern, each in its own file. */
export function ProjectPage() {
  const { projectId = "" } = useParams();
  const organization = useActiveOrganization();
  const trpc = useTRPC();
  const project = useQuery(trpc.project.byId.queryOptions({ organizationId: organization.id, projectId }));
  const isOwner = useHasRole("owner");

  if (project.isPending) return <Loading label="Loading the project…" />;
  if (project.isError) {
    const code = errorCodeOf(project.error);
    if (code === "NOT_FOUND" || code === "BAD_REQUEST") {
      return (
        <section aria-labelledby="project-heading">
          <h1 id="project-heading">Project not found</h1>
          <p>
            {organization.name} has no such project. <Link to="/projects">Go to your projects</Link>.
          </p>
        </section>
      );
    }
    return <ErrorState error={project.error} onRetry={() => void project.refetch()} />;
  }

  // Keyed by project: moving to another project starts every section afresh.
  return (
    <div className="stack" key={project.data.id}>
      <ProjectHeader project={project.data} />
      <ProjectDeploymentsSection project={project.data} />
      <EnvironmentVariablesSection project={project.data} />
      <ProjectSettingsSection project={project.data} />
      {isOwner ? <ProjectDangerZone project={project.data} /> : null}
    </div>
  );
}
