import type { Environment } from "../../../../../server/projects/project.schema.ts";

/** Which variables a call is about. */
export type VariableScope = { organizationId: string; projectId: string; environment: Environment };

export const ENVIRONMENT_LABELS: Record<Environment, string> = {
  production: "Production",
  preview: "Preview",
};
