// Zod schemas for the GitHub webhook payloads Hangar handles. Unknown extra fields are tolerated
// (GitHub adds fields often) and left out of the parsed value: copying them cost more than the rest of
// the validation. Only what Hangar reads is required. Shared with the client's inbox.
import * as z from "zod";

export const HANDLED_EVENTS = [
  "push",
  "pull_request",
  "installation",
  "installation_repositories",
  "ping",
] as const;
export type HandledEvent = (typeof HANDLED_EVENTS)[number];

export function isHandledEvent(event: string): event is HandledEvent {
  return (HANDLED_EVENTS as readonly string[]).includes(event);
}

// `type` and `private` only shape hints, so a value of the wrong type is read as absent, never refused.
const account = z.object({ id: z.number().int(), login: z.string().max(100), type: z.unknown().optional() });
const repository = z.object({
  id: z.number().int(),
  name: z.string().max(100),
  full_name: z.string().max(200),
  private: z.boolean().optional(),
  default_branch: z.string().max(255).optional(),
  owner: z.object({ login: z.string().max(100) }).optional(),
});
const installationRef = z.object({ id: z.number().int() });
const sha = z.string().regex(/^[0-9a-f]{40}$/, "must be a 40-character hex sha");
const commit = z.object({
  id: sha,
  message: z.string(),
  timestamp: z.string().optional(),
  author: z
    .looseObject({
      name: z.string().optional(),
      email: z.string().optional(),
      username: z.string().optional(),
    })
    .optional(),
});

export const pushPayload = z.object({
  ref: z.string().max(300),
  before: sha,
  after: sha,
  created: z.boolean().optional(),
  deleted: z.boolean().default(false),
  forced: z.boolean().optional(),
  head_commit: commit.nullable().optional(),
  commits: z.array(commit).optional(),
  repository,
  installation: installationRef.optional(),
  sender: account.optional(),
});
export type PushPayload = z.infer<typeof pushPayload>;

export const pullRequestPayload = z.object({
  action: z.string().max(50),
  number: z.number().int().positive(),
  pull_request: z.object({
    number: z.number().int().positive(),
    title: z.string(),
    state: z.string(),
    merged: z.boolean().nullable().optional(),
    head: z.object({ ref: z.string(), sha, repo: repository.nullable() }),
    base: z.object({ ref: z.string(), sha: sha.optional(), repo: repository }),
  }),
  repository,
  installation: installationRef.optional(),
  sender: account.optional(),
});
export type PullRequestPayload = z.infer<typeof pullRequestPayload>;

const installation = z.object({
  id: z.number().int(),
  account: account,
  repository_selection: z.enum(["all", "selected"]).optional(),
  suspended_at: z.string().nullable().optional(),
  app_id: z.number().int().optional(),
});
const repositoryRef = z.object({
  id: z.number().int(),
  name: z.string(),
  full_name: z.string(),
  private: z.unknown().optional(),
});

export const installationPayload = z.object({
  action: z.enum(["created", "deleted", "suspend", "unsuspend", "new_permissions_accepted"]),
  installation,
  repositories: z.array(repositoryRef).optional(),
  sender: account.optional(),
});
export type InstallationPayload = z.infer<typeof installationPayload>;

export const installationRepositoriesPayload = z.object({
  action: z.enum(["added", "removed"]),
  installation,
  repository_selection: z.enum(["all", "selected"]).optional(),
  repositories_added: z.array(repositoryRef),
  repositories_removed: z.array(repositoryRef),
  sender: account.optional(),
});
export type InstallationRepositoriesPayload = z.infer<typeof installationRepositoriesPayload>;

export const pingPayload = z.object({
  zen: z.string().optional(),
  hook_id: z.number().int().optional(),
  hook: z.object({ events: z.array(z.string()).optional() }).optional(),
});
