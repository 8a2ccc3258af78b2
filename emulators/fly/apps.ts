import { appNameInvalid } from "./errors.ts";
import { newInternalNumericId, newResourceId } from "./ids.ts";
import { createSecretsStore } from "./secrets.ts";
import type { App, EmulatorState } from "./state.ts";

/**
 * Fly's rule: "Name under 63 chars using numbers, lowercase letters and dashes". The name also becomes a
 * DNS label (`<app>.fly.dev`), so it may not start or end with a dash.
 */
const APP_NAME = /^[a-z0-9](?:[a-z0-9-]{0,60}[a-z0-9])?$/;

export function assertValidAppName(name: string): void {
  if (!APP_NAME.test(name)) throw appNameInvalid();
}

export function newApp(name: string, orgSlug: string, now: number): App {
  return {
    id: newResourceId(),
    name,
    orgSlug,
    status: "pending",
    network: "default",
    internalNumericId: newInternalNumericId(),
    createdAt: now,
    secrets: createSecretsStore(),
    ipAssignments: [],
  };
}

/** The `App` object of the Machines API. */
export function appJson(state: EmulatorState, app: App): Record<string, unknown> {
  const organization = state.organizations.get(app.orgSlug);
  let machineCount = 0;
  for (const machine of state.machines.values()) {
    if (machine.appName === app.name && machine.state !== "destroyed") machineCount += 1;
  }
  return {
    id: app.id,
    name: app.name,
    status: app.status,
    network: app.network,
    internal_numeric_id: app.internalNumericId,
    machine_count: machineCount,
    volume_count: 0,
    organization: {
      name: organization?.name ?? app.orgSlug,
      slug: app.orgSlug,
      internal_numeric_id: organization?.internalNumericId ?? 0,
    },
  };
}
