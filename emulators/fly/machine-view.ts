import { rfc3339 } from "./errors.ts";
import { imageRefJson } from "./images.ts";
import type { CheckStatus, Machine, MachineEvent } from "./state.ts";

export function eventJson(event: MachineEvent): Record<string, unknown> {
  return {
    id: event.id,
    type: event.type,
    status: event.status,
    source: event.source,
    timestamp: event.timestamp,
    ...(event.request ? { request: event.request } : {}),
  };
}

function checkJson(check: CheckStatus): Record<string, unknown> {
  return {
    name: check.name,
    status: check.status,
    output: check.output,
    updated_at: rfc3339(check.updatedAt),
  };
}

/**
 * The `Machine` object. `summary` leaves out config, checks, events, host status and nonce, as the list
 * endpoint's `summary=true` does; events are newest first.
 */
export function machineJson(
  machine: Machine,
  options: { summary?: boolean; nonce?: string | undefined } = {},
): Record<string, unknown> {
  const summary = {
    id: machine.id,
    name: machine.name,
    state: machine.state,
    region: machine.region,
    instance_id: machine.instanceId,
    private_ip: machine.privateIp,
    image_ref: imageRefJson(machine.config.image),
    created_at: rfc3339(machine.createdAt),
    updated_at: rfc3339(machine.updatedAt),
  };
  if (options.summary) return summary;
  return {
    ...summary,
    config: machine.config,
    events: machine.events.toReversed().map(eventJson),
    ...(machine.checks.length > 0 ? { checks: machine.checks.map(checkJson) } : {}),
    host_status: "ok",
    ...(options.nonce ? { nonce: options.nonce } : {}),
  };
}
