// Keeps Hangar's record of the App's installations current from `installation` and
// `installation_repositories` deliveries. Runs inside the webhook processor's transaction (`db`), so
// the record, its audit event and the delivery's outcome commit together. Deliveries may arrive out of
// order or twice: every handler is an idempotent upsert, and a deleted installation stays deleted.
import type { AuditAction, AuditService } from "../audit/audit.service.ts";
import type { DbClient } from "../db/prisma.ts";
import type { InstallationHandlers, Outcome } from "../webhooks/webhook.processor.ts";
import type { InstallationPayload } from "../webhooks/webhook.schema.ts";
import { sanitizeText } from "../webhooks/sanitize.ts";
import type { InstallationFacts, InstallationRepository, RepositoryFacts } from "./github.repository.ts";

type PayloadInstallation = InstallationPayload["installation"];
type PayloadRepository = NonNullable<InstallationPayload["repositories"]>[number];

function factsOf(installation: PayloadInstallation): InstallationFacts {
  const type = installation.account.type;
  return {
    id: installation.id,
    accountId: installation.account.id,
    accountLogin: sanitizeText(installation.account.login, 100),
    accountType: type === "Organization" ? "Organization" : "User",
    repositorySelection: installation.repository_selection ?? "selected",
    suspendedAt: dateOrNull(installation.suspended_at),
  };
}

/** GitHub sends ISO strings; a value that does not parse still means "suspended", as of now. */
function dateOrNull(value: string | null | undefined): Date | null {
  if (!value) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? new Date() : date;
}

function repositoryFacts(repository: PayloadRepository): RepositoryFacts {
  return {
    id: repository.id,
    fullName: sanitizeText(repository.full_name, 200),
    // Unknown means private: it only decides what the dashboard hints, never access.
    private: typeof repository.private === "boolean" ? repository.private : true,
  };
}

function processed(reason: string): Outcome {
  return { status: "processed", reason: sanitizeText(reason) };
}

export function createInstallationHandlers(deps: {
  repository: InstallationRepository;
  audit: AuditService;
  /** Called when an installation's tokens stop working (suspended, deleted). */
  onAccessRevoked?: (installationId: number) => void;
}): InstallationHandlers {
  const { repository, audit } = deps;

  async function auditIfLinked(
    db: DbClient,
    action: AuditAction,
    installation: { id: bigint; organizationId: string | null; accountLogin: string },
    sender: string | undefined,
  ) {
    if (!installation.organizationId) return;
    await audit.record(db, {
      action,
      organizationId: installation.organizationId,
      actorLabel: sender ? `github:${sanitizeText(sender, 100)}` : "github",
      targetType: "github_installation",
      targetId: installation.id.toString(),
      metadata: { account: installation.accountLogin },
    });
  }

  function owner(organizationId: string | null): string {
    return organizationId ? "" : "; not connected to an organization yet";
  }

  return {
    async onInstallation(db, payload) {
      const facts = factsOf(payload.installation);
      const label = `installation ${facts.id} (${facts.accountLogin})`;
      const sender = payload.sender?.login;
      const existing = await repository.find(db, facts.id);
      if (existing?.deletedAt) {
        return { status: "ignored", reason: `ignored: ${label} was already deleted` };
      }

      switch (payload.action) {
        case "created": {
          const saved = await repository.upsert(db, facts);
          const repositories = (payload.repositories ?? []).map(repositoryFacts);
          await repository.replaceRepositories(db, facts.id, repositories);
          return processed(
            `${label} created with ${repositories.length} repositories${owner(saved.organizationId)}`,
          );
        }
        case "new_permissions_accepted": {
          const saved = await repository.upsert(db, facts);
          return processed(`${label}: new permissions accepted${owner(saved.organizationId)}`);
        }
        case "suspend": {
          const saved = await repository.upsert(db, {
            ...facts,
            suspendedAt: facts.suspendedAt ?? new Date(),
          });
          deps.onAccessRevoked?.(facts.id);
          await auditIfLinked(db, "github.installation_suspended", saved, sender);
          return processed(`${label} suspended${owner(saved.organizationId)}`);
        }
        case "unsuspend": {
          const saved = await repository.upsert(db, { ...facts, suspendedAt: null });
          await auditIfLinked(db, "github.installation_unsuspended", saved, sender);
          return processed(`${label} unsuspended${owner(saved.organizationId)}`);
        }
        case "deleted": {
          await repository.upsert(db, facts);
          const saved = await repository.update(db, facts.id, { deletedAt: new Date() });
          await repository.replaceRepositories(db, facts.id, []);
          deps.onAccessRevoked?.(facts.id);
          await auditIfLinked(db, "github.installation_deleted", saved, sender);
          return processed(`${label} deleted`);
        }
      }
    },

    async onInstallationRepositories(db, payload) {
      const facts = factsOf(payload.installation);
      const label = `installation ${facts.id} (${facts.accountLogin})`;
      const existing = await repository.find(db, facts.id);
      if (existing?.deletedAt) {
        return { status: "ignored", reason: `ignored: ${label} was already deleted` };
      }
      const saved = await repository.upsert(db, {
        ...facts,
        repositorySelection: payload.repository_selection ?? facts.repositorySelection,
      });
      const added = payload.repositories_added.map(repositoryFacts);
      const removed = payload.repositories_removed.map((repository) => repository.id);
      await repository.addRepositories(db, facts.id, added);
      await repository.removeRepositories(db, facts.id, removed);
      if (saved.organizationId) {
        await audit.record(db, {
          action: "github.repositories_changed",
          organizationId: saved.organizationId,
          actorLabel: payload.sender ? `github:${sanitizeText(payload.sender.login, 100)}` : "github",
          targetType: "github_installation",
          targetId: String(facts.id),
          metadata: {
            added: added.map((repository) => repository.fullName),
            removed: payload.repositories_removed.map((repository) =>
              sanitizeText(repository.full_name, 200),
            ),
          },
        });
      }
      return processed(
        `${label}: ${added.length} repositories added, ${removed.length} removed${owner(saved.organizationId)}`,
      );
    },
  };
}
