import { Router, type Request, type Response } from "express";
import { z } from "zod";
import { authorizedApp, currentToken } from "../auth.ts";
import { failedPrecondition, notFound } from "../errors.ts";
import { leaseNonce, parseBody, queryInteger } from "../http.ts";
import {
  acquireLease,
  activeLease,
  DEFAULT_LEASE_TTL_SECONDS,
  leaseEnvelope,
  releaseLease,
} from "../leases.ts";
import { findAppMachine } from "../machines.ts";
import type { EmulatorContext } from "../state.ts";

const createLeaseBody = z.looseObject({
  ttl: z.number().int().optional(),
  description: z.string().optional(),
});

export function leasesRoutes(ctx: EmulatorContext): Router {
  const { state, clock } = ctx;
  const router = Router();

  const machineOf = (request: Request<{ appName: string; machineId: string }>, response: Response) => {
    const app = authorizedApp(state, currentToken(response), request.params.appName);
    return findAppMachine(ctx, app, request.params.machineId);
  };

  // TTL from the body (spec) or `?ttl=` (what fly-go sends, with no body); the header nonce refreshes.
  router.post("/apps/:appName/machines/:machineId/lease", (request, response) => {
    const machine = machineOf(request, response);
    if (machine.state === "destroyed") throw failedPrecondition("machine destroyed");
    const body = parseBody(createLeaseBody, request.body);
    const lease = acquireLease(
      machine,
      {
        ttlSeconds: body.ttl ?? queryInteger(request.query, "ttl") ?? DEFAULT_LEASE_TTL_SECONDS,
        description: body.description ?? "",
        owner: currentToken(response).owner,
        nonce: leaseNonce(request),
      },
      clock.now(),
    );
    response.status(201).json(leaseEnvelope(lease));
  });

  router.get("/apps/:appName/machines/:machineId/lease", (request, response) => {
    const lease = activeLease(machineOf(request, response), clock.now());
    if (!lease) throw notFound("lease");
    response.json(leaseEnvelope(lease));
  });

  router.delete("/apps/:appName/machines/:machineId/lease", (request, response) => {
    releaseLease(machineOf(request, response), leaseNonce(request), clock.now());
    response.json({ status: "success", data: { ok: true } });
  });

  return router;
}
