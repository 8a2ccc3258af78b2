// Shared with the client: import only zod here.
import * as z from "zod";
import { organizationIdInput } from "../organizations/organization.schema.ts";

/** `owner/name` as GitHub allows them: owners 1–39 of [A-Za-z0-9-], names 1–100 of [A-Za-z0-9._-]. */
export const repositoryFullNameSchema = z
  .string()
  .trim()
  .regex(
    /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/(?!\.\.?$)[A-Za-z0-9._-]{1,100}$/,
    "Use the form owner/repository, e.g. acme/web",
  );

export const repositoryAccessInput = organizationIdInput.extend({ repository: repositoryFullNameSchema });

/** A user's role on a repository, from GitHub's permissions hash (highest wins). */
export const REPOSITORY_PERMISSIONS = ["admin", "maintain", "write", "triage", "read", "none"] as const;
export type RepositoryPermission = (typeof REPOSITORY_PERMISSIONS)[number];

export type GitHubConnection = "connected" | "reconnect_required" | "not_connected";
