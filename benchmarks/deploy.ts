// npm run bench:deploy — push → live latency (SPEC §7: p50 ≤ 1.5 s) and webhook ack → deployment start,
// against the emulators with no injected latency. Runs Hangar exactly as `npm start` does (sandbox mode,
// embedded PostgreSQL, its own emulators) in a child process, drives it over HTTP like a person would,
// and prints the figures. Numbers go into docs/performance.md by hand, with the machine described.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createTRPCClient, httpLink } from "@trpc/client";
import superjson from "superjson";
import { findFreePort } from "../server/db/embedded-postgres.ts";
import { authorizeWithGitHub } from "../server/test/github.ts";
import type { AppRouter } from "../server/trpc/router.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const DEPLOYS = Number(process.env.BENCH_DEPLOYS ?? 50);
/** Emulated Fly time runs this many times faster (1 = real time, as `npm start` runs it). */
const TIME_SCALE = Number(process.env.BENCH_FLY_TIME_SCALE ?? 1);

type Sandbox = { github: { webUrl: string; controlUrl: string }; fly: { token: string } };

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

function summary(label: string, values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const figures = [50, 90, 99].map((p) => `p${p} ${Math.round(percentile(sorted, p))} ms`).join("  ");
  return `${label.padEnd(34)} ${figures}  (n=${values.length})`;
}

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "hangar-bench-deploy-"));
  const port = await findFreePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(path.join(ROOT, "node_modules", ".bin", "node"), ["server/main.ts"], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/tmp",
      PORT: String(port),
      PUBLIC_URL: url,
      HANGAR_DATA_DIR: dataDir,
      LOG_LEVEL: "warn",
      // The benchmark polls the API far faster than a person would.
      API_RATE_LIMIT_PER_MINUTE: "1000000",
      SANDBOX_FLY_TIME_SCALE: String(TIME_SCALE),
    },
    stdio: ["ignore", "inherit", "inherit"],
    detached: true,
  });
  const stop = () => {
    try {
      if (child.pid) process.kill(-child.pid, "SIGTERM");
    } catch {
      // already gone
    }
  };
  try {
    for (let attempt = 0; ; attempt++) {
      if (
        await fetch(`${url}/readyz`).then(
          (response) => response.ok,
          () => false,
        )
      )
        break;
      if (attempt > 600) throw new Error("Hangar did not become ready");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const sandbox = (await (await fetch(`${url}/api/sandbox`)).json()) as Sandbox;
    const control = async <T>(route: string, body: unknown): Promise<T> => {
      const response = await fetch(`${sandbox.github.controlUrl}${route}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      if (!response.ok) throw new Error(`${route}: ${response.status} ${await response.text()}`);
      return (await response.json()) as T;
    };

    const { cookie } = await authorizeWithGitHub(url, { settings: { webUrl: sandbox.github.webUrl } });
    const api = createTRPCClient<AppRouter>({
      links: [httpLink({ url: `${url}/api/trpc`, transformer: superjson, headers: { cookie } })],
    });
    const [organization] = await api.organization.list.query();
    if (!organization) throw new Error("no organization");
    const organizationId = organization.id;
    const { id: installationId } = await control<{ id: number }>("/installations", {
      account: "acme",
      repositories: "all",
    });
    await fetch(`${url}/api/github/setup?installation_id=${installationId}&setup_action=install`, {
      headers: { cookie, accept: "application/json" },
    });
    await api.flyCredential.set.mutate({ organizationId, token: sandbox.fly.token });
    const project = await api.project.create.mutate({
      organizationId,
      repository: "acme/web",
      name: "bench",
      flyAppName: `bench-${Date.now().toString(36)}`,
      region: "ams",
    });

    const pushToLive: number[] = [];
    const ackToStart: number[] = [];
    const failures: string[] = [];
    const stepTotals = new Map<string, number[]>();
    // One warm-up deploy creates the machines; the measured ones update them, as most pushes do.
    for (let round = 0; round <= DEPLOYS; round++) {
      const pushedAt = Date.now();
      const { sha } = await control<{ sha: string }>("/repos/acme/web/push", {
        branch: "main",
        message: `bench ${round}`,
      });
      for (;;) {
        const [latest] = await api.deployment.list.query({ organizationId, projectId: project.id, limit: 1 });
        if (latest?.commitSha === sha && latest.finishedAt) {
          if (latest.status !== "live")
            failures.push(`#${latest.number} ${latest.status}: ${latest.failureReason}`);
          else if (round > 0) {
            pushToLive.push(latest.finishedAt.getTime() - pushedAt);
            // Where the time goes: from each step's first log line to the next step's (or the end).
            const lines = await api.deployment.logs.query({ organizationId, deploymentId: latest.id });
            const starts = lines.filter((line) => line.text.startsWith("── "));
            starts.forEach((line, index) => {
              const end = starts[index + 1]?.at ?? latest.finishedAt ?? line.at;
              const durations = stepTotals.get(line.step) ?? [];
              durations.push(end.getTime() - line.at.getTime());
              stepTotals.set(line.step, durations);
            });
            if (latest.webhookDeliveryId && latest.startedAt) {
              const delivery = await api.webhookDelivery.byId.query({
                organizationId,
                deliveryRowId: latest.webhookDeliveryId,
              });
              ackToStart.push(latest.startedAt.getTime() - delivery.receivedAt.getTime());
            }
          }
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }

    console.log(
      `\nbench:deploy — ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GB, Fly time ×${TIME_SCALE}`,
    );
    console.log(summary("push → live (updating machines)", pushToLive));
    console.log(summary("webhook ack → deployment start", ackToStart));
    for (const [step, durations] of stepTotals) console.log(summary(`  step ${step}`, durations));
    if (failures.length > 0) console.log(`failed: ${failures.join("; ")}`);
  } finally {
    stop();
    await new Promise((resolve) => child.once("exit", resolve));
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
