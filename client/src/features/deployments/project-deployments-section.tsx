import type { Project } from "../projects/project-types.ts";
import { useActiveOrganization } from "../shell/active-organization.tsx";
import { useHasRole } from "../shell/use-role.ts";
import { DeploymentsSection } from "./deployments-section.tsx";

/** The project page's deployments: the list with live status, for the active organisation's role. */
export function ProjectDeploymentsSection({ project }: { project: Project }) {
  const organization = useActiveOrganization();
  const canDeploy = useHasRole("member");
  return <DeploymentsSection organizationId={organization.id} projectId={project.id} canDeploy={canDeploy} />;
}
