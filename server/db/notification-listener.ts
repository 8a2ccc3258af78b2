// A LISTEN connection of its own (not a pool client, so it never holds up the pool's shutdown) that
// reconnects when it loses the server. A notification sent while it reconnects is lost, so every user
// also has a slower fallback (a poll or a timeout); `onConnected` lets it catch up after a reconnect.
import pg from "pg";
import type { Logger } from "../observability/logger.ts";

const RECONNECT_DELAY_MS = 1_000;

export function createNotificationListener(deps: {
  pool: pg.Pool;
  channel: string;
  logger: Logger;
  onNotification: (payload: string) => void;
  onConnected?: () => void;
}) {
  let client: pg.Client | undefined;
  let stopped = false;

  const retryLater = () => {
    if (!stopped) setTimeout(() => void listen(), RECONNECT_DELAY_MS).unref();
  };

  async function listen(): Promise<void> {
    if (stopped || client) return;
    const connection = new pg.Client(deps.pool.options);
    try {
      connection.on("notification", (message) => deps.onNotification(message.payload ?? ""));
      connection.on("error", (error) => {
        deps.logger.warn({ err: error, channel: deps.channel }, "notification listener lost its connection");
        void connection.end().catch(() => undefined);
        if (client === connection) client = undefined;
        retryLater();
      });
      await connection.connect();
      await connection.query(`LISTEN ${deps.channel}`);
      if (stopped) {
        await connection.end().catch(() => undefined);
        return;
      }
      client = connection;
      deps.onConnected?.();
    } catch (error) {
      deps.logger.warn({ err: error, channel: deps.channel }, "notification listener could not connect");
      void connection.end().catch(() => undefined);
      retryLater();
    }
  }

  return {
    start: listen,
    async stop(): Promise<void> {
      stopped = true;
      const connection = client;
      client = undefined;
      if (connection) await connection.end().catch(() => undefined);
    },
  };
}
