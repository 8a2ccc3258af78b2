import { Router } from "express";
import { currentToken } from "../auth.ts";
import { NEAREST_REGION, REGIONS } from "../regions.ts";
import type { EmulatorContext } from "../state.ts";

export function platformRoutes(ctx: EmulatorContext): Router {
  const router = Router();

  router.get("/platform/regions", (_request, response) => {
    response.json({
      nearest: NEAREST_REGION,
      regions: REGIONS.map((region) => ({
        code: region.code,
        name: region.name,
        latitude: region.latitude,
        longitude: region.longitude,
        gateway_available: region.gatewayAvailable,
        requires_paid_plan: false,
        deprecated: false,
        geo_region: region.geoRegion,
      })),
    });
  });

  /** Token introspection: how a client learns which organization (and app) a pasted token opens. */
  router.get("/tokens/current", (_request, response) => {
    const token = currentToken(response);
    const organization = ctx.state.organizations.get(token.orgSlug);
    response.json({
      tokens: [
        {
          token_id: token.tokenId,
          org_slug: token.orgSlug,
          organization: organization?.name ?? token.orgSlug,
          apps: token.appName === undefined ? [] : [token.appName],
          user: "",
          restricted_to_machine: "",
          source_machine_id: "",
        },
      ],
    });
  });

  return router;
}
