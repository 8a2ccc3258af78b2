// `npm run dev`: the API server in watch mode and Vite's dev server with hot reload, side by side.
import { spawn } from "node:child_process";
import path from "node:path";

const bin = (name: string) => path.join(import.meta.dirname, "..", "node_modules", ".bin", name);
const children = [
  spawn(bin("tsx"), ["watch", "--clear-screen=false", "server/main.ts"], {
    stdio: "inherit",
    env: {
      ...process.env,
      NODE_ENV: "development",
      PUBLIC_URL: process.env.PUBLIC_URL ?? "http://localhost:5173",
    },
  }),
  spawn(bin("vite"), [], { stdio: "inherit" }),
];
console.log("Hangar dev: open http://localhost:5173 (API on http://localhost:3000)");

let exiting = false;
function stopAll(code: number): void {
  if (exiting) return;
  exiting = true;
  for (const child of children) child.kill("SIGTERM");
  setTimeout(() => process.exit(code), 3000).unref();
}
for (const child of children) child.on("exit", (code) => stopAll(code ?? 0));
process.on("SIGINT", () => stopAll(0));
process.on("SIGTERM", () => stopAll(0));
