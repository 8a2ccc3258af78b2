import { Router } from "express";
import { randomInt } from "node:crypto";
import { z } from "zod";
import { authorizedApp, currentToken } from "../auth.ts";
import { notFound, rfc3339 } from "../errors.ts";
import { parseBody } from "../http.ts";
import type { EmulatorContext, IpAssignment } from "../state.ts";

const assignIpBody = z.looseObject({
  type: z.enum(["v4", "v6", "shared_v4", "private_v6"]),
  region: z.string().optional(),
  org_slug: z.string().optional(),
  network: z.string().optional(),
  service_name: z.string().optional(),
});

/** Every app's shared IPv4 is the same anycast address, as on Fly. */
const SHARED_V4 = "66.241.124.100";

function hex(): string {
  return randomInt(0x10000).toString(16);
}

function newAddress(type: IpAssignment["type"]): string {
  switch (type) {
    case "v4":
      return `137.66.${randomInt(256)}.${randomInt(256)}`;
    case "v6":
      return `2a09:8280:1::${hex()}:${hex()}`;
    case "shared_v4":
      return SHARED_V4;
    case "private_v6":
      return `fdaa:0:${hex()}:0:1::${hex()}`;
  }
}

function ipJson(assignment: IpAssignment): Record<string, unknown> {
  return {
    ip: assignment.ip,
    region: assignment.region,
    service_name: assignment.serviceName,
    shared: assignment.shared,
    created_at: rfc3339(assignment.createdAt),
  };
}

export function ipAssignmentsRoutes(ctx: EmulatorContext): Router {
  const { state, clock } = ctx;
  const router = Router();

  router.get("/apps/:appName/ip_assignments", (request, response) => {
    const app = authorizedApp(state, currentToken(response), request.params.appName);
    response.json({ ips: app.ipAssignments.map(ipJson) });
  });

  router.post("/apps/:appName/ip_assignments", (request, response) => {
    const app = authorizedApp(state, currentToken(response), request.params.appName);
    const body = parseBody(assignIpBody, request.body);
    const assignment: IpAssignment = {
      ip: newAddress(body.type),
      type: body.type,
      region: body.region ?? "global",
      serviceName: body.service_name ?? "",
      shared: body.type === "shared_v4",
      createdAt: clock.now(),
    };
    app.ipAssignments.push(assignment);
    response.json(ipJson(assignment));
  });

  router.delete("/apps/:appName/ip_assignments/:ip", (request, response) => {
    const app = authorizedApp(state, currentToken(response), request.params.appName);
    const index = app.ipAssignments.findIndex((assignment) => assignment.ip === request.params.ip);
    if (index === -1) throw notFound("ip assignment");
    app.ipAssignments.splice(index, 1);
    response.status(204).end();
  });

  return router;
}
