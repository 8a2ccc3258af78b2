import type { RouterOutputs } from "../../lib/trpc.ts";

export type Project = RouterOutputs["project"]["byId"];

/** Where Fly.io serves an app. */
export function flyAppUrl(flyAppName: string): string {
  return `https://${flyAppName}.fly.dev`;
}

/** `acme/web@main` */
export function repositoryAndBranch(
  project: Pick<Project, "repositoryFullName" | "productionBranch">,
): string {
  return `${project.repositoryFullName}@${project.productionBranch}`;
}
