import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createEmulatorApp } from "./app.ts";
import { Clock } from "./clock.ts";
import { createEmulatorState, type EmulatorContext, type FlyEmulatorSeed } from "./state.ts";

export type { FlyEmulatorSeed };

export interface FlyEmulatorOptions {
  /** 0 or undefined picks a free port. */
  port?: number;
  /** Defaults to 127.0.0.1. */
  host?: string;
  seed?: FlyEmulatorSeed;
  /** 1 = real time; larger values make state transitions and lease expiry proportionally faster. */
  timeScale?: number;
}

export interface FlyEmulator {
  url: string;
  close(): Promise<void>;
}

export async function startFlyEmulator(options: FlyEmulatorOptions = {}): Promise<FlyEmulator> {
  const seed = options.seed ?? { organizations: [], tokens: [] };
  const timeScale = options.timeScale ?? 1;
  const clock = new Clock(timeScale);
  const ctx: EmulatorContext = { state: createEmulatorState(seed), clock, seed, initialTimeScale: timeScale };
  const server = createServer(createEmulatorApp(ctx));
  const host = options.host ?? "127.0.0.1";
  server.listen(options.port ?? 0, host);
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    async close() {
      clock.cancelAll();
      const closed = new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
      // Long-polling waits and withheld (fault-injected) responses would otherwise hold the server open.
      server.closeAllConnections();
      await closed;
    },
  };
}
