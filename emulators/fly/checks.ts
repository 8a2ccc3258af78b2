import type { MachineCheckConfig, MachineConfig } from "./machine-config.ts";

export interface CheckDefinition {
  name: string;
  type: string;
  gracePeriodMs: number;
}

const GO_DURATION_UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
};

/** Parses Go duration strings such as `15s`, `1m30s` or `500ms` into milliseconds. */
export function parseGoDuration(text: string): number | undefined {
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join("") !== text) return undefined;
  return parts.reduce((total, part) => total + Number(part[1]) * (GO_DURATION_UNITS[part[2] ?? ""] ?? 0), 0);
}

function definitionFor(name: string, check: MachineCheckConfig): CheckDefinition {
  return {
    name,
    type: check.type ?? "tcp",
    gracePeriodMs: check.grace_period ? (parseGoDuration(check.grace_period) ?? 0) : 0,
  };
}

/**
 * Top-level checks keep their key as name; service checks are named like flyd names them,
 * `servicecheck-00-http-8080` (index within the service, type, internal port).
 */
export function checkDefinitions(config: MachineConfig): CheckDefinition[] {
  const definitions = Object.entries(config.checks ?? {}).map(([name, check]) => definitionFor(name, check));
  for (const service of config.services ?? []) {
    (service.checks ?? []).forEach((check, index) => {
      const type = check.type ?? "tcp";
      const name = `servicecheck-${String(index).padStart(2, "0")}-${type}-${service.internal_port ?? 0}`;
      definitions.push(definitionFor(name, check));
    });
  }
  return definitions;
}

export function checkOutput(type: string, passing: boolean): string {
  if (type === "http") return passing ? "[✓] 200 OK" : "[✗] 500 Internal Server Error";
  return passing ? "Success" : "dial tcp: connect: connection refused";
}
