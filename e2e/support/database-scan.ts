// SPEC §8: "secret values never appear … in the database in plaintext — checked by scanning everything
// an end-to-end run produced". Reads every row of every table of the e2e server's embedded PostgreSQL
// as text and looks for the secrets, in the clear and in the encodings that would hide them from a
// naive search (base64 at any byte alignment, base64url, hex as bytea prints it).
import fs from "node:fs";
import path from "node:path";
import pg from "pg";

/** HANGAR_DATA_DIR of the e2e server (playwright.config.ts → webServer.env). */
const E2E_DATA_DIR = path.resolve(import.meta.dirname, "..", "..", ".tmp", "e2e");

/**
 * The e2e server's database, found as server/db/embedded-postgres.ts leaves it: the cluster in
 * `<data dir>/postgres` (its port on line 4 of postmaster.pid), the password next to it, user and
 * database "hangar".
 */
export function e2eDatabaseUrl(dataDir = E2E_DATA_DIR): string {
  const cluster = path.join(dataDir, "postgres");
  const pidLines = fs.readFileSync(path.join(cluster, "postmaster.pid"), "utf8").split("\n");
  const port = Number(pidLines[3]);
  if (!Number.isInteger(port) || port <= 0) throw new Error(`No port on line 4 of ${cluster}/postmaster.pid`);
  const password = fs.readFileSync(`${cluster}.password`, "utf8").trim();
  return `postgresql://hangar:${encodeURIComponent(password)}@127.0.0.1:${port}/hangar`;
}

/**
 * Every way `secret`'s bytes can appear inside a base64 string: the encoding depends on the offset of
 * the secret in the encoded whole (mod 3), so take all three, minus the characters shared with the
 * neighbouring bytes.
 */
function base64Forms(bytes: Buffer): string[] {
  const forms: string[] = [];
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString("base64");
    const start = Math.ceil((offset * 4) / 3);
    const end = Math.floor(((offset + bytes.length) * 4) / 3);
    const core = encoded.slice(start, end);
    forms.push(core, core.replaceAll("+", "-").replaceAll("/", "_"));
  }
  return forms;
}

export type Needle = { secret: string; form: string; text: string };

/** The plaintext, its base64/base64url forms and its hex form, each labelled for the report. */
export function needlesFor(secrets: readonly string[]): Needle[] {
  return secrets.flatMap((secret) => {
    const bytes = Buffer.from(secret, "utf8");
    return [
      { secret, form: "plaintext", text: secret },
      ...base64Forms(bytes).map((text) => ({ secret, form: "base64", text })),
      { secret, form: "hex", text: bytes.toString("hex") },
    ];
  });
}

export type ScannedRow = { table: string; text: string };

export type DatabaseScan = {
  tables: string[];
  rows: ScannedRow[];
  /** Where a needle was found: table, which secret, in which form. */
  findings: { table: string; secret: string; form: string }[];
};

/** Reads every row of every table outside PostgreSQL's own schemas and searches them for `secrets`. */
export async function scanDatabase(url: string, secrets: readonly string[]): Promise<DatabaseScan> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows: tableRows } = await client.query<{ schema: string; name: string }>(
      `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
       WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')
       ORDER BY 1, 2`,
    );
    const tables: string[] = [];
    const rows: ScannedRow[] = [];
    for (const { schema, name } of tableRows) {
      const table = `${client.escapeIdentifier(schema)}.${client.escapeIdentifier(name)}`;
      tables.push(`${schema}.${name}`);
      const result = await client.query<{ row: string }>(`SELECT t::text AS row FROM ${table} t`);
      for (const { row } of result.rows) rows.push({ table: `${schema}.${name}`, text: row });
    }
    const needles = needlesFor(secrets);
    const findings: DatabaseScan["findings"] = [];
    for (const row of rows) {
      const lower = row.text.toLowerCase();
      for (const needle of needles) {
        const found = needle.form === "hex" ? lower.includes(needle.text) : row.text.includes(needle.text);
        if (found) findings.push({ table: row.table, secret: needle.secret, form: needle.form });
      }
    }
    return { tables, rows, findings };
  } finally {
    await client.end();
  }
}
