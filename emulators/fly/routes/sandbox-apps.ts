import { Router } from "express";
import { escapeHtml } from "../html.ts";
import type { EmulatorContext } from "../state.ts";

/**
 * What a deployed app's URL shows in sandbox mode. Like Fly's proxy, it routes only to started machines
 * whose checks (if any) pass; with none it answers 503.
 */
export function sandboxAppsRoutes(ctx: EmulatorContext): Router {
  const router = Router();
  router.get("/:appName{/*path}", (request, response) => {
    const appName = request.params.appName;
    if (!ctx.state.apps.has(appName)) {
      response
        .status(404)
        .type("html")
        .send(`<!doctype html><title>Not found</title><p>No app named ${escapeHtml(appName)}.</p>`);
      return;
    }
    const serving = [...ctx.state.machines.values()].filter(
      (machine) =>
        machine.appName === appName &&
        machine.state === "started" &&
        machine.checks.every((check) => check.status === "passing"),
    );
    if (serving.length === 0) {
      response
        .status(503)
        .type("html")
        .send(
          `<!doctype html><title>503</title><p>${escapeHtml(appName)} has no healthy started machine.</p>`,
        );
      return;
    }
    const items = serving
      .map(
        (machine) =>
          `<li>machine <code>${escapeHtml(machine.id)}</code> (${escapeHtml(machine.region)}) image <code class="image">${escapeHtml(machine.config.image)}</code> version <code class="version">${escapeHtml(machine.instanceId)}</code></li>`,
      )
      .join("");
    response.type("html").send(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(appName)}</title></head>
<body><h1>Hello from ${escapeHtml(appName)}</h1><p>Served by:</p><ul>${items}</ul></body></html>`);
  });
  return router;
}
