import type { AuditService } from "../audit/audit.service.ts";
import type { Encryption } from "../crypto/encryption.ts";
import type { Database } from "../db/prisma.ts";
import { AppError } from "../errors.ts";
import type { FlyApi, FlyClient, FlyTokenInfo } from "./fly-client.ts";
import { FlyApiError } from "./fly-errors.ts";
import type { FlyCredentialRepository } from "./fly-credential.repository.ts";

/** Additional authenticated data: a sealed token only opens for the organisation it was stored for. */
export function flyCredentialContext(organizationId: string): string {
  return `fly-credential:${organizationId}`;
}

function invalidToken(message: string, cause?: unknown): AppError {
  return new AppError("BAD_REQUEST", message, {
    reason: "FLY_TOKEN_INVALID",
    fieldErrors: { token: [message] },
    cause,
  });
}

type CredentialRow = NonNullable<Awaited<ReturnType<FlyCredentialRepository["findView"]>>>;

function toView(row: CredentialRow) {
  return {
    flyOrgSlug: row.flyOrgSlug,
    /** Only the last four characters ever leave the server. */
    tokenLastFour: row.tokenLastFour,
    setBy: row.setBy ? { name: row.setBy.name, email: row.setBy.email } : null,
    setAt: row.updatedAt,
  };
}

export type FlyCredentialView = ReturnType<typeof toView>;

export function createFlyCredentialService(deps: {
  db: Database;
  repository: FlyCredentialRepository;
  fly: FlyClient;
  encryption: Encryption;
  audit: AuditService;
}) {
  const { db, repository, fly, encryption, audit } = deps;

  /** Asks Fly which organisation the token opens; a token Fly refuses becomes a field error. */
  async function introspect(token: string): Promise<FlyTokenInfo> {
    let info: FlyTokenInfo;
    try {
      info = await fly.withToken(token).currentToken();
    } catch (error) {
      if (error instanceof FlyApiError && (error.upstreamStatus === 401 || error.upstreamStatus === 403)) {
        throw invalidToken(`Fly.io did not accept this token (${error.flyMessage}).`, error);
      }
      throw error;
    }
    // Hangar creates and deletes apps, which a deploy token (scoped to one app) cannot do.
    if (info.apps.length > 0) {
      throw invalidToken(
        `This is a deploy token for ${info.apps.join(", ")}. Hangar needs an organization token: run \`fly tokens create org\`.`,
      );
    }
    return info;
  }

  async function tokenFor(organizationId: string): Promise<string> {
    const row = await repository.findSealedToken(db, organizationId);
    if (!row) {
      throw new AppError("PRECONDITION_FAILED", "Add a Fly.io token in Organization settings first.", {
        reason: "FLY_CREDENTIAL_MISSING",
      });
    }
    return encryption.open(row.encryptedToken, flyCredentialContext(organizationId));
  }

  return {
    async get(organizationId: string): Promise<FlyCredentialView | null> {
      const row = await repository.findView(db, organizationId);
      return row ? toView(row) : null;
    },

    /** Validates the token with Fly, then stores it sealed; replaces any previous one. */
    async set(input: {
      organizationId: string;
      token: string;
      actorUserId: string;
    }): Promise<FlyCredentialView> {
      const info = await introspect(input.token);
      const encryptedToken = await encryption.seal(input.token, flyCredentialContext(input.organizationId));
      return db.$transaction(async (tx) => {
        const previous = await repository.lockExisting(tx, input.organizationId);
        const row = await repository.upsert(tx, {
          organizationId: input.organizationId,
          encryptedToken,
          tokenLastFour: input.token.slice(-4),
          flyOrgSlug: info.orgSlug,
          setByUserId: input.actorUserId,
        });
        await audit.record(tx, {
          action: previous ? "fly_credential.replace" : "fly_credential.set",
          actorUserId: input.actorUserId,
          organizationId: input.organizationId,
          targetType: "fly_credential",
          targetId: input.organizationId,
          metadata: previous
            ? { flyOrgSlug: info.orgSlug, previousFlyOrgSlug: previous.flyOrgSlug }
            : { flyOrgSlug: info.orgSlug },
        });
        return toView(row);
      });
    },

    async remove(input: { organizationId: string; actorUserId: string }): Promise<void> {
      await db.$transaction(async (tx) => {
        const previous = await repository.lockExisting(tx, input.organizationId);
        if (!previous || !(await repository.delete(tx, input.organizationId))) {
          throw new AppError("NOT_FOUND", "This organization has no Fly.io token.", {
            reason: "FLY_CREDENTIAL_NOT_FOUND",
          });
        }
        await audit.record(tx, {
          action: "fly_credential.remove",
          actorUserId: input.actorUserId,
          organizationId: input.organizationId,
          targetType: "fly_credential",
          targetId: input.organizationId,
          metadata: { flyOrgSlug: previous.flyOrgSlug },
        });
      });
    },

    /** The Fly API with the organisation's token, for the work that acts on Fly in its name. */
    async apiFor(organizationId: string): Promise<FlyApi> {
      return fly.withToken(await tokenFor(organizationId));
    },

    /** The token itself, for a builder that hands it to flyctl (in the environment only). */
    tokenFor,
  };
}

export type FlyCredentialService = ReturnType<typeof createFlyCredentialService>;
