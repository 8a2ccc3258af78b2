import type { Permissions } from "./state.ts";

/** What the emulated GitHub App was registered with on "GitHub". */
export const APP_NAME = "Hangar Sandbox";
export const APP_DESCRIPTION = "Push-to-deploy to Fly.io (emulated GitHub App)";
export const APP_CREATED_AT = "2025-01-02T10:00:00Z";
export const APP_OWNER_LOGIN = "octocat";

export const APP_PERMISSIONS: Permissions = {
  checks: "write",
  contents: "read",
  deployments: "write",
  email_addresses: "read",
  issues: "write",
  metadata: "read",
  pull_requests: "write",
  statuses: "write",
};

export const APP_EVENTS = ["pull_request", "push"];

/** Id of the bot user that acts for the App (`<slug>[bot]`). */
export function botUserId(appId: number): number {
  return 41_000_000 + appId;
}
