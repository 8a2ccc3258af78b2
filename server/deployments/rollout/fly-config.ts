// A project's fly.toml, read the way flyctl reads it (`internal/appconfig`), turned into the Machines API
// config of its machines (ref §1.5: `[http_service]` becomes a service on ports 80 and 443).
//
// Supported: app, primary_region, kill_signal, kill_timeout, [build] image, [env], [http_service] (with
// concurrency and checks), [[services]] (ports, concurrency, tcp_checks, http_checks), [checks],
// [[vm]] / [vm], and [processes] with the default "app" group only. Refused, because ignoring them would
// deploy something other than what the file says: [[mounts]] (volumes), [deploy] release_command and
// strategies other than rolling, and any other process group. Anything else (statics, metrics, …)
// is ignored, as flyctl ignores keys it does not know.
import { parse as parseToml, TomlError } from "smol-toml";
import * as z from "zod";
import { AppError } from "../../errors.ts";
import type {
  FlyMachineCheck,
  FlyMachinePort,
  FlyMachineService,
  FlyMachineSettings,
} from "../../fly/fly-client.ts";

/** The only process group Hangar deploys (flyctl's default). */
export const APP_PROCESS_GROUP = "app";

export type FlyConfig = {
  /** `app`: only compared with the project's app; Hangar deploys to the project's. */
  appName: string | undefined;
  primaryRegion: string | undefined;
  /** `[build] image`: a prebuilt image to deploy instead of building one. */
  buildImage: string | undefined;
  /** The "app" group's machine config, without image and metadata (the rollout adds them). */
  machine: FlyMachineSettings;
};

// No fly.toml: what `fly launch` writes for a web app on port 8080, with a TCP check so that a rollout
// waits until the app actually listens.
const DEFAULT_FLY_TOML = `
[[services]]
protocol = "tcp"
internal_port = 8080
auto_stop_machines = "stop"
auto_start_machines = true
min_machines_running = 0

  [[services.ports]]
  port = 80
  handlers = ["http"]
  force_https = true

  [[services.ports]]
  port = 443
  handlers = ["http", "tls"]

  [[services.tcp_checks]]
  interval = "15s"
  timeout = "2s"
  grace_period = "1s"
`;

const GO_DURATION_UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
};

/** A Go duration (`15s`, `1m30s`, `500ms`) in milliseconds; undefined when it is not one. */
export function goDurationMs(text: string): number | undefined {
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join("") !== text) return undefined;
  return parts.reduce((total, part) => total + Number(part[1]) * (GO_DURATION_UNITS[part[2] ?? ""] ?? 0), 0);
}

type Guest = { cpu_kind: "shared" | "performance"; cpus: number; memory_mb: number };

/** Fly's default size when fly.toml names none. */
const DEFAULT_GUEST: Guest = { cpu_kind: "shared", cpus: 1, memory_mb: 256 };

/** flyctl's named sizes (fly-go `MachinePresets`), GPUs left out. */
const VM_SIZES: Record<string, Guest> = {
  "shared-cpu-1x": { cpu_kind: "shared", cpus: 1, memory_mb: 256 },
  "shared-cpu-2x": { cpu_kind: "shared", cpus: 2, memory_mb: 512 },
  "shared-cpu-4x": { cpu_kind: "shared", cpus: 4, memory_mb: 1024 },
  "shared-cpu-8x": { cpu_kind: "shared", cpus: 8, memory_mb: 2048 },
  "performance-1x": { cpu_kind: "performance", cpus: 1, memory_mb: 2048 },
  "performance-2x": { cpu_kind: "performance", cpus: 2, memory_mb: 4096 },
  "performance-4x": { cpu_kind: "performance", cpus: 4, memory_mb: 8192 },
  "performance-8x": { cpu_kind: "performance", cpus: 8, memory_mb: 16384 },
  "performance-16x": { cpu_kind: "performance", cpus: 16, memory_mb: 32768 },
};

/** Fly's guest limits (ref §1.5): allowed CPU counts, memory step and range per CPU. */
const GUEST_LIMITS = {
  shared: { cpus: [1, 2, 4, 6, 8], stepMb: 256, perCpuMb: [256, 2048] },
  performance: { cpus: [1, 2, 4, 6, 8, 10, 12, 14, 16, 32, 64, 128], stepMb: 1024, perCpuMb: [2048, 8192] },
} as const;

