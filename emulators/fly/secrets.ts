import { createHash } from "node:crypto";
import { invalidArgument } from "./errors.ts";

/**
 * How long a secrets write takes to reach the hosts machines run on. A machine booting sooner sees the
 * previous version unless it asks for `min_secrets_version` — the reason flyctl passes it on every deploy.
 */
const SECRETS_PROPAGATION_MS = 1_000;

export interface SecretRecord {
  name: string;
  value: string;
  digest: string;
  createdAt: number;
  updatedAt: number;
}

interface SecretsSnapshot {
  version: number;
  writtenAt: number;
  values: Record<string, string>;
}

export interface SecretsStore {
  version: number;
  current: Map<string, SecretRecord>;
  history: SecretsSnapshot[];
}

const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function createSecretsStore(): SecretsStore {
  return { version: 0, current: new Map(), history: [{ version: 0, writtenAt: 0, values: {} }] };
}

function digestOf(value: string): string {
  return createHash("sha256").update(value).digest("hex").slice(0, 16);
}

/**
 * Applies a bulk change (`null` unsets). A change bumps the version once; unsetting only names that do
 * not exist changes nothing and returns the current version (what `fly secrets sync` relies on).
 */
export function writeSecrets(
  store: SecretsStore,
  values: Record<string, string | null>,
  now: number,
): number {
  for (const name of Object.keys(values)) {
    if (!SECRET_NAME.test(name)) throw invalidArgument(`invalid secret name ${JSON.stringify(name)}`);
  }
  let changed = false;
  for (const [name, value] of Object.entries(values)) {
    const existing = store.current.get(name);
    if (value === null) {
      changed = store.current.delete(name) || changed;
      continue;
    }
    store.current.set(name, {
      name,
      value,
      digest: digestOf(value),
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    });
    changed = true;
  }
  if (!changed) return store.version;
  store.version += 1;
  const snapshot: Record<string, string> = {};
  for (const record of store.current.values()) snapshot[record.name] = record.value;
  store.history.push({ version: store.version, writtenAt: now, values: snapshot });
  return store.version;
}

/** The newest version that has reached the hosts. */
export function propagatedVersion(store: SecretsStore, now: number): number {
  let visible = 0;
  for (const snapshot of store.history) {
    if (snapshot.writtenAt + SECRETS_PROPAGATION_MS <= now) visible = snapshot.version;
  }
  return visible;
}

/** The snapshot a machine boots with: what has propagated, or at least `minVersion` when it asks for it. */
export function secretsForBoot(
  store: SecretsStore,
  minVersion: number | undefined,
  now: number,
): { version: number; values: Record<string, string> } {
  const version = Math.max(propagatedVersion(store, now), minVersion ?? 0);
  const snapshot = store.history.find((candidate) => candidate.version === version);
  return { version, values: { ...snapshot?.values } };
}

export function secretJson(record: SecretRecord, showValue: boolean): Record<string, string> {
  return {
    name: record.name,
    digest: record.digest,
    created_at: new Date(record.createdAt).toISOString(),
    updated_at: new Date(record.updatedAt).toISOString(),
    ...(showValue ? { value: record.value } : {}),
  };
}
