import { FlyApiError, invalidArgument, leaseConflict, notFound } from "./errors.ts";
import { newLeaseNonce } from "./ids.ts";
import type { Lease, Machine } from "./state.ts";

/** Fly's default when neither the body nor the query gives a TTL. */
export const DEFAULT_LEASE_TTL_SECONDS = 30;

/** The lease still in force, dropping one that has expired. */
export function activeLease(machine: Machine, now: number): Lease | undefined {
  if (machine.lease && machine.lease.expiresAt <= now) machine.lease = undefined;
  return machine.lease;
}

/** Mutations on a leased machine must carry the lease's nonce (`fly-machine-lease-nonce`). */
export function assertLeaseHolder(machine: Machine, nonce: string | undefined, now: number): void {
  const lease = activeLease(machine, now);
  if (lease && lease.nonce !== nonce) throw leaseConflict(machine.id, lease.owner, lease.expiresAt);
}

/**
 * Takes a new lease, or refreshes the current one when `nonce` is its nonce (the nonce stays the same,
 * flyctl checks that). A stale nonce for an expired lease simply takes a new lease with a new nonce.
 */
export function acquireLease(
  machine: Machine,
  input: { ttlSeconds: number; description: string; owner: string; nonce: string | undefined },
  now: number,
): Lease {
  if (!Number.isInteger(input.ttlSeconds) || input.ttlSeconds <= 0) {
    throw invalidArgument("lease ttl must be a positive number of seconds");
  }
  const expiresAt = now + input.ttlSeconds * 1_000;
  const current = activeLease(machine, now);
  if (current) {
    if (current.nonce !== input.nonce) throw leaseConflict(machine.id, current.owner, current.expiresAt);
    current.expiresAt = expiresAt;
    if (input.description) current.description = input.description;
    return current;
  }
  machine.lease = {
    nonce: newLeaseNonce(),
    expiresAt,
    owner: input.owner,
    description: input.description,
    version: machine.instanceId,
  };
  return machine.lease;
}

export function releaseLease(machine: Machine, nonce: string | undefined, now: number): void {
  if (!nonce) throw new FlyApiError(400, "invalid_argument: fly-machine-lease-nonce header is required");
  const lease = activeLease(machine, now);
  if (!lease) throw notFound("lease");
  if (lease.nonce !== nonce) throw leaseConflict(machine.id, lease.owner, lease.expiresAt);
  machine.lease = undefined;
}

/** The live API wraps leases in an envelope (fly-go `MachineLease`), unlike the spec's bare `Lease`. */
export function leaseEnvelope(lease: Lease): { status: "success"; data: Record<string, unknown> } {
  return {
    status: "success",
    data: {
      nonce: lease.nonce,
      expires_at: Math.floor(lease.expiresAt / 1_000),
      owner: lease.owner,
      description: lease.description,
      version: lease.version,
    },
  };
}
