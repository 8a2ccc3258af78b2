import { createContext, useContext } from "react";

export type ActiveOrganization = { id: string; name: string; role: string };

export const ActiveOrganizationContext = createContext<ActiveOrganization | null>(null);

/** The organisation the dashboard is showing; only rendered inside the signed-in shell. */
export function useActiveOrganization(): ActiveOrganization {
  const organization = useContext(ActiveOrganizationContext);
  if (!organization) throw new Error("useActiveOrganization is used outside the app shell");
  return organization;
}
