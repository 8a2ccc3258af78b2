// Zod schemas for the GitHub webhook payloads Hangar handles. Unknown extra fields are tolerated
// (GitHub adds fields often); only what Hangar reads is required. Shared with the client's inbox.
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

const account = z.looseObject({ id: z.number().int(), login: z.string().max(100) });
const repository = z.looseObject({
  id: z.number().int(),
  name: z.string().max(100),
  full_name: z.string().max(200),
  private: z.boolean().optional(),
  default_branch: z.string().max(255).optional(),
  owner: z.looseObject({ login: z.string().max(100) }).optional(),
});
const installationRef = z.looseObject({ id: z.number().int() });
const sha = z.string().regex(/^[0-9a-f]{40}$/, "must be a 40-character hex sha");
const commit = z.looseObject({
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

export const pushPayload = z.looseObject({
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

export const pullRequestPayload = z.looseObject({
  action: z.string().max(50),
  number: z.number().int().positive(),
  pull_request: z.looseObject({
    number: z.number().int().positive(),
    title: z.string(),
    state: z.string(),
    merged: z.boolean().nullable().optional(),
    head: z.looseObject({ ref: z.string(), sha, repo: repository.nullable() }),
    base: z.looseObject({ ref: z.string(), sha: sha.optional(), repo: repository }),
  }),
  repository,
  installation: installationRef.optional(),
  sender: account.optional(),
});
export type PullRequestPayload = z.infer<typeof pullRequestPayload>;

const installation = z.looseObject({
  id: z.number().int(),
  account: account,
  repository_selection: z.enum(["all", "selected"]).optional(),
  suspended_at: z.string().nullable().optional(),
  app_id: z.number().int().optional(),
});
const repositoryRef = z.looseObject({ id: z.number().int(), name: z.string(), full_name: z.string() });

export const installationPayload = z.looseObject({
  action: z.enum(["created", "deleted", "suspend", "unsuspend", "new_permissions_accepted"]),
  installation,
  repositories: z.array(repositoryRef).optional(),
  sender: account.optional(),
});
export type InstallationPayload = z.infer<typeof installationPayload>;

export const installationRepositoriesPayload = z.looseObject({
  action: z.enum(["added", "removed"]),
  installation,
  repository_selection: z.enum(["all", "selected"]).optional(),
  repositories_added: z.array(repositoryRef),
  repositories_removed: z.array(repositoryRef),
  sender: account.optional(),
});
export type InstallationRepositoriesPayload = z.infer<typeof installationRepositoriesPayload>;

export const pingPayload = z.looseObject({
  zen: z.string().optional(),
  hook_id: z.number().int().optional(),
  hook: z.looseObject({ events: z.array(z.string()).optional() }).optional(),
});
