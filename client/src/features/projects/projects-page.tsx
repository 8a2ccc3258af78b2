import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { ErrorState, Loading } from "../../components/query-state.tsx";
import { useTRPC } from "../../lib/trpc.ts";
import { useActiveOrganization } from "../shell/active-organization.tsx";
import { useHasRole } from "../shell/use-role.ts";
import { repositoryAndBranch } from "./project-types.ts";

export function ProjectsPage() {
  const organization = useActiveOrganization();
  const trpc = useTRPC();
  const projects = useQuery(trpc.project.list.queryOptions({ organizationId: organization.id }));
  const canCreate = useHasRole("admin");
  const list = projects.data ?? [];

  return (
    <section aria-labelledby="projects-heading">
      <div className="page-header">
        <h1 id="projects-heading">Projects</h1>
        <span className="muted">{organization.name}</span>
        {canCreate && list.length > 0 ? (
          <Link className="button primary push-right" to="/projects/new">
            New project
          </Link>
        ) : null}
      </div>
      {projects.isPending ? <Loading label="Loading projects…" /> : null}
      {projects.isError ? (
        <ErrorState error={projects.error} onRetry={() => void projects.refetch()} />
      ) : null}
      {projects.isSuccess && list.length === 0 ? (
        <div className="empty-state stack">
          <h2>No projects yet</h2>
          <p className="muted">
            A project links a GitHub repository branch to a Fly.io app. Every push to that branch deploys.
          </p>
          {canCreate ? (
            <p>
              <Link className="button primary" to="/projects/new">
                New project
              </Link>
            </p>
          ) : (
            <p className="muted">Ask an admin or owner of {organization.name} to create one.</p>
          )}
        </div>
      ) : null}
      {list.length > 0 ? (
        <table className="data-table">
          <caption className="visually-hidden">Projects of {organization.name}</caption>
          <thead>
            <tr>
              <th scope="col">Project</th>
              <th scope="col">Repository</th>
              <th scope="col">Fly app</th>
              <th scope="col">Region</th>
              <th scope="col">Auto-deploy</th>
            </tr>
          </thead>
          <tbody>
            {list.map((project) => (
              <tr key={project.id}>
                <th scope="row">
                  <Link to={`/projects/${project.id}`}>{project.name}</Link>
                </th>
                <td>
                  <code>{repositoryAndBranch(project)}</code>
                </td>
                <td>
                  <code>{project.flyAppName}</code>
                </td>
                <td>{project.region}</td>
                <td>{project.autoDeploy ? "On" : "Off"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
