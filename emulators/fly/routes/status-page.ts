import { Router } from "express";
import { escapeHtml } from "../html.ts";
import type { EmulatorContext } from "../state.ts";

function machineRows(ctx: EmulatorContext, appName: string): string {
  const machines = [...ctx.state.machines.values()].filter((machine) => machine.appName === appName);
  if (machines.length === 0) return `<tr><td colspan="6">No machines</td></tr>`;
  return machines
    .map((machine) => {
      const checks = machine.checks.map((check) => `${check.name}: ${check.status}`).join(", ") || "—";
      return `<tr><td><code>${escapeHtml(machine.id)}</code></td><td>${escapeHtml(machine.region)}</td><td class="state-${escapeHtml(machine.state)}">${escapeHtml(machine.state)}</td><td><code>${escapeHtml(machine.config.image)}</code></td><td><code>${escapeHtml(machine.instanceId)}</code></td><td>${escapeHtml(checks)}</td></tr>`;
    })
    .join("");
}

/** A small server-rendered page for people: apps, machines and recent events. It refreshes itself. */
export function statusPageRoutes(ctx: EmulatorContext): Router {
  const router = Router();
  router.get("/", (_request, response) => {
    const { state, clock } = ctx;
    const apps = [...state.apps.values()]
      .map(
        (
          app,
        ) => `<section><h2>${escapeHtml(app.name)} <small>${escapeHtml(app.orgSlug)} · ${escapeHtml(app.status)} · secrets v${app.secrets.version} · <a href="/_apps/${encodeURIComponent(app.name)}/">open app</a></small></h2>
<table><thead><tr><th>Machine</th><th>Region</th><th>State</th><th>Image</th><th>Version</th><th>Checks</th></tr></thead><tbody>${machineRows(ctx, app.name)}</tbody></table></section>`,
      )
      .join("");
    const events = state.activity
      .toReversed()
      .slice(0, 40)
      .map(
        (event) =>
          `<li><time>${escapeHtml(event.at)}</time> ${escapeHtml(event.app)} ${event.machineId ? `<code>${escapeHtml(event.machineId)}</code>` : ""} ${escapeHtml(event.message)}</li>`,
      )
      .join("");
    const faults = state.faults
      ? `<p class="faults">Faults active: <code>${escapeHtml(JSON.stringify(state.faults))}</code></p>`
      : "";
    response.type("html").send(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="2"><title>Fly.io emulator</title>
<style>body{font:14px system-ui,sans-serif;margin:2rem;color:#1f2328}table{border-collapse:collapse;margin-bottom:1rem}td,th{border:1px solid #d0d7de;padding:.3rem .6rem;text-align:left}small{color:#57606a;font-weight:normal}.state-started{color:#1a7f37}.state-failed,.state-destroyed{color:#cf222e}.faults{color:#9a6700}li{margin:.15rem 0}</style>
</head><body><h1>Fly.io Machines API emulator</h1>
<p>Time scale ×${clock.timeScale} · ${state.apps.size} app(s) · ${state.machines.size} machine(s) · <a href="/_emulator/state">state JSON</a> · <a href="/_emulator/requests">requests JSON</a></p>
${faults}${apps || "<p>No apps yet.</p>"}
<h2>Recent events</h2><ul>${events || "<li>None yet.</li>"}</ul>
</body></html>`);
  });
  return router;
}
