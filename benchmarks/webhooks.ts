// npm run bench:webhooks — webhook ack latency and throughput against SPEC §7, with a baseline that only
// verifies signatures, measured on the same machine in the same run. Prints a table; numbers go into
// docs/performance.md by hand, with the machine described.
import { type ChildProcess, spawn } from "node:child_process";
import { createHmac, randomUUID } from "node:crypto";
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
// @ts-expect-error autocannon ships no type declarations; the few fields used are typed below.
import autocannonUntyped from "autocannon";
import pg from "pg";
import { findFreePort, startEmbeddedPostgres } from "../server/db/embedded-postgres.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const packageScripts = (
  JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
    scripts: { start: string };
  }
).scripts;
const NODE = path.join(ROOT, "node_modules", ".bin", "node");
const SECRET = "benchmark-webhook-secret-0123456789";
const FIXED_RATE = Number(process.env.BENCH_RATE ?? 300);
const FIXED_SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const MAX_SECONDS = Number(process.env.BENCH_MAX_SECONDS ?? 15);
const MAX_CONNECTIONS = Number(process.env.BENCH_MAX_CONNECTIONS ?? 64);
/** Extra Node flags for Hangar's processes, e.g. "--cpu-prof" when looking for where the time goes. */
const HANGAR_NODE_FLAGS = (process.env.BENCH_HANGAR_NODE_FLAGS ?? "").split(" ").filter(Boolean);
/**
 * "split" (default): a web process and a worker process, as Hangar is run for webhook volume (README,
 * "Running at volume"); "single": one process with both roles, as `npm start` runs it.
 */
const TOPOLOGY = process.env.BENCH_TOPOLOGY === "single" ? "single" : "split";
/** How long to wait, after the load, for the workers to process every stored delivery. */
const DRAIN_TIMEOUT_MS = 180_000;

const require = createRequire(import.meta.url);
const examples = require("@octokit/webhooks-examples") as { name: string; examples: object[] }[];
const pushExample = examples.find((group) => group.name === "push")?.examples[0];
if (!pushExample) throw new Error("no push example");
const body = Buffer.from(JSON.stringify(pushExample));
const signature = `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`;

type Target = { url: string; pid: number };

type LoadResult = {
  latency: { p50: number; p90: number; p99: number };
  requests: { average: number };
  "2xx": number;
  non2xx: number;
  errors: number;
  timeouts: number;
};
type RawRequest = Record<string, unknown>;
const autocannon = autocannonUntyped as (options: Record<string, unknown>) => Promise<LoadResult>;

function waitForReadyLine(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`exited with ${code}`)));
    createInterface({ input: child.stdout! }).on("line", (line) => {
      if (line.includes('"ready":true')) resolve();
    });
  });
}

async function waitForHttp(url: string): Promise<void> {
  for (let attempt = 0; attempt < 600; attempt++) {
    if (
      await fetch(url)
        .then((response) => response.ok)
        .catch(() => false)
    )
      return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} never answered`);
}

function peakRssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const match = /VmHWM:\s+(\d+) kB/.exec(status);
  return match ? Math.round(Number(match[1]) / 1024) : Number.NaN;
}

/** Every request carries a fresh delivery id; the body and its signature are computed once, outside the timed loop. */
function load(url: string, options: { connections: number; connectionRate?: number; duration: number }) {
  const ids = Array.from({ length: 400_000 }, () => randomUUID());
  let next = 0;
  return autocannon({
    url: `${url}/api/webhooks/github`,
    connections: options.connections,
    ...(options.connectionRate ? { connectionRate: options.connectionRate } : {}),
    duration: options.duration,
    requests: [
      {
        method: "POST",
        setupRequest: (request: RawRequest) => ({
          ...request,
          body,
          headers: {
            "content-type": "application/json",
            "user-agent": "GitHub-Hookshot/bench",
            "x-github-event": "push",
            "x-github-delivery": ids[next++ % ids.length] ?? randomUUID(),
            "x-hub-signature-256": signature,
          },
        }),
      },
    ],
  });
}

type PhaseResult = { p50: number; p90: number; p99: number; rps: number; ok: number; errors: number };

function summarise(result: LoadResult): PhaseResult {
  return {
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    rps: Math.round(result.requests.average),
    ok: result["2xx"],
    errors: result.errors + result.timeouts + result.non2xx,
  };
}

async function runPhases(target: Target, afterFixedRate: () => Promise<void> = async () => {}) {
  // Smooth open-loop rate: few connections, each with its own steady rate (autocannon's overallRate bursts).
  const connections = 5;
  await load(target.url, { connections, connectionRate: FIXED_RATE / connections, duration: 3 }); // warm-up
  const fixed = summarise(
    await load(target.url, {
      connections,
      connectionRate: FIXED_RATE / connections,
      duration: FIXED_SECONDS,
    }),
  );
  await afterFixedRate();
  const peak = summarise(await load(target.url, { connections: MAX_CONNECTIONS, duration: MAX_SECONDS }));
  return { fixed, peak, rssMb: peakRssMb(target.pid) };
}

/** Estimates quantiles from a Prometheus histogram's cumulative buckets (upper bound of the bucket). */
function histogramQuantiles(metrics: string, name: string, quantiles: number[]): number[] {
  const buckets = [...metrics.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\d+)`, "gm"))].map(
    (match) => ({
      le: match[1] === "+Inf" ? Number.POSITIVE_INFINITY : Number(match[1]),
      count: Number(match[2]),
    }),
  );
  const total = buckets.at(-1)?.count ?? 0;
  if (total === 0) return quantiles.map(() => Number.NaN);
  return quantiles.map(
    (quantile) => buckets.find((bucket) => bucket.count >= quantile * total)?.le ?? Number.NaN,
  );
}

