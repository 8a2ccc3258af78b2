import { EventEmitter } from "node:events";
import type { Clock } from "./clock.ts";
import type { MachineConfig } from "./machine-config.ts";
import type { FaultProfile } from "./faults.ts";
import type { SecretsStore } from "./secrets.ts";
import { newInternalNumericId, newResourceId, newTokenId, newTokenOwner } from "./ids.ts";

export interface FlyEmulatorSeed {
  organizations: { slug: string; name?: string }[];
  tokens: { token: string; orgSlug: string; appName?: string }[];
}

export interface Organization {
  id: string;
  slug: string;
  name: string;
  internalNumericId: number;
}

export interface ApiToken {
  token: string;
  tokenId: string;
  orgSlug: string;
  /** Set for deploy tokens, which open exactly one app. */
  appName: string | undefined;
  /** The principal that owns leases taken with this token. */
  owner: string;
}

export interface IpAssignment {
  ip: string;
  type: "v4" | "v6" | "shared_v4" | "private_v6";
  region: string;
  serviceName: string;
  shared: boolean;
  createdAt: number;
}

export interface App {
  id: string;
  name: string;
  orgSlug: string;
  /** `pending` until a machine first starts, then `deployed`. */
  status: "pending" | "deployed";
  network: string;
  internalNumericId: number;
  createdAt: number;
  secrets: SecretsStore;
  ipAssignments: IpAssignment[];
}

export type MachineState =
  | "created"
  | "starting"
  | "started"
  | "stopping"
  | "stopped"
  | "suspending"
  | "suspended"
  | "replacing"
  | "destroying"
  | "destroyed"
  | "failed";

export interface MachineEvent {
  id: string;
  type: string;
  status: string;
  source: "user" | "flyd";
  timestamp: number;
  request?: Record<string, unknown>;
}

export interface CheckStatus {
  name: string;
  status: "passing" | "warning" | "critical";
  output: string;
  updatedAt: number;
}

export interface MachineVersion {
  version: string;
  config: MachineConfig;
  /** `replaced` once a newer version took over, `failed` when its image could not be pulled. */
  status: "current" | "replaced" | "failed";
  createdAt: number;
}

export interface Lease {
  nonce: string;
  expiresAt: number;
  owner: string;
  description: string;
  version: string;
}

/** The secrets snapshot the running version of a machine booted with. */
export interface SecretsSeen {
  version: number;
  values: Record<string, string>;
}

export interface Machine {
  id: string;
  appName: string;
  name: string;
  region: string;
  state: MachineState;
  instanceId: string;
  config: MachineConfig;
  privateIp: string;
  createdAt: number;
  updatedAt: number;
  /** Oldest first; the API shows them newest first. */
  events: MachineEvent[];
  checks: CheckStatus[];
  versions: MachineVersion[];
  lease: Lease | undefined;
  minSecretsVersion: number | undefined;
  skipSecrets: boolean;
  secretsSeen: SecretsSeen | undefined;
  /** Automatic restarts since the last user start, for `on-failure` accounting. */
  restartCount: number;
  /** Bumped by every operation so that steps scheduled by an earlier one no longer apply. */
  generation: number;
}

export interface ImageBehaviour {
  ref: string;
  healthy: boolean;
  crashLoop: boolean;
  registeredAt: number;
}

export interface RequestLogEntry {
  at: string;
  method: string;
  path: string;
  query: Record<string, unknown>;
  status: number | null;
  leaseNoncePresent: boolean;
  durationMs: number | null;
  fault: string | null;
}

export interface ActivityEntry {
  at: string;
  app: string;
  machineId: string | null;
  message: string;
}

export interface EmulatorState {
  organizations: Map<string, Organization>;
  tokens: Map<string, ApiToken>;
  apps: Map<string, App>;
  machines: Map<string, Machine>;
  images: Map<string, ImageBehaviour>;
  faults: FaultProfile | undefined;
  requests: RequestLogEntry[];
  activity: ActivityEntry[];
  /** Emits `change` (machine id) on every machine mutation and `reset` when state is wiped. */
  machineChanges: EventEmitter;
}

export interface EmulatorContext {
  state: EmulatorState;
  clock: Clock;
  seed: FlyEmulatorSeed;
  initialTimeScale: number;
}

const MAX_REQUEST_LOG = 500;
const MAX_ACTIVITY = 200;

export function createEmulatorState(seed: FlyEmulatorSeed): EmulatorState {
  const machineChanges = new EventEmitter();
  // Every pending `wait` listens; there can legitimately be many.
  machineChanges.setMaxListeners(0);
  const state: EmulatorState = {
    organizations: new Map(),
    tokens: new Map(),
    apps: new Map(),
    machines: new Map(),
    images: new Map(),
    faults: undefined,
    requests: [],
    activity: [],
    machineChanges,
  };
  applySeed(state, seed);
  return state;
}

/** Back to the seeded state: seeded organizations and tokens only, no apps, images or faults. */
export function resetEmulatorState(state: EmulatorState, seed: FlyEmulatorSeed): void {
  state.organizations.clear();
  state.tokens.clear();
  state.apps.clear();
  state.machines.clear();
  state.images.clear();
  state.faults = undefined;
  state.requests.length = 0;
  state.activity.length = 0;
  state.machineChanges.emit("reset");
  applySeed(state, seed);
}

function applySeed(state: EmulatorState, seed: FlyEmulatorSeed): void {
  for (const organization of seed.organizations) addOrganization(state, organization);
  for (const token of seed.tokens) addToken(state, token);
}

export function addOrganization(state: EmulatorState, input: { slug: string; name?: string }): Organization {
  const organization: Organization = {
    id: newResourceId(),
    slug: input.slug,
    name: input.name ?? input.slug,
    internalNumericId: newInternalNumericId(),
  };
  state.organizations.set(organization.slug, organization);
  return organization;
}

export function addToken(
  state: EmulatorState,
  input: { token: string; orgSlug: string; appName?: string | undefined },
): ApiToken {
  if (!state.organizations.has(input.orgSlug)) throw new Error(`unknown organization ${input.orgSlug}`);
  const token: ApiToken = {
    token: input.token,
    tokenId: newTokenId(),
    orgSlug: input.orgSlug,
    appName: input.appName,
    owner: newTokenOwner(),
  };
  state.tokens.set(token.token, token);
  return token;
}

export function recordRequest(state: EmulatorState, entry: RequestLogEntry): void {
  state.requests.push(entry);
  if (state.requests.length > MAX_REQUEST_LOG) state.requests.shift();
}

export function recordActivity(state: EmulatorState, entry: ActivityEntry): void {
  state.activity.push(entry);
  if (state.activity.length > MAX_ACTIVITY) state.activity.shift();
}
