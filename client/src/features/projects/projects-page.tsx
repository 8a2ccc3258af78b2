import { useActiveOrganization } from "../shell/active-organization.tsx";

export function ProjectsPage() {
  const organization = useActiveOrganization();
  return (
    <section aria-labelledby="projects-heading">
      <div className="page-header">
        <h1 id="projects-heading">Projects</h1>
        <span className="muted">{organization.name}</span>
      </div>
      <div className="empty-state">
        <h2>No projects yet</h2>
        <p className="muted">
          A project links a GitHub repository branch to a Fly.io app. Every push to that branch deploys.
        </p>
      </div>
    </section>
  );
}
