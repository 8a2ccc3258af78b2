import { z } from "zod";

// Fly decodes configs into Go structs: a field of the wrong type is a 400, unknown fields are kept.
// Only the fields the emulator acts on are typed here; everything else passes through untouched.

const checkSchema = z.looseObject({
  type: z.string().optional(),
  port: z.number().int().optional(),
  grace_period: z.string().optional(),
  interval: z.string().optional(),
  timeout: z.string().optional(),
  method: z.string().optional(),
  path: z.string().optional(),
});

const serviceSchema = z.looseObject({
  protocol: z.string().optional(),
  internal_port: z.number().int().optional(),
  autostart: z.boolean().optional(),
  autostop: z.union([z.boolean(), z.enum(["off", "stop", "suspend"])]).optional(),
  min_machines_running: z.number().int().optional(),
  ports: z.array(z.looseObject({})).optional(),
  checks: z.array(checkSchema).optional(),
});

const guestSchema = z.looseObject({
  cpu_kind: z.enum(["shared", "performance"]).optional(),
  cpus: z.number().int().optional(),
  memory_mb: z.number().int().optional(),
});

export const machineConfigSchema = z.looseObject({
  image: z.string().min(1, "config.image is required"),
  env: z.record(z.string(), z.string()).optional(),
  metadata: z.record(z.string(), z.string()).optional(),
  guest: guestSchema.optional(),
  restart: z
    .looseObject({
      policy: z.enum(["no", "always", "on-failure", "spot-price"]).optional(),
      max_retries: z.number().int().optional(),
    })
    .optional(),
  services: z.array(serviceSchema).optional(),
  checks: z.record(z.string(), checkSchema).optional(),
  auto_destroy: z.boolean().optional(),
  stop_config: z.looseObject({ signal: z.string().optional(), timeout: z.string().optional() }).optional(),
});

export type MachineConfig = z.infer<typeof machineConfigSchema>;
export type MachineCheckConfig = z.infer<typeof checkSchema>;

const SHARED_CPU_COUNTS = [1, 2, 4, 6, 8];
const PERFORMANCE_CPU_COUNTS = [1, 2, 4, 6, 8, 10, 12, 14, 16, 32, 64, 128];

/** The guest sizes Fly accepts (flyctl `internal/machine/update.go` and fly-go constants mirror the server's). */
export function guestProblem(guest: MachineConfig["guest"]): string | undefined {
  if (!guest) return undefined;
  const kind = guest.cpu_kind ?? "shared";
  const cpus = guest.cpus ?? 1;
  const memory = guest.memory_mb ?? (kind === "shared" ? 256 : 2048);
  const allowedCpus = kind === "shared" ? SHARED_CPU_COUNTS : PERFORMANCE_CPU_COUNTS;
  if (!allowedCpus.includes(cpus)) return `invalid number of CPUs for ${kind} guest: ${cpus}`;
  const step = kind === "shared" ? 256 : 1024;
  const [minPerCpu, maxPerCpu] = kind === "shared" ? [256, 2048] : [2048, 8192];
  if (memory % step !== 0) return `memory size for config.guest.memory_mb must be a multiple of ${step}MB`;
  if (memory < minPerCpu * cpus || memory > maxPerCpu * cpus) {
    return `memory size ${memory}MB is out of range for ${cpus} ${kind} CPU(s): ${minPerCpu * cpus}MB-${maxPerCpu * cpus}MB`;
  }
  return undefined;
}

/**
 * The config as Fly stores and returns it: the default guest (shared-cpu-1x) is filled in, and
 * `autostop` "off"/"stop" come back as booleans (the live API keeps the old boolean format in responses).
 */
export function normalizeConfig(config: MachineConfig): MachineConfig {
  const services = config.services?.map((service) => {
    if (service.autostop === "off") return { ...service, autostop: false };
    if (service.autostop === "stop") return { ...service, autostop: true };
    return service;
  });
  const cpuKind = config.guest?.cpu_kind ?? "shared";
  const cpus = config.guest?.cpus ?? 1;
  const memoryPerCpu = cpuKind === "shared" ? 256 : 2048;
  return {
    ...config,
    guest: {
      ...config.guest,
      cpu_kind: cpuKind,
      cpus,
      memory_mb: config.guest?.memory_mb ?? memoryPerCpu * cpus,
    },
    ...(services ? { services } : {}),
  };
}
