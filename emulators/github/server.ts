import type { AddressInfo } from "node:net";
import express, { type NextFunction, type Request, type Response } from "express";
import type { EmulatorContext } from "./context.ts";
import { seedState } from "./fixture.ts";
import { resolveOptions, type GitHubEmulatorOptions } from "./options.ts";
import { apiRouter } from "./routes/api.ts";
import { codeloadRoutes } from "./routes/codeload.ts";
import { controlRoutes } from "./routes/control.ts";
import { installRoutes } from "./routes/install.ts";
import { oauthRoutes } from "./routes/oauth.ts";
import { WebhookSender } from "./webhooks.ts";

export type { GitHubEmulatorOptions } from "./options.ts";

/** Hook id of the emulated App's webhook (GitHub Apps have exactly one). */
const HOOK_ID = 533_790_625;

export interface RunningGitHubEmulator {
  /** Web base, e.g. http://127.0.0.1:PORT; the REST API is at `${url}/api/v3`. */
  url: string;
  close(): Promise<void>;
}

function lastResortErrorHandler(error: unknown, _req: Request, res: Response, next: NextFunction): void {
  if (res.headersSent) {
    next(error);
    return;
  }
  console.error("github emulator: unhandled error", error);
  res.status(500).json({ message: "Server Error" });
}

export async function startGitHubEmulator(options: GitHubEmulatorOptions): Promise<RunningGitHubEmulator> {
  const resolved = resolveOptions(options);
  const ctx: EmulatorContext = {
    options: resolved,
    state: seedState(),
    webUrl: "",
    apiUrl: "",
    hook: { id: HOOK_ID, url: resolved.webhookUrl, secret: resolved.webhookSecret },
    faults: null,
    webhooks: new WebhookSender(() => ctx),
  };

  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  app.use("/api/v3", apiRouter(ctx));
  app.use("/_emulator", controlRoutes(ctx));
  app.use(oauthRoutes(ctx), installRoutes(ctx), codeloadRoutes(ctx));
  app.use((_req, res) => {
    res.status(404).type("text/plain").send("Not Found");
  });
  app.use(lastResortErrorHandler);

  const server = app.listen(resolved.port, resolved.host);
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  const { port } = server.address() as AddressInfo;
  const host = resolved.host.includes(":") ? `[${resolved.host}]` : resolved.host;
  ctx.webUrl = `http://${host}:${port}`;
  ctx.apiUrl = `${ctx.webUrl}/api/v3`;

  return {
    url: ctx.webUrl,
    async close() {
      await ctx.webhooks.close();
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}
