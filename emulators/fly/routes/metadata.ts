import { Router, type Request, type Response } from "express";
import { z } from "zod";
import { authorizedApp, currentToken } from "../auth.ts";
import { failedPrecondition, invalidArgument, notFound } from "../errors.ts";
import { parseBody } from "../http.ts";
import { findAppMachine } from "../machines.ts";
import type { EmulatorContext, Machine } from "../state.ts";

// Null or "" removes a key (Fly's metadata service semantics); the spec types values as strings only.
const updateMetadataBody = z.looseObject({
  metadata: z.record(z.string(), z.string().nullable()),
  machine_version: z.string().optional(),
  updated_at: z.string().optional(),
});
const upsertKeyBody = z.looseObject({ value: z.string(), updated_at: z.string().optional() });

/**
 * Machine metadata lives in `config.metadata` but editing it is not a new machine version, and leases
 * do not guard it.
 */
export function metadataRoutes(ctx: EmulatorContext): Router {
  const { state } = ctx;
  const router = Router();

  const machineOf = (request: Request<{ appName: string; machineId: string }>, response: Response) => {
    const app = authorizedApp(state, currentToken(response), request.params.appName);
    return findAppMachine(ctx, app, request.params.machineId);
  };

  const writeMetadata = (machine: Machine, metadata: Record<string, string>) => {
    machine.config.metadata = metadata;
    machine.updatedAt = ctx.clock.now();
    state.machineChanges.emit("change", machine.id);
  };

  const replaceOrMerge =
    (merge: boolean) => (request: Request<{ appName: string; machineId: string }>, response: Response) => {
      const machine = machineOf(request, response);
      const body = parseBody(updateMetadataBody, request.body);
      if (body.machine_version !== undefined && body.machine_version !== machine.instanceId) {
        throw failedPrecondition(`machine version mismatch: current version is ${machine.instanceId}`);
      }
      const next: Record<string, string> = merge ? { ...machine.config.metadata } : {};
      for (const [key, value] of Object.entries(body.metadata)) {
        if (value === null || value === "") delete next[key];
        else next[key] = value;
      }
      writeMetadata(machine, next);
      response.status(204).end();
    };

  router.get("/apps/:appName/machines/:machineId/metadata", (request, response) => {
    response.json(machineOf(request, response).config.metadata ?? {});
  });
  router.put("/apps/:appName/machines/:machineId/metadata", replaceOrMerge(false));
  router.patch("/apps/:appName/machines/:machineId/metadata", replaceOrMerge(true));

  router.get("/apps/:appName/machines/:machineId/metadata/:key", (request, response) => {
    const value = machineOf(request, response).config.metadata?.[request.params.key];
    if (value === undefined) throw notFound("metadata key");
    response.json({ value });
  });

  router.post("/apps/:appName/machines/:machineId/metadata/:key", (request, response) => {
    const machine = machineOf(request, response);
    const body = parseBody(upsertKeyBody, request.body);
    if (!request.params.key) throw invalidArgument("metadata key is required");
    writeMetadata(machine, { ...machine.config.metadata, [request.params.key]: body.value });
    response.status(204).end();
  });

  router.delete("/apps/:appName/machines/:machineId/metadata/:key", (request, response) => {
    const machine = machineOf(request, response);
    const next = { ...machine.config.metadata };
    delete next[request.params.key];
    writeMetadata(machine, next);
    response.status(204).end();
  });

  return router;
}