const duration = z.string().refine((text) => goDurationMs(text) !== undefined, {
  error: 'expected a duration such as "10s" or "1m30s"',
});
const port = z.number().int().min(1).max(65_535);
const count = z.number().int().min(0);
const autostop = z.union([z.boolean(), z.enum(["off", "stop", "suspend"])]);
const processes = z
  .array(z.string())
  .refine((groups) => groups.includes(APP_PROCESS_GROUP), {
    error: `only the "${APP_PROCESS_GROUP}" process group is supported`,
  })
  .optional();
const concurrency = z.object({
  type: z.enum(["connections", "requests"]).optional(),
  soft_limit: count.optional(),
  hard_limit: count.optional(),
});
const tcpCheck = z.object({
  interval: duration.optional(),
  timeout: duration.optional(),
  grace_period: duration.optional(),
});
const httpCheck = tcpCheck.extend({
  method: z.string().optional(),
  path: z.string().optional(),
  protocol: z.enum(["http", "https"]).optional(),
  tls_skip_verify: z.boolean().optional(),
  tls_server_name: z.string().optional(),
  headers: z.record(z.string(), z.string()).optional(),
});
const machineCheck = httpCheck.extend({ type: z.enum(["tcp", "http"]), port: port.optional() });
const serviceSettings = {
  processes,
  auto_stop_machines: autostop.optional(),
  auto_start_machines: z.boolean().optional(),
  min_machines_running: count.optional(),
  concurrency: concurrency.optional(),
};
const unsupported = (what: string) => z.never({ error: `${what} not supported by Hangar yet` }).optional();

const vmSchema = z.object({
  size: z
    .string()
    .refine((size) => size in VM_SIZES, { error: `expected one of ${Object.keys(VM_SIZES).join(", ")}` })
    .optional(),
  memory: z.union([z.number().int().positive(), z.string()]).optional(),
  memory_mb: z.number().int().positive().optional(),
  cpus: z.number().int().positive().optional(),
  cpu_kind: z.enum(["shared", "performance"]).optional(),
  processes,
});

