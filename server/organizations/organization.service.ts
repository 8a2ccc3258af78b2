import type { AuditService } from "../audit/audit.service.ts";
import type { Database } from "../db/prisma.ts";
import { AppError } from "../errors.ts";
import type { OrganizationRepository } from "./organization.repository.ts";
import { type Role, roleAtLeast, roleSchema } from "./organization.schema.ts";

function slugify(text: string): string {
  return (
    text
      .toLowerCase()
      .normalize("NFKD")
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 40) || "team"
  );
}

export function createOrganizationService(deps: {
  db: Database;
  repository: OrganizationRepository;
  audit: AuditService;
}) {
  const { db, repository, audit } = deps;

  return {
    /** Every account gets its own organisation at sign-up, owned by it; recorded with the sign-up. */
    async createPersonal(user: { id: string; name: string; email: string }) {
      const base = slugify(user.email.split("@")[0] ?? user.name);
      return db.$transaction(async (tx) => {
        let slug = base;
        for (let attempt = 2; await repository.slugExists(tx, slug); attempt++) slug = `${base}-${attempt}`;
        const organization = await repository.createWithOwner(tx, {
          name: `${user.name}'s projects`,
          slug,
          ownerUserId: user.id,
          personal: true,
        });
        await repository.activateForSessions(tx, user.id, organization.id);
        await audit.record(tx, {
          action: "auth.sign_up",
          actorUserId: user.id,
          actorLabel: user.email,
          organizationId: organization.id,
          targetType: "user",
          targetId: user.id,
        });
        await audit.record(tx, {
          action: "organization.create",
          actorUserId: user.id,
          organizationId: organization.id,
          targetType: "organization",
          targetId: organization.id,
          metadata: { personal: true, slug },
        });
        return organization;
      });
    },

    async rename(input: { organizationId: string; name: string; actorUserId: string }) {
      return db.$transaction(async (tx) => {
        const organization = await repository.rename(tx, input.organizationId, input.name);
        await audit.record(tx, {
          action: "organization.update",
          actorUserId: input.actorUserId,
          organizationId: input.organizationId,
          targetType: "organization",
          targetId: input.organizationId,
          metadata: { name: input.name },
        });
        return { id: organization.id, name: organization.name };
      });
    },

    async listForUser(userId: string) {
      const memberships = await repository.listForUser(db, userId);
      return memberships.map(({ role, organization }) => ({
        id: organization.id,
        name: organization.name,
        slug: organization.slug,
        personal: organization.metadata?.includes('"personal":true') ?? false,
        role: roleSchema.catch("viewer").parse(role),
        createdAt: organization.createdAt,
      }));
    },

    /**
     * The caller's role in an organisation, or a typed error: NOT_FOUND when it does not exist,
     * FORBIDDEN when the caller is not a member or ranks below `minimum`.
     */
    async requireRole(organizationId: string, userId: string, minimum: Role): Promise<Role> {
      const membership = await repository.findMembership(db, organizationId, userId);
      if (!membership) {
        if (!(await repository.exists(db, organizationId))) {
          throw new AppError("NOT_FOUND", "Organization not found.", { reason: "ORGANIZATION_NOT_FOUND" });
        }
        throw new AppError("FORBIDDEN", "You are not a member of this organization.", {
          reason: "NOT_A_MEMBER",
        });
      }
      const role = roleSchema.catch("viewer").parse(membership.role);
      if (!roleAtLeast(role, minimum)) {
        throw new AppError("FORBIDDEN", `This needs the ${minimum} role or higher; you are ${role}.`, {
          reason: "ROLE_TOO_LOW",
        });
      }
      return role;
    },
  };
}

export type OrganizationService = ReturnType<typeof createOrganizationService>;
