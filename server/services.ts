// Builds the domain services from their dependencies. main.ts and the tests both use it, so tests run
// the same wiring as production with their own database.
import type pg from "pg";
import { createAuditRepository } from "./audit/audit.repository.ts";
import { createAuditService } from "./audit/audit.service.ts";
import type { Database } from "./db/prisma.ts";
import { createOrganizationRepository } from "./organizations/organization.repository.ts";
import { createOrganizationService } from "./organizations/organization.service.ts";
import { createLimiters, type LimitSettings } from "./rate-limit/limiters.ts";
import type { Services } from "./trpc/context.ts";

export function createServices(deps: { db: Database; pool: pg.Pool; limits: LimitSettings }): Services {
  const audit = createAuditService({ repository: createAuditRepository() });
  const organizations = createOrganizationService({
    db: deps.db,
    repository: createOrganizationRepository(),
    audit,
  });
  return { audit, organizations, limiters: createLimiters(deps.pool, deps.limits) };
}