const flyTomlSchema = z.object({
  app: z.string().min(1).optional(),
  primary_region: z.string().min(1).optional(),
  kill_signal: z
    .enum(["SIGINT", "SIGTERM", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGKILL", "SIGSTOP"])
    .optional(),
  /** Seconds (the classic form) or a duration. */
  kill_timeout: z.union([count, duration]).optional(),
  build: z.object({ image: z.string().min(1).optional() }).optional(),
  // flyctl turns numbers and booleans into strings.
  env: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  http_service: z
    .object({
      internal_port: port.default(8080),
      force_https: z.boolean().optional(),
      checks: z.array(httpCheck).optional(),
      ...serviceSettings,
    })
    .optional(),
  services: z
    .array(
      z.object({
        protocol: z.enum(["tcp", "udp"]).default("tcp"),
        internal_port: port,
        ports: z
          .array(
            z.object({
              port: port.optional(),
              start_port: port.optional(),
              end_port: port.optional(),
              handlers: z.array(z.string()).optional(),
              force_https: z.boolean().optional(),
            }),
          )
          .default([]),
        tcp_checks: z.array(tcpCheck).optional(),
        http_checks: z.array(httpCheck).optional(),
        ...serviceSettings,
      }),
    )
    .optional(),
  checks: z.record(z.string(), machineCheck).optional(),
  vm: z.union([z.array(vmSchema), vmSchema]).optional(),
  processes: z
    .record(z.string(), z.string())
    .refine((groups) => Object.keys(groups).every((group) => group === APP_PROCESS_GROUP), {
      error: `only the default "${APP_PROCESS_GROUP}" process group is supported`,
    })
    .optional(),
  mounts: unsupported("volumes ([[mounts]]) are"),
  deploy: z
    .object({
      strategy: z.enum(["rolling"], { error: 'only the "rolling" strategy is supported' }).optional(),
      release_command: unsupported("release commands are"),
    })
    .optional(),
});

type FlyToml = z.infer<typeof flyTomlSchema>;

function invalid(problem: string): AppError {
  return new AppError("BAD_REQUEST", `fly.toml is invalid: ${problem}`, { reason: "FLY_CONFIG_INVALID" });
}

function fieldPath(path: PropertyKey[]): string {
  return path.reduce<string>(
    (text, key) =>
      typeof key === "number" ? `${text}[${key}]` : text ? `${text}.${String(key)}` : String(key),
    "",
  );
}

/**
 * Reads a fly.toml; `undefined` (the repository has none) gives the default config above. Invalid
 * TOML or values Hangar cannot deploy → AppError BAD_REQUEST, reason FLY_CONFIG_INVALID, naming the
 * line or the field.
 */
export function parseFlyConfig(source: string | undefined): FlyConfig {
  let document: unknown;
  try {
    document = parseToml(source ?? DEFAULT_FLY_TOML);
  } catch (error) {
    if (!(error instanceof TomlError)) throw error;
    const problem = error.message.split("\n")[0]?.replace(/^Invalid TOML document: /, "") ?? "";
    throw invalid(`line ${error.line}, column ${error.column}: ${problem}`);
  }
  const parsed = flyTomlSchema.safeParse(document);
  if (!parsed.success) {
    throw invalid(
      parsed.error.issues
        .slice(0, 5)
        .map((issue) => `${fieldPath(issue.path)}: ${issue.message}`)
        .join("; "),
    );
  }
  const toml = parsed.data;
  return {
    appName: toml.app,
    primaryRegion: toml.primary_region,
    buildImage: toml.build?.image,
    machine: machineSettings(toml),
  };
}

function machineSettings(toml: FlyToml): FlyMachineSettings {
  const settings: FlyMachineSettings = { env: environment(toml), guest: guest(toml) };
  const services = [
    ...(toml.http_service ? [httpService(toml.http_service)] : []),
    ...(toml.services ?? []).map(service),
  ];
  if (services.length > 0) settings.services = services;
  if (toml.checks) settings.checks = machineChecks(toml);
  if (toml.kill_signal !== undefined || toml.kill_timeout !== undefined) {
    settings.stop_config = {
      signal: toml.kill_signal,
      timeout: typeof toml.kill_timeout === "number" ? `${toml.kill_timeout}s` : toml.kill_timeout,
    };
  }
  const command = toml.processes?.[APP_PROCESS_GROUP];
  if (command !== undefined) settings.init = { cmd: splitCommand(command) };
  return settings;
}

/** `[env]` as strings, plus what flyctl adds for the app to read (appconfig `updateMachineConfig`). */
function environment(toml: FlyToml): Record<string, string> {
  const env = Object.fromEntries(Object.entries(toml.env ?? {}).map(([key, value]) => [key, String(value)]));
  if (toml.primary_region) env.PRIMARY_REGION = toml.primary_region;
  env.FLY_PROCESS_GROUP = APP_PROCESS_GROUP;
  return env;
}

function serviceOptions(input: z.infer<z.ZodObject<typeof serviceSettings>>): Partial<FlyMachineService> {
  const options: Partial<FlyMachineService> = {};
  if (input.auto_stop_machines !== undefined) {
    const value = input.auto_stop_machines;
    options.autostop = value === true ? "stop" : value === false ? "off" : value;
  }
  if (input.auto_start_machines !== undefined) options.autostart = input.auto_start_machines;
  if (input.min_machines_running !== undefined) options.min_machines_running = input.min_machines_running;
  if (input.concurrency) options.concurrency = input.concurrency;
  return options;
}

function check(type: "tcp" | "http", input: z.infer<typeof httpCheck>): FlyMachineCheck {
  const { headers, ...rest } = input;
  return {
    type,
    ...rest,
    ...(headers
      ? { headers: Object.entries(headers).map(([name, value]) => ({ name, values: [value] })) }
      : {}),
  };
}

/** flyctl `ToService`: HTTP on 80 (optionally redirecting to HTTPS) and HTTP over TLS on 443. */
function httpService(input: NonNullable<FlyToml["http_service"]>): FlyMachineService {
  const ports: FlyMachinePort[] = [
    { port: 80, handlers: ["http"], ...(input.force_https ? { force_https: true } : {}) },
    { port: 443, handlers: ["http", "tls"] },
  ];
  return {
    protocol: "tcp",
    internal_port: input.internal_port,
    ports,
    ...serviceOptions(input),
    ...(input.checks ? { checks: input.checks.map((entry) => check("http", entry)) } : {}),
  };
}

function service(input: NonNullable<FlyToml["services"]>[number]): FlyMachineService {
  const checks = [
    ...(input.tcp_checks ?? []).map((entry) => check("tcp", entry)),
    ...(input.http_checks ?? []).map((entry) => check("http", entry)),
  ];
  return {
    protocol: input.protocol,
    internal_port: input.internal_port,
    ports: input.ports,
    ...serviceOptions(input),
    ...(checks.length > 0 ? { checks } : {}),
  };
}

/** `[checks]`: a check without a port probes the HTTP service's port, as there is no other to guess. */
function machineChecks(toml: FlyToml): Record<string, FlyMachineCheck> {
  return Object.fromEntries(
    Object.entries(toml.checks ?? {}).map(([name, entry]) => {
      const portNumber = entry.port ?? toml.http_service?.internal_port;
      if (portNumber === undefined) throw invalid(`checks.${name}.port: a port is required`);
      return [name, { ...check(entry.type, entry), port: portNumber }];
    }),
  );
}

/** The first `[[vm]]` (all of them apply to the one "app" group); Fly's rules checked here, not at deploy. */
function guest(toml: FlyToml): Guest {
  const [vm] = [toml.vm ?? []].flat();
  const preset = (vm?.size === undefined ? undefined : VM_SIZES[vm.size]) ?? DEFAULT_GUEST;
  const cpuKind = vm?.cpu_kind ?? preset.cpu_kind;
  const cpus = vm?.cpus ?? preset.cpus;
  const memoryMb = vm?.memory_mb ?? (vm?.memory === undefined ? undefined : memoryOf(vm.memory));
  const limits = GUEST_LIMITS[cpuKind];
  const memory = memoryMb ?? (vm?.size ? preset.memory_mb : limits.perCpuMb[0] * cpus);
  if (!(limits.cpus as readonly number[]).includes(cpus)) {
    throw invalid(`vm.cpus: ${cpus} ${cpuKind} CPUs is not a size Fly offers (${limits.cpus.join(", ")})`);
  }
  if (memory % limits.stepMb !== 0) {
    throw invalid(`vm.memory: ${memory} MB is not a multiple of ${limits.stepMb} MB`);
  }
  const [min, max] = limits.perCpuMb;
  if (memory < min * cpus || memory > max * cpus) {
    throw invalid(
      `vm.memory: ${memory} MB is outside ${min * cpus}–${max * cpus} MB for ${cpus} ${cpuKind} CPU(s)`,
    );
  }
  return { cpu_kind: cpuKind, cpus, memory_mb: memory };
}

/** `memory = 512`, `"512mb"`, `"1gb"` (flyctl `helpers.ParseSize`, megabytes by default). */
function memoryOf(value: number | string): number {
  if (typeof value === "number") return value;
  const match = /^\s*(\d+)\s*(mb|m|gb|g)?\s*$/i.exec(value);
  if (!match) throw invalid(`vm.memory: "${value}" is not a size such as "512mb" or "1gb"`);
  const unit = (match[2] ?? "mb").toLowerCase();
  return Number(match[1]) * (unit.startsWith("g") ? 1024 : 1);
}

/** A process command as a shell would split it into words (quotes and backslashes, nothing else). */
function splitCommand(command: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: string | undefined;
  let escaped = false;
  for (const char of command) {
    if (escaped) {
      word = (word ?? "") + char;
      escaped = false;
    } else if (char === "\\" && quote !== "'") {
      escaped = true;
    } else if (quote) {
      if (char === quote) quote = undefined;
      else word = (word ?? "") + char;
    } else if (char === '"' || char === "'") {
      quote = char;
      word ??= "";
    } else if (/\s/.test(char)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else {
      word = (word ?? "") + char;
    }
  }
  if (quote || escaped) throw invalid(`processes.${APP_PROCESS_GROUP}: unterminated quote in "${command}"`);
  if (word !== undefined) words.push(word);
  if (words.length === 0) throw invalid(`processes.${APP_PROCESS_GROUP}: the command is empty`);
  return words;
}
