import express, { type RequestHandler } from "express";
import { authenticate } from "./auth.ts";
import { injectFaults } from "./faults.ts";
import { flyErrorHandler } from "./http.ts";
import { newUlid } from "./ids.ts";
import { logRequests } from "./request-log.ts";
import { appsRoutes } from "./routes/apps.ts";
import { controlRoutes } from "./routes/control.ts";
import { ipAssignmentsRoutes } from "./routes/ip-assignments.ts";
import { leasesRoutes } from "./routes/leases.ts";
import { machinesRoutes } from "./routes/machines.ts";
import { metadataRoutes } from "./routes/metadata.ts";
import { platformRoutes } from "./routes/platform.ts";
import { sandboxAppsRoutes } from "./routes/sandbox-apps.ts";
import { secretsRoutes } from "./routes/secrets.ts";
import { statusPageRoutes } from "./routes/status-page.ts";
import type { EmulatorContext } from "./state.ts";

/** Machine configs with embedded files can be large. */
const BODY_LIMIT = "10mb";

/** The headers Fly's edge adds to every API response. */
const flyResponseHeaders: RequestHandler = (_request, response, next) => {
  response.set({ "fly-request-id": `${newUlid(Date.now())}-iad`, server: "Fly/emulator", via: "1.1 fly.io" });
  next();
};

export function createEmulatorApp(ctx: EmulatorContext): express.Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);

  app.use("/_emulator", express.json({ limit: BODY_LIMIT }), statusPageRoutes(ctx), controlRoutes(ctx));
  app.use("/_apps", sandboxAppsRoutes(ctx));

  // Order matters: every request is logged, faults strike before anything else, and a bad token is a
  // 401 even when the body is malformed too.
  app.use(
    "/v1",
    logRequests(ctx.state),
    flyResponseHeaders,
    injectFaults(ctx.state),
    authenticate(ctx.state),
    express.json({ limit: BODY_LIMIT }),
    appsRoutes(ctx),
    machinesRoutes(ctx),
    leasesRoutes(ctx),
    metadataRoutes(ctx),
    secretsRoutes(ctx),
    ipAssignmentsRoutes(ctx),
    platformRoutes(ctx),
    (_request: express.Request, response: express.Response) => {
      response.status(404).json({ error: "not found" });
    },
  );

  app.use(flyErrorHandler);
  return app;
}
