// Shared with the client: import only zod here.
import * as z from "zod";

/** Roles from least to most privileged; each includes the rights of those before it. */
export const ROLES = ["viewer", "member", "admin", "owner"] as const;
export const roleSchema = z.enum(ROLES);
export type Role = z.infer<typeof roleSchema>;

export function roleAtLeast(role: Role, minimum: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(minimum);
}

export const organizationIdInput = z.object({
  organizationId: z.string().trim().min(1, "organizationId is required").max(64),
});

export const organizationNameSchema = z
  .string()
  .trim()
  .min(1, "Name is required")
  .max(80, "Use at most 80 characters")
  .refine((name) => !/\p{Cc}/u.test(name), "Control characters are not allowed");

export const renameOrganizationInput = organizationIdInput.extend({ name: organizationNameSchema });