async function main() {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "hangar-bench-"));
  fs.chmodSync(workDir, 0o777);
  const database = await startEmbeddedPostgres({
    directory: path.join(workDir, "pg"),
    database: "hangar",
    persistent: false,
  });
  const children: ChildProcess[] = [];
  try {
    // The same flags `npm start` gives Node (package.json), plus any asked for.
    const startFlags =
      /\bnode ((?:--\S+ )*)server\/main\.ts/
        .exec(packageScripts.start)?.[1]
        ?.trim()
        .split(" ")
        .filter(Boolean) ?? [];
    const startHangar = async (role: "all" | "web" | "worker") => {
      const port = await findFreePort();
      const child = spawn(NODE, [...startFlags, ...HANGAR_NODE_FLAGS, "server/main.ts"], {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH ?? "",
          HOME: process.env.HOME ?? "/tmp",
          NODE_ENV: "production",
          LOG_LEVEL: "warn",
          PORT: String(port),
          PUBLIC_URL: `http://127.0.0.1:${port}`,
          HANGAR_DATA_DIR: path.join(workDir, `data-${role}`),
          DATABASE_URL: database.url,
          DATABASE_POOL_SIZE: "10",
          GITHUB_WEBHOOK_SECRET: SECRET,
          HANGAR_ROLE: role,
          ...(process.env.WEBHOOK_BURST_PROCESSING_SHARE
            ? { WEBHOOK_BURST_PROCESSING_SHARE: process.env.WEBHOOK_BURST_PROCESSING_SHARE }
            : {}),
        },
        stdio: ["ignore", "ignore", "inherit"],
      });
      children.push(child);
      const url = `http://127.0.0.1:${port}`;
      await waitForHttp(`${url}/readyz`);
      return { url, pid: child.pid ?? 0 };
    };
    const web = await startHangar(TOPOLOGY === "split" ? "web" : "all");
    const worker = TOPOLOGY === "split" ? await startHangar("worker") : web;
    const hangarUrl = web.url;

    // The baseline runs in its own process, as Hangar does.
    const baselinePort = await findFreePort();
    const baselineChild = spawn(NODE, ["benchmarks/baseline-receiver.ts"], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? "",
        BASELINE_WEBHOOK_SECRET: SECRET,
        BASELINE_PORT: String(baselinePort),
      },
      stdio: ["ignore", "pipe", "inherit"],
    });
    children.push(baselineChild);
    await waitForReadyLine(baselineChild);

    console.log(
      `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
    );
    console.log(
      `Payload: push example from @octokit/webhooks-examples, ${body.length} bytes, distinct delivery ids`,
    );
    console.log(
      `Fixed rate: ${FIXED_RATE}/s for ${FIXED_SECONDS} s (5 connections); peak: ${MAX_CONNECTIONS} connections for ${MAX_SECONDS} s\n`,
    );

    // Pickup is read after the fixed-rate phase: the peak phase deliberately builds a backlog.
    let pickup: number[] = [];
    const ours = await runPhases({ url: hangarUrl, pid: web.pid }, async () => {
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const metrics = await (await fetch(`${worker.url}/metrics`)).text();
      pickup = histogramQuantiles(metrics, "hangar_webhook_pickup_seconds", [0.5, 0.99]);
    });
    const [pickupP50 = Number.NaN, pickupP99 = Number.NaN] = pickup;

    // The web role's own capacity: the same peak with the worker process stopped, as when workers run
    // on other machines. Its deliveries wait in the outbox and are drained below.
    let webAlone: PhaseResult | undefined;
    if (TOPOLOGY === "split") {
      process.kill(worker.pid, "SIGSTOP");
      try {
        webAlone = summarise(await load(hangarUrl, { connections: MAX_CONNECTIONS, duration: MAX_SECONDS }));
      } finally {
        process.kill(worker.pid, "SIGCONT");
      }
    }

    // The peak phases leave a backlog in the outbox; time the workers draining it.
    const pool = new pg.Pool({ connectionString: database.url, max: 1 });
    const count = async (where: string) =>
      (await pool.query<{ count: number }>(`SELECT count(*)::int AS count FROM webhook_delivery ${where}`))
        .rows[0]?.count ?? 0;
    const backlog = await count("WHERE status = 'received'");
    const drainStarted = Date.now();
    while ((await count("WHERE status = 'received'")) > 0 && Date.now() - drainStarted < DRAIN_TIMEOUT_MS) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const drainSeconds = (Date.now() - drainStarted) / 1000;
    const stillWaiting = await count("WHERE status = 'received'");
    const stored = await count("");
    const processed = await count("WHERE status = 'processed' OR status = 'ignored'");
    const workerRssMb = peakRssMb(worker.pid);
    await pool.end();

    const base = await runPhases({ url: `http://127.0.0.1:${baselinePort}`, pid: baselineChild.pid ?? 0 });

    const row = (label: string, result: { fixed: PhaseResult; peak: PhaseResult; rssMb: number }) =>
      `${label.padEnd(10)} | ${[result.fixed.p50, result.fixed.p90, result.fixed.p99].map((value) => `${value} ms`.padStart(7)).join(" | ")} | ${String(result.fixed.errors).padStart(6)} | ${String(result.peak.rps).padStart(8)}/s | ${`${result.peak.p99} ms`.padStart(7)} | ${String(result.peak.errors).padStart(6)} | ${String(result.rssMb).padStart(5)} MB`;
    console.log(
      "target     | fixed p50 | p90     | p99     | errors | peak        | peak p99 | errors | peak RSS",
    );
    console.log(row("hangar", ours));
    console.log(row("baseline", base));
    console.log(`\nPeak throughput ratio hangar/baseline: ${(ours.peak.rps / base.peak.rps).toFixed(2)}`);
    if (webAlone) {
      console.log(
        `Peak with the worker stopped (web role alone): ${webAlone.rps}/s, p99 ${webAlone.p99} ms, ${webAlone.errors} errors; ratio ${(webAlone.rps / base.peak.rps).toFixed(2)}`,
      );
    }
    console.log(
      `Pickup latency (commit → worker start, histogram bucket bounds): p50 ≤ ${pickupP50 * 1000} ms, p99 ≤ ${pickupP99 * 1000} ms`,
    );
    console.log(
      `Deliveries stored: ${stored}; acknowledged 2xx: ${ours.fixed.ok + ours.peak.ok + (webAlone?.ok ?? 0)} (+ warm-up); processed: ${processed}`,
    );
    console.log(
      `Backlog after the peaks: ${backlog}, processed in ${drainSeconds.toFixed(1)} s (${Math.round((backlog - stillWaiting) / drainSeconds)}/s)${stillWaiting > 0 ? `; ${stillWaiting} still waiting` : ""}`,
    );
    console.log(
      TOPOLOGY === "split"
        ? `Topology: web + worker processes; peak RSS web ${ours.rssMb} MB (the table), worker ${workerRssMb} MB`
        : "Topology: one process with both roles (npm start)",
    );
  } finally {
    for (const child of children) child.kill("SIGTERM");
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await database.stop();
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

await main();
