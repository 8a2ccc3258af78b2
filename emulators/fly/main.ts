import { loadConfig } from "./config.ts";
import { startFlyEmulator } from "./server.ts";

const loaded = loadConfig();
if (!loaded.ok) {
  console.error(loaded.message);
  process.exit(1);
}
const { config } = loaded;

const emulator = await startFlyEmulator({
  port: config.port,
  timeScale: config.timeScale,
  seed: {
    organizations: [{ slug: config.seedOrg }],
    tokens: config.seedToken ? [{ token: config.seedToken, orgSlug: config.seedOrg }] : [],
  },
});

// The one line a parent process waits for.
process.stdout.write(`${JSON.stringify({ ready: true, url: emulator.url })}\n`);

let closing = false;
function close(): void {
  if (closing) return;
  closing = true;
  emulator.close().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error("fly emulator: error while closing", error);
      process.exit(1);
    },
  );
}
for (const signal of ["SIGTERM", "SIGINT"] as const) process.on(signal, close);
// A parent that starts us with --exit-with-stdin holds our stdin open; its end (even after a SIGKILL of
// the parent) means nobody is left to use the emulator.
if (process.argv.includes("--exit-with-stdin")) {
  process.stdin.on("end", close);
  process.stdin.resume();
}
