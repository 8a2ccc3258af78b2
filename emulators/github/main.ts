import { ConfigError, loadConfig } from "./config.ts";
import type { GitHubEmulatorOptions } from "./options.ts";
import { startGitHubEmulator } from "./server.ts";

/** CLI entry: configure from env, print one JSON "ready" line when listening, stop on SIGTERM/SIGINT. */

function configOrExit(): GitHubEmulatorOptions {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}

async function main(): Promise<void> {
  const emulator = await startGitHubEmulator(configOrExit());
  process.stdout.write(`${JSON.stringify({ ready: true, url: emulator.url })}\n`);

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    emulator.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error("github emulator: error while closing", error);
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  // A parent that starts us with --exit-with-stdin holds our stdin open; its end (even after a SIGKILL
  // of the parent) means nobody is left to use the emulator.
  if (process.argv.includes("--exit-with-stdin")) {
    process.stdin.on("end", stop);
    process.stdin.resume();
  }
}

main().catch((error: unknown) => {
  console.error("github emulator failed to start:", error);
  process.exit(1);
});
