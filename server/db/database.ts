import path from "node:path";
import type { Config } from "../config.ts";
import type { Logger } from "../observability/logger.ts";
import { lockDataDir } from "./data-dir-lock.ts";
import { startEmbeddedPostgres } from "./embedded-postgres.ts";

export type DatabaseHandle = { url: string; embedded: boolean; close(): Promise<void> };

/** DATABASE_URL when given; otherwise the embedded PostgreSQL in the data directory. */
export async function openDatabase(config: Config, logger: Logger): Promise<DatabaseHandle> {
  if (config.databaseUrl) return { url: config.databaseUrl, embedded: false, close: async () => {} };
  const unlock = lockDataDir(config.dataDir);
  try {
    const log = logger.child({ component: "embedded-postgres" });
    const embedded = await startEmbeddedPostgres({
      directory: path.join(config.dataDir, "postgres"),
      database: "hangar",
      onLog: (line) => log.debug(line),
    });
    return {
      url: embedded.url,
      embedded: true,
      close: async () => {
        await embedded.stop();
        unlock();
      },
    };
  } catch (error) {
    unlock();
    throw error;
  }
}
