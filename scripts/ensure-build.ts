// `npm start` on a fresh clone: generate the Prisma client and build the SPA when they are missing or
// older than their sources, so the two-command promise of the README holds.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");

function newestMtime(target: string): number {
  const stat = fs.statSync(target);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of fs.readdirSync(target))
    newest = Math.max(newest, newestMtime(path.join(target, entry)));
  return newest;
}

function run(command: string, args: string[], env: Record<string, string> = {}): void {
  const result = spawnSync(path.join(root, "node_modules", ".bin", command), args, {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, ...env },
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

const generatedClient = path.join(root, "server", "db", "generated", "client.ts");
const schema = path.join(root, "prisma", "schema.prisma");
if (!fs.existsSync(generatedClient) || fs.statSync(generatedClient).mtimeMs < fs.statSync(schema).mtimeMs) {
  console.log("Generating the Prisma client…");
  run("prisma", ["generate"], { DATABASE_URL: process.env.DATABASE_URL ?? "postgresql://localhost/hangar" });
}

const builtIndex = path.join(root, "dist", "client", "index.html");
const sources = [path.join(root, "client"), path.join(root, "vite.config.ts")];
const newestSource = Math.max(...sources.map(newestMtime));
if (!fs.existsSync(builtIndex) || fs.statSync(builtIndex).mtimeMs < newestSource) {
  console.log("Building the dashboard…");
  run("vite", ["build", "--logLevel", "warn"]);
}
