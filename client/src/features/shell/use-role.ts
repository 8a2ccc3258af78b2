import { type Role, roleAtLeast, roleSchema } from "../../../../server/organizations/organization.schema.ts";
import { useActiveOrganization } from "./active-organization.tsx";

/** Whether the signed-in person's role in the active organisation is at least `minimum`. */
export function useHasRole(minimum: Role): boolean {
  const organization = useActiveOrganization();
  return roleAtLeast(roleSchema.catch("viewer").parse(organization.role), minimum);
}
