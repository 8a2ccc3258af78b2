// Shared with the client: the rules for every project field (SPEC §5.3, §5.4), one message per rule, so
// the form and the API say the same thing. Imports only zod and other schema files.
import * as z from "zod";
import { repositoryFullNameSchema } from "../github/github.schema.ts";
import { organizationIdInput } from "../organizations/organization.schema.ts";

/** Lowercase letters, digits and dashes, not starting or ending with a dash (Fly's rule; "under 63 chars"). */
export const flyAppNameSchema = z
  .string()
  .trim()
  .min(2, "Use at least 2 characters")
  .max(62, "Use at most 62 characters")
  .regex(/^[a-z0-9-]+$/, "Use only lowercase letters, digits and dashes")
  .regex(/^[a-z0-9].*[a-z0-9]$/, "Start and end with a letter or digit");

// eslint-disable-next-line no-control-regex -- refusing control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/** A branch name as `git check-ref-format --branch` accepts it. */
export const gitBranchSchema = z
  .string()
  .min(1, "A branch name is required")
  .max(255, "Use at most 255 characters")
  .refine((name) => !CONTROL_CHARACTERS.test(name), "Control characters are not allowed")
  .refine((name) => !/[ ~^:?*[\\]/.test(name), "Spaces and ~ ^ : ? * [ \\ are not allowed")
  .refine((name) => !name.includes(".."), '".." is not allowed')
  .refine((name) => !name.includes("@{") && name !== "@", '"@{" and "@" alone are not allowed')
  .refine((name) => !name.startsWith("-"), "A branch cannot start with a dash")
  .refine(
    (name) => !name.startsWith("/") && !name.endsWith("/") && !name.includes("//"),
    "Slashes cannot lead, trail or repeat",
  )
  .refine((name) => !name.endsWith("."), "A branch cannot end with a dot")
  .refine(
    (name) => name.split("/").every((part) => !part.startsWith(".") && !part.endsWith(".lock")),
    'No part may start with "." or end with ".lock"',
  );

/**
 * A path inside the repository: relative, without "..", backslashes or control characters, normalised
 * ("./a//b/" becomes "a/b"). The empty string is the repository root.
 */
export const repositoryPathSchema = z
  .string()
  .trim()
  .max(1024, "Use at most 1024 characters")
  .refine((value) => !CONTROL_CHARACTERS.test(value), "Control characters are not allowed")
  .refine((value) => !value.includes("\\"), "Use forward slashes")
  .refine(
    (value) => !value.startsWith("/") && !/^[A-Za-z]:/.test(value),
    "Use a path relative to the repository",
  )
  .refine((value) => !value.split("/").includes(".."), '".." is not allowed')
  .transform((value) =>
    value
      .split("/")
      .filter((part) => part !== "" && part !== ".")
      .join("/"),
  );

/** A file inside the repository (a Dockerfile, fly.toml): a path that names something. */
export const repositoryFileSchema = repositoryPathSchema.refine((value) => value !== "", "Name a file");

export const ENVIRONMENT_VARIABLE_KEY = /^[A-Z_][A-Z0-9_]*$/;

export const environmentVariableKeySchema = z
  .string()
  .min(1, "A name is required")
  .max(256, "Use at most 256 characters")
  .regex(ENVIRONMENT_VARIABLE_KEY, "Use uppercase letters, digits and underscores, not starting with a digit")
  .refine((key) => !key.startsWith("FLY_"), "Names starting with FLY_ are reserved by Fly.io");

/** Fly region codes are three lowercase letters; the service checks the code against Fly's own list. */
export const regionCodeSchema = z.string().regex(/^[a-z]{3}$/, "Choose a region");

export const ENVIRONMENTS = ["production", "preview"] as const;
export const environmentSchema = z.enum(ENVIRONMENTS);
export type Environment = z.infer<typeof environmentSchema>;

/** 64 KB: Fly's own limit per secret is larger, but nothing sensible needs more in an env var. */
export const MAX_ENVIRONMENT_VALUE_BYTES = 64 * 1024;

export const environmentVariableValueSchema = z
  .string()
  .refine(
    (value) => new TextEncoder().encode(value).length <= MAX_ENVIRONMENT_VALUE_BYTES,
    "Values are limited to 64 KB",
  );

export const projectNameSchema = z
  .string()
  .trim()
  .min(1, "A name is required")
  .max(100, "Use at most 100 characters")
  .refine((name) => !CONTROL_CHARACTERS.test(name), "Control characters are not allowed");

/** The settings a person edits; the repository is chosen once, at creation. */
export const projectSettingsSchema = z.object({
  name: projectNameSchema,
  productionBranch: gitBranchSchema,
  rootDirectory: repositoryPathSchema,
  dockerfilePath: repositoryFileSchema,
  flyConfigPath: repositoryFileSchema,
  region: regionCodeSchema,
  autoDeploy: z.boolean(),
  previewsEnabled: z.boolean(),
  cancelInProgress: z.boolean(),
});

export const createProjectInput = organizationIdInput.extend({
  repository: repositoryFullNameSchema,
  name: projectNameSchema,
  /** Omitted: the repository's default branch. */
  productionBranch: gitBranchSchema.optional(),
  rootDirectory: repositoryPathSchema.default(""),
  dockerfilePath: repositoryFileSchema.default("Dockerfile"),
  flyConfigPath: repositoryFileSchema.default("fly.toml"),
  flyAppName: flyAppNameSchema,
  region: regionCodeSchema,
  autoDeploy: z.boolean().default(true),
  previewsEnabled: z.boolean().default(false),
});
export type CreateProjectInput = z.input<typeof createProjectInput>;

export const projectIdInput = z.object({ projectId: z.uuid("Unknown project") });

export const updateProjectInput = projectIdInput.extend({ settings: projectSettingsSchema.partial() });

export const deleteProjectInput = projectIdInput.extend({
  /** Asked explicitly: deleting the project never destroys the Fly app unless the person said so. */
  destroyFlyApp: z.boolean(),
});

export const appNameAvailabilityInput = z.object({ flyAppName: flyAppNameSchema });

export const environmentInput = projectIdInput.extend({ environment: environmentSchema });

export const environmentVariableKeyInput = environmentInput.extend({ key: environmentVariableKeySchema });

export const setEnvironmentVariableInput = environmentVariableKeyInput.extend({
  value: environmentVariableValueSchema,
});

export const PASTE_MODES = ["merge", "replace"] as const;

export const pasteEnvironmentInput = environmentInput.extend({
  text: z.string().max(1024 * 1024, "Paste at most 1 MB"),
  /** "merge" keeps keys the paste does not mention; "replace" removes them. */
  mode: z.enum(PASTE_MODES),
});

export const applyPasteInput = pasteEnvironmentInput.extend({
  /** The version the preview was made against: a change since then refuses the apply. */
  baseVersion: z.string().max(100),
});
