// The only Prisma user for GitHub installations and the repositories they cover.
import type { DbClient } from "../db/prisma.ts";
import type { Prisma } from "../db/generated/client.ts";

export type InstallationFacts = {
  id: number;
  accountId: number;
  accountLogin: string;
  accountType: string;
  repositorySelection: "all" | "selected";
  suspendedAt: Date | null;
};

export type RepositoryFacts = { id: number; fullName: string; private: boolean };

const installationSelect = {
  id: true,
  organizationId: true,
  accountLogin: true,
  accountType: true,
  repositorySelection: true,
  suspendedAt: true,
  deletedAt: true,
  linkedAt: true,
} satisfies Prisma.GitHubInstallationSelect;

export function createInstallationRepository() {
  return {
    async find(db: DbClient, installationId: number) {
      return db.gitHubInstallation.findUnique({
        where: { id: BigInt(installationId) },
        select: installationSelect,
      });
    },

    /** Records what GitHub says about the installation; never touches which organisation it belongs to. */
    async upsert(db: DbClient, facts: InstallationFacts) {
      const data = {
        accountId: BigInt(facts.accountId),
        accountLogin: facts.accountLogin,
        accountType: facts.accountType,
        repositorySelection: facts.repositorySelection,
        suspendedAt: facts.suspendedAt,
      };
      return db.gitHubInstallation.upsert({
        where: { id: BigInt(facts.id) },
        create: { id: BigInt(facts.id), ...data },
        update: data,
        select: installationSelect,
      });
    },

    async update(
      db: DbClient,
      installationId: number,
      data: {
        suspendedAt?: Date | null;
        deletedAt?: Date;
        repositorySelection?: "all" | "selected";
        organizationId?: string;
        linkedByUserId?: string;
        linkedAt?: Date;
      },
    ) {
      return db.gitHubInstallation.update({
        where: { id: BigInt(installationId) },
        data,
        select: installationSelect,
      });
    },

    async replaceRepositories(db: DbClient, installationId: number, repositories: RepositoryFacts[]) {
      await db.gitHubInstallationRepository.deleteMany({ where: { installationId: BigInt(installationId) } });
      await this.addRepositories(db, installationId, repositories);
    },

    async addRepositories(db: DbClient, installationId: number, repositories: RepositoryFacts[]) {
      for (const repository of repositories) {
        const data = { fullName: repository.fullName, private: repository.private };
        await db.gitHubInstallationRepository.upsert({
          where: {
            installationId_repositoryId: {
              installationId: BigInt(installationId),
              repositoryId: BigInt(repository.id),
            },
          },
          create: { installationId: BigInt(installationId), repositoryId: BigInt(repository.id), ...data },
          update: data,
        });
      }
    },

    async removeRepositories(db: DbClient, installationId: number, repositoryIds: number[]) {
      await db.gitHubInstallationRepository.deleteMany({
        where: { installationId: BigInt(installationId), repositoryId: { in: repositoryIds.map(BigInt) } },
      });
    },

    /** The organisation's installations that still exist on GitHub, with their repositories by name. */
    async listForOrganization(db: DbClient, organizationId: string) {
      return db.gitHubInstallation.findMany({
        where: { organizationId, deletedAt: null },
        orderBy: { accountLogin: "asc" },
        select: {
          ...installationSelect,
          repositories: {
            orderBy: { fullName: "asc" },
            select: { repositoryId: true, fullName: true, private: true },
          },
        },
      });
    },
  };
}

export type InstallationRepository = ReturnType<typeof createInstallationRepository>;
