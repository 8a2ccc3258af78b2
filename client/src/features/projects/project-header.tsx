import { Link } from "react-router";
import { type Project, flyAppUrl, repositoryAndBranch } from "./project-types.ts";

export function ProjectHeader({ project }: { project: Project }) {
  return (
    <header className="stack-tight">
      <p className="small">
        <Link to="/projects">← Projects</Link>
      </p>
      <h1 id="project-heading">{project.name}</h1>
      <dl className="inline-facts" aria-label="Project summary">
        <div>
          <dt>Repository</dt>
          <dd>
            <code>{repositoryAndBranch(project)}</code>
          </dd>
        </div>
        <div>
          <dt>Fly app</dt>
          <dd>
            <a href={flyAppUrl(project.flyAppName)} target="_blank" rel="noreferrer">
              {project.flyAppName}.fly.dev
            </a>
          </dd>
        </div>
        <div>
          <dt>Region</dt>
          <dd>{project.region}</dd>
        </div>
        <div>
          <dt>Auto-deploy</dt>
          <dd>{project.autoDeploy ? "On" : "Off"}</dd>
        </div>
      </dl>
    </header>
  );
}
