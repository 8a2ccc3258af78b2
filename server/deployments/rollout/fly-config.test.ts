// fly.toml → Machines API config, on fly.toml files as people write them, and the refusals.
import { describe, expect, it } from "vitest";
import { AppError } from "../../errors.ts";
import { goDurationMs, parseFlyConfig } from "./fly-config.ts";

const HTTP_PORTS = [
  { port: 80, handlers: ["http"], force_https: true },
  { port: 443, handlers: ["http", "tls"] },
];
const SMALLEST = { cpu_kind: "shared", cpus: 1, memory_mb: 256 };

describe("parseFlyConfig", () => {
  it("gives an HTTP service on 8080 with one TCP check when the repository has no fly.toml", () => {
    expect(parseFlyConfig(undefined)).toEqual({
      appName: undefined,
      primaryRegion: undefined,
      buildImage: undefined,
      machine: {
        env: { FLY_PROCESS_GROUP: "app" },
        guest: SMALLEST,
        services: [
          {
            protocol: "tcp",
            internal_port: 8080,
            ports: HTTP_PORTS,
            autostop: "stop",
            autostart: true,
            min_machines_running: 0,
            checks: [{ type: "tcp", interval: "15s", timeout: "2s", grace_period: "1s" }],
          },
        ],
      },
    });
  });

  it("reads what `fly launch` writes today", () => {
    const config = parseFlyConfig(`
# fly.toml app configuration file generated for hello-app
app = 'hello-app'
primary_region = 'ams'

[build]

[http_service]
  internal_port = 3000
  force_https = true
  auto_stop_machines = 'stop'
  auto_start_machines = true
  min_machines_running = 0
  processes = ['app']

[[vm]]
  memory = '1gb'
  cpu_kind = 'shared'
  cpus = 1
`);
    expect(config).toEqual({
      appName: "hello-app",
      primaryRegion: "ams",
      buildImage: undefined,
      machine: {
        env: { PRIMARY_REGION: "ams", FLY_PROCESS_GROUP: "app" },
        guest: { cpu_kind: "shared", cpus: 1, memory_mb: 1024 },
        services: [
          {
            protocol: "tcp",
            internal_port: 3000,
            ports: HTTP_PORTS,
            autostop: "stop",
            autostart: true,
            min_machines_running: 0,
          },
        ],
      },
    });
  });

  const machines: [string, string, Record<string, unknown>][] = [
    [
      "[env] values as strings, numbers and booleans become strings",
      `[env]\nNODE_ENV = "production"\nPORT = 8080\nDEBUG = false\n`,
      { env: { NODE_ENV: "production", PORT: "8080", DEBUG: "false", FLY_PROCESS_GROUP: "app" } },
    ],
    [
      "http_service checks are HTTP checks of that service, headers as Fly lists them",
      `[http_service]\ninternal_port = 8080\nauto_stop_machines = false\n[http_service.concurrency]\ntype = "requests"\nsoft_limit = 200\nhard_limit = 250\n[[http_service.checks]]\ngrace_period = "10s"\ninterval = "30s"\nmethod = "GET"\ntimeout = "5s"\npath = "/healthz"\nheaders = { X-Forwarded-Proto = "https" }\n`,
      {
        services: [
          {
            protocol: "tcp",
            internal_port: 8080,
            ports: [
              { port: 80, handlers: ["http"] },
              { port: 443, handlers: ["http", "tls"] },
            ],
            autostop: "off",
            concurrency: { type: "requests", soft_limit: 200, hard_limit: 250 },
            checks: [
              {
                type: "http",
                grace_period: "10s",
                interval: "30s",
                method: "GET",
                timeout: "5s",
                path: "/healthz",
                headers: [{ name: "X-Forwarded-Proto", values: ["https"] }],
              },
            ],
          },
        ],
      },
    ],
    [
      "[[services]] with ports, TCP then HTTP checks",
      `[[services]]\nprotocol = "tcp"\ninternal_port = 5432\nauto_stop_machines = "suspend"\n[[services.ports]]\nport = 5432\n[[services.ports]]\nstart_port = 10000\nend_port = 10010\nhandlers = ["proxy_proto"]\n[[services.http_checks]]\npath = "/"\nprotocol = "https"\ntls_skip_verify = true\n[[services.tcp_checks]]\ninterval = "10s"\n`,
      {
        services: [
          {
            protocol: "tcp",
            internal_port: 5432,
            ports: [{ port: 5432 }, { start_port: 10000, end_port: 10010, handlers: ["proxy_proto"] }],
            autostop: "suspend",
            checks: [
              { type: "tcp", interval: "10s" },
              { type: "http", path: "/", protocol: "https", tls_skip_verify: true },
            ],
          },
        ],
      },
    ],
    [
      "[checks] keep their names; a check without a port probes the HTTP service's",
      `[http_service]\ninternal_port = 4000\n[checks.alive]\ntype = "tcp"\ngrace_period = "30s"\n[checks.db]\ntype = "http"\nport = 9090\npath = "/db"\n`,
      {
        checks: {
          alive: { type: "tcp", grace_period: "30s", port: 4000 },
          db: { type: "http", port: 9090, path: "/db" },
        },
      },
    ],
    [
      "a named VM size, a single [vm] table, memory overrides",
      `[vm]\nsize = "performance-2x"\nmemory = "8gb"\n`,
      { guest: { cpu_kind: "performance", cpus: 2, memory_mb: 8192 } },
    ],
    [
      "memory_mb in megabytes",
      `[[vm]]\nmemory_mb = 2048\ncpus = 2\n`,
      { guest: { cpu_kind: "shared", cpus: 2, memory_mb: 2048 } },
    ],
    [
      "kill_signal and kill_timeout (seconds, or a duration) become the stop config",
      `kill_signal = "SIGTERM"\nkill_timeout = 30\n`,
      { stop_config: { signal: "SIGTERM", timeout: "30s" } },
    ],
    ["kill_timeout as a duration", `kill_timeout = "2m"\n`, { stop_config: { timeout: "2m" } }],
    [
      "the app process command becomes init.cmd, split like a shell",
      `[processes]\napp = "bin/server --name 'hello world' --flag=\\"a b\\" x\\\\ y"\n`,
      { init: { cmd: ["bin/server", "--name", "hello world", "--flag=a b", "x y"] } },
    ],
    [
      "unknown sections are ignored, as flyctl ignores them",
      `[[statics]]\nguest_path = "/app/public"\nurl_prefix = "/static"\n[metrics]\nport = 9091\n`,
      { env: { FLY_PROCESS_GROUP: "app" }, guest: SMALLEST },
    ],
  ];

  it.each(machines)("%s", (_name, toml, expected) => {
    expect(parseFlyConfig(toml).machine).toMatchObject(expected);
  });

  it("reads [build] image, a prebuilt image to deploy", () => {
    expect(parseFlyConfig(`[build]\nimage = "ghcr.io/acme/api:1.2.3"\n`).buildImage).toBe(
      "ghcr.io/acme/api:1.2.3",
    );
  });

  const refusals: [string, string, string][] = [
    [
      "broken TOML, by line and column",
      `app = "x"\n[http_service]\ninternal_port = = 3\n`,
      "fly.toml is invalid: line 3, column 17: invalid value",
    ],
    [
      "a key defined twice",
      `app = "a"\napp = "b"\n`,
      "fly.toml is invalid: line 2, column 1: trying to redefine an already defined table or value",
    ],
    [
      "a port that is not a number",
      `[http_service]\ninternal_port = "web"\n`,
      "fly.toml is invalid: http_service.internal_port: Invalid input: expected number, received string",
    ],
    [
      "a port out of range",
      `[[services]]\ninternal_port = 70000\n`,
      "fly.toml is invalid: services[0].internal_port: Too big: expected number to be <=65535",
    ],
    [
      "a service without its internal port",
      `[[services]]\nprotocol = "tcp"\n`,
      "fly.toml is invalid: services[0].internal_port: Invalid input: expected number, received undefined",
    ],
    [
      "an unknown auto_stop_machines",
      `[http_service]\nauto_stop_machines = "hibernate"\n`,
      "fly.toml is invalid: http_service.auto_stop_machines: Invalid input",
    ],
    [
      "a duration without a unit",
      `[[services]]\ninternal_port = 8080\n[[services.tcp_checks]]\ninterval = "15"\n`,
      'fly.toml is invalid: services[0].tcp_checks[0].interval: expected a duration such as "10s" or "1m30s"',
    ],
    [
      "a check type Fly does not have",
      `[checks.x]\ntype = "grpc"\nport = 50051\n`,
      'fly.toml is invalid: checks.x.type: Invalid option: expected one of "tcp"|"http"',
    ],
    [
      "a top-level check with no port to probe",
      `[checks.alive]\ntype = "tcp"\n`,
      "fly.toml is invalid: checks.alive.port: a port is required",
    ],
    [
      "an unknown VM size",
      `[[vm]]\nsize = "huge"\n`,
      "fly.toml is invalid: vm[0].size: expected one of shared-cpu-1x",
    ],
    [
      "memory Fly cannot give",
      `[[vm]]\nmemory = "300mb"\n`,
      "fly.toml is invalid: vm.memory: 300 MB is not a multiple of 256 MB",
    ],
    [
      "too much memory per CPU",
      `[[vm]]\nmemory = "4gb"\n`,
      "fly.toml is invalid: vm.memory: 4096 MB is outside 256–2048 MB for 1 shared CPU(s)",
    ],
    [
      "a CPU count Fly does not offer",
      `[[vm]]\ncpus = 3\n`,
      "fly.toml is invalid: vm.cpus: 3 shared CPUs is not a size Fly offers (1, 2, 4, 6, 8)",
    ],
    [
      "an unreadable memory size",
      `[[vm]]\nmemory = "lots"\n`,
      'fly.toml is invalid: vm.memory: "lots" is not a size such as "512mb" or "1gb"',
    ],
    [
      "process groups besides app",
      `[processes]\nweb = "bin/web"\nworker = "bin/worker"\n`,
      'fly.toml is invalid: processes: only the default "app" process group is supported',
    ],
    [
      "a service for another process group",
      `[http_service]\nprocesses = ["web"]\n`,
      'fly.toml is invalid: http_service.processes: only the "app" process group is supported',
    ],
    [
      "an unterminated quote in the command",
      `[processes]\napp = "bin/server 'oops"\n`,
      "fly.toml is invalid: processes.app: unterminated quote",
    ],
    [
      "volumes",
      `[[mounts]]\nsource = "data"\ndestination = "/data"\n`,
      "fly.toml is invalid: mounts: volumes ([[mounts]]) are not supported by Hangar yet",
    ],
    [
      "a release command",
      `[deploy]\nrelease_command = "bin/migrate"\n`,
      "fly.toml is invalid: deploy.release_command: release commands are not supported by Hangar yet",
    ],
    [
      "another deploy strategy",
      `[deploy]\nstrategy = "bluegreen"\n`,
      'fly.toml is invalid: deploy.strategy: only the "rolling" strategy is supported',
    ],
    ["an env value that is a table", `[env]\nX = { a = 1 }\n`, "fly.toml is invalid: env.X: Invalid input"],
    [
      "an unknown kill signal",
      `kill_signal = "SIGHUP"\n`,
      "fly.toml is invalid: kill_signal: Invalid option",
    ],
  ];

  it.each(refusals)("refuses %s, naming where", (_name, toml, message) => {
    let caught: unknown;
    try {
      parseFlyConfig(toml);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(AppError);
    expect(caught).toMatchObject({ code: "BAD_REQUEST", reason: "FLY_CONFIG_INVALID" });
    expect((caught as AppError).message.startsWith(message)).toBe(true);
  });
});

describe("goDurationMs", () => {
  it.each([
    ["15s", 15_000],
    ["1m30s", 90_000],
    ["500ms", 500],
    ["1.5s", 1_500],
    ["2h", 7_200_000],
    ["15", undefined],
    ["s", undefined],
    ["10 s", undefined],
  ])("%s → %s", (text, ms) => {
    expect(goDurationMs(text)).toBe(ms);
  });
});
