// `npm run secrets:rotate` on a real database: every kind of sealed row, sealed with an old secret,
// must open with only the new secret afterwards, through the code that reads it in the application.
import { randomUUID } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createAuditRepository } from "../audit/audit.repository.ts";
import { createAuditService } from "../audit/audit.service.ts";
import type { Database } from "../db/prisma.ts";
import { deploymentEnvironmentContext } from "../deployments/deployment-environment.ts";
import type { FlyClient } from "../fly/fly-client.ts";
import { createFlyCredentialRepository } from "../fly/fly-credential.repository.ts";
import { createFlyCredentialService } from "../fly/fly-credential.service.ts";
import { createUserTokenSealing, tokenContext } from "../github/github-user-tokens.ts";
import { createLogger } from "../observability/logger.ts";
import { variableContext } from "../projects/environment-variable.service.ts";
import type { Environment } from "../projects/project.schema.ts";
import { createTestDatabase, type TestDatabase } from "../test/database.ts";
import { createEncryption, type Encryption, type EncryptionPurpose } from "./encryption.ts";
import type { SealedColumn } from "./rotation.repository.ts";
import { type ColumnCounts, rotateSecrets } from "./rotation.ts";

const OLD = "old-encryption-secret-0123456789-0123456789";
const NEW = "new-encryption-secret-0123456789-0123456789";

const rotating = (purpose: EncryptionPurpose) =>
  createEncryption({ secret: NEW, previousSecret: OLD, purpose });
const oldOnly = (purpose: EncryptionPurpose) => createEncryption({ secret: OLD, purpose });
const newOnly = (purpose: EncryptionPurpose) => createEncryption({ secret: NEW, purpose });

function counts(partial: Partial<ColumnCounts>): ColumnCounts {
  return { scanned: 0, reencrypted: 0, alreadyCurrent: 0, skipped: 0, failed: 0, ...partial };
}

/** Flips one bit of the ciphertext part of a sealed value. */
function tamper(sealed: string): string {
  const parts = sealed.split(".");
  const bytes = Buffer.from(parts[3] ?? "", "base64url");
  bytes[0] = (bytes[0] ?? 0) ^ 1;
  parts[3] = bytes.toString("base64url");
  return parts.join(".");
}

type Seeded = {
  /** Plaintext of every sealed value, by `<column>:<row id>`. */
  plaintexts: Map<string, string>;
  organizationIds: string[];
  accounts: { id: string; githubUserId: string }[];
  projectId: string;
  variableIds: string[];
  deploymentId: string;
};

/**
 * Two organisations with a Fly token (the second already under the new secret), two GitHub accounts
 * (the second without a refresh token), a password account, three variables, a deployment with a sealed
 * environment and one without. Everything else is sealed with OLD.
 */
async function seed(db: Database): Promise<Seeded> {
  const plaintexts = new Map<string, string>();
  const user = await db.user.create({
    data: { id: randomUUID(), name: "Ada", email: `ada-${randomUUID()}@example.com` },
    select: { id: true },
  });

  const organizationIds: string[] = [];
  // The one sealed with OLD comes first in key order, so the first batch of a run re-seals it.
  for (const [index, purposeKey] of [oldOnly, newOnly].entries()) {
    const organizationId = `org-${index}-${randomUUID()}`;
    organizationIds.push(organizationId);
    await db.organization.create({
      data: { id: organizationId, name: "Acme", slug: `acme-${organizationId}` },
    });
    const token = `fo1_token-${index}`;
    plaintexts.set(`fly_credential.encryptedToken:${organizationId}`, token);
    await db.flyCredential.create({
      data: {
        organizationId,
        encryptedToken: await purposeKey("fly-credential").seal(token, `fly-credential:${organizationId}`),
        tokenLastFour: token.slice(-4),
        flyOrgSlug: "acme",
      },
    });
  }

  const accounts: Seeded["accounts"] = [];
  const github = oldOnly("github-token");
  for (const [index, withRefresh] of [true, false].entries()) {
    const id = randomUUID();
    const githubUserId = String(1000 + index);
    accounts.push({ id, githubUserId });
    const accessToken = `ghu_access-${index}`;
    const refreshToken = withRefresh ? `ghr_refresh-${index}` : null;
    plaintexts.set(`account.accessToken:${id}`, accessToken);
    if (refreshToken) plaintexts.set(`account.refreshToken:${id}`, refreshToken);
    await db.account.create({
      data: {
        id,
        userId: user.id,
        providerId: "github",
        accountId: githubUserId,
        accessToken: await github.seal(accessToken, tokenContext(githubUserId, "access")),
        refreshToken:
          refreshToken && (await github.seal(refreshToken, tokenContext(githubUserId, "refresh"))),
      },
    });
  }
  // Not GitHub's: never read, so this unsealed value must not be reported as a failure.
  await db.account.create({
    data: {
      id: randomUUID(),
      userId: user.id,
      providerId: "credential",
      accountId: user.id,
      accessToken: "not-sealed-by-hangar",
      password: "hash",
    },
  });

  const organizationId = organizationIds[0] ?? "";
  const { id: projectId } = await db.project.create({
    data: {
      organizationId,
      name: "web",
      installationId: 1n,
      repositoryId: 1n,
      repositoryFullName: "acme/web",
      productionBranch: "main",
      flyAppName: `web-${randomUUID().slice(0, 8)}`,
      region: "ams",
    },
    select: { id: true },
  });
  const env = oldOnly("environment-variable");
  const variableIds: string[] = [];
  const variables: [Environment, string, string][] = [
    ["production", "DATABASE_URL", "postgres://secret@db/prod"],
    ["production", "API_KEY", "sk_live_ünïcødé"],
    ["preview", "API_KEY", "sk_test_123"],
  ];
  for (const [environment, key, value] of variables) {
    const { id } = await db.environmentVariable.create({
      data: {
        projectId,
        environment,
        key,
        encryptedValue: await env.seal(value, variableContext(organizationId, projectId, environment, key)),
        valueBytes: Buffer.byteLength(value),
      },
      select: { id: true },
    });
    variableIds.push(id);
    plaintexts.set(`environment_variable.encryptedValue:${id}`, value);
  }

  const deployment = (number: number) => ({
    projectId,
    number,
    environment: "production",
    flyAppName: "web",
    trigger: "push",
    branch: "main",
    commitSha: "a".repeat(40),
  });
  const deploymentId = randomUUID();
  const snapshot = JSON.stringify({ DATABASE_URL: "postgres://secret@db/prod" });
  await db.deployment.create({
    data: {
      ...deployment(1),
      id: deploymentId,
      encryptedEnvironment: await env.seal(snapshot, deploymentEnvironmentContext(deploymentId)),
    },
  });
  plaintexts.set(`deployment.encryptedEnvironment:${deploymentId}`, snapshot);
  await db.deployment.create({ data: deployment(2) });

  return { plaintexts, organizationIds, accounts, projectId, variableIds, deploymentId };
}

/**
 * Opens every seeded value with an encryption that knows only NEW, the way the application does
 * (the Fly credential through its service, whose context string is private to it).
 */
async function openAllWithNewOnly(db: Database, seeded: Seeded): Promise<Map<string, string>> {
  const opened = new Map<string, string>();
  const flyCredentials = createFlyCredentialService({
    db,
    repository: createFlyCredentialRepository(),
    // apiFor hands the opened token to withToken: this stand-in returns it.
    fly: { withToken: (token: string) => ({ token }) } as unknown as FlyClient,
    encryption: newOnly("fly-credential"),
    audit: createAuditService({ repository: createAuditRepository() }),
  });
  for (const organizationId of seeded.organizationIds) {
    const api = (await flyCredentials.apiFor(organizationId)) as unknown as { token: string };
    opened.set(`fly_credential.encryptedToken:${organizationId}`, api.token);
  }

  const sealing = createUserTokenSealing(newOnly("github-token"));
  for (const { id, githubUserId } of seeded.accounts) {
    const row = await db.account.findUniqueOrThrow({
      where: { id },
      select: { accessToken: true, refreshToken: true },
    });
    if (row.accessToken)
      opened.set(`account.accessToken:${id}`, await sealing.openAccess(githubUserId, row.accessToken));
    if (row.refreshToken)
      opened.set(`account.refreshToken:${id}`, await sealing.openRefresh(githubUserId, row.refreshToken));
  }

  const env = newOnly("environment-variable");
  const organizationId = seeded.organizationIds[0] ?? "";
  for (const id of seeded.variableIds) {
    const row = await db.environmentVariable.findUniqueOrThrow({
      where: { id },
      select: { environment: true, key: true, encryptedValue: true },
    });
    const context = variableContext(
      organizationId,
      seeded.projectId,
      row.environment as Environment,
      row.key,
    );
    opened.set(`environment_variable.encryptedValue:${id}`, await env.open(row.encryptedValue, context));
  }

  const { encryptedEnvironment } = await db.deployment.findUniqueOrThrow({
    where: { id: seeded.deploymentId },
    select: { encryptedEnvironment: true },
  });
  if (encryptedEnvironment) {
    opened.set(
      `deployment.encryptedEnvironment:${seeded.deploymentId}`,
      await env.open(encryptedEnvironment, deploymentEnvironmentContext(seeded.deploymentId)),
    );
  }
  return opened;
}

describe("secret rotation", () => {
  let database: TestDatabase;
  let seeded: Seeded;

  // Each test gets its own database: the rotation walks every row, so the counts must be its own.
  beforeEach(async () => {
    database = await createTestDatabase();
    seeded = await seed(database.db);
  });
  afterEach(() => database.drop());

  it("re-seals every stored secret under the current secret, and a second run has nothing to do", async () => {
    const updatedAtBefore = await database.db.flyCredential.findMany({
      orderBy: { organizationId: "asc" },
      select: { organizationId: true, updatedAt: true },
    });
    await expect(openAllWithNewOnly(database.db, seeded)).rejects.toMatchObject({
      reason: "ENCRYPTION_KEY_UNKNOWN",
    });

    const first = await rotateSecrets({ db: database.db, encryptionFor: rotating, batchSize: 2 });
    expect(first.failures).toEqual([]);
    expect(first.counts).toEqual({
      "fly_credential.encryptedToken": counts({ scanned: 2, reencrypted: 1, alreadyCurrent: 1 }),
      "account.accessToken": counts({ scanned: 2, reencrypted: 2 }),
      "account.refreshToken": counts({ scanned: 1, reencrypted: 1 }),
      "environment_variable.encryptedValue": counts({ scanned: 3, reencrypted: 3 }),
      "deployment.encryptedEnvironment": counts({ scanned: 1, reencrypted: 1 }),
    } satisfies Record<SealedColumn, ColumnCounts>);
    expect(await openAllWithNewOnly(database.db, seeded)).toEqual(seeded.plaintexts);
    // A rotation is not a change by a person: "set at" stays as it was.
    expect(
      await database.db.flyCredential.findMany({
        orderBy: { organizationId: "asc" },
        select: { organizationId: true, updatedAt: true },
      }),
    ).toEqual(updatedAtBefore);
    const password = await database.db.account.findFirstOrThrow({
      where: { providerId: "credential" },
      select: { accessToken: true },
    });
    expect(password.accessToken).toBe("not-sealed-by-hangar");

    const second = await rotateSecrets({ db: database.db, encryptionFor: rotating, batchSize: 2 });
    expect(second).toEqual({
      counts: {
        "fly_credential.encryptedToken": counts({ scanned: 2, alreadyCurrent: 2 }),
        "account.accessToken": counts({ scanned: 2, alreadyCurrent: 2 }),
        "account.refreshToken": counts({ scanned: 1, alreadyCurrent: 1 }),
        "environment_variable.encryptedValue": counts({ scanned: 3, alreadyCurrent: 3 }),
        "deployment.encryptedEnvironment": counts({ scanned: 1, alreadyCurrent: 1 }),
      },
      failures: [],
    });
  });

  it("reports a value that does not open by id, without its content, and rotates the rest", async () => {
    const [tamperedId] = seeded.variableIds;
    if (!tamperedId) throw new Error("no variable seeded");
    const { encryptedValue } = await database.db.environmentVariable.findUniqueOrThrow({
      where: { id: tamperedId },
      select: { encryptedValue: true },
    });
    await database.db.environmentVariable.update({
      where: { id: tamperedId },
      data: { encryptedValue: tamper(encryptedValue) },
    });
    const lines: string[] = [];
    const logger = createLogger({
      level: "debug",
      destination: { write: (line: string) => lines.push(line) },
    });

    const result = await rotateSecrets({ db: database.db, encryptionFor: rotating, batchSize: 2, logger });

    expect(result.failures).toEqual([
      { column: "environment_variable.encryptedValue", id: tamperedId, reason: "DECRYPTION_FAILED" },
    ]);
    expect(result.counts["environment_variable.encryptedValue"]).toEqual(
      counts({ scanned: 3, reencrypted: 2, failed: 1 }),
    );
    expect(result.counts["account.accessToken"]).toEqual(counts({ scanned: 2, reencrypted: 2 }));
    const { encryptedValue: after } = await database.db.environmentVariable.findUniqueOrThrow({
      where: { id: tamperedId },
      select: { encryptedValue: true },
    });
    expect(after).toBe(tamper(encryptedValue));

    const log = lines.join("\n");
    expect(log).toContain(tamperedId);
    for (const plaintext of seeded.plaintexts.values()) expect(log).not.toContain(plaintext);

    seeded.variableIds = seeded.variableIds.filter((id) => id !== tamperedId);
    const expected = new Map(seeded.plaintexts);
    expected.delete(`environment_variable.encryptedValue:${tamperedId}`);
    expect(await openAllWithNewOnly(database.db, seeded)).toEqual(expected);
  });

  it("finishes the rest when run again after being interrupted after the first batch", async () => {
    let batches = 0;
    await expect(
      rotateSecrets({
        db: database.db,
        encryptionFor: rotating,
        batchSize: 1,
        onProgress: () => {
          batches++;
          throw new Error("interrupted");
        },
      }),
    ).rejects.toThrow("interrupted");
    expect(batches).toBe(1);
    // The first batch (the first Fly token in key order) was committed; nothing after it was touched.
    const first = await database.db.flyCredential.findUniqueOrThrow({
      where: { organizationId: seeded.organizationIds[0] ?? "" },
      select: { encryptedToken: true },
    });
    expect(newOnly("fly-credential").isStale(first.encryptedToken)).toBe(false);
    const githubTokens = await database.db.account.findMany({
      where: { providerId: "github" },
      select: { accessToken: true },
    });
    expect(githubTokens.map((row) => newOnly("github-token").isStale(row.accessToken ?? ""))).toEqual([
      true,
      true,
    ]);

    const resumed = await rotateSecrets({ db: database.db, encryptionFor: rotating, batchSize: 1 });
    expect(resumed.failures).toEqual([]);
    expect(resumed.counts["fly_credential.encryptedToken"]).toEqual(
      counts({ scanned: 2, alreadyCurrent: 2 }),
    );
    expect(resumed.counts["account.accessToken"]).toEqual(counts({ scanned: 2, reencrypted: 2 }));
    expect(resumed.counts["account.refreshToken"]).toEqual(counts({ scanned: 1, reencrypted: 1 }));
    expect(resumed.counts["environment_variable.encryptedValue"]).toEqual(
      counts({ scanned: 3, reencrypted: 3 }),
    );
    expect(resumed.counts["deployment.encryptedEnvironment"]).toEqual(counts({ scanned: 1, reencrypted: 1 }));
    expect(await openAllWithNewOnly(database.db, seeded)).toEqual(seeded.plaintexts);
  });

  it("keeps a value the application wrote while the batch was being re-sealed", async () => {
    const [variableId] = seeded.variableIds;
    if (!variableId) throw new Error("no variable seeded");
    const row = await database.db.environmentVariable.findUniqueOrThrow({
      where: { id: variableId },
      select: { environment: true, key: true, encryptedValue: true },
    });
    const context = variableContext(
      seeded.organizationIds[0] ?? "",
      seeded.projectId,
      row.environment as Environment,
      row.key,
    );
    const written = await rotating("environment-variable").seal("changed meanwhile", context);
    // The application replaces the value between the rotation's read and its write.
    const encryptionFor = (purpose: EncryptionPurpose): Encryption => {
      const encryption = rotating(purpose);
      return {
        ...encryption,
        async open(sealed, openContext) {
          if (sealed === row.encryptedValue) {
            await database.db.environmentVariable.update({
              where: { id: variableId },
              data: { encryptedValue: written },
            });
          }
          return encryption.open(sealed, openContext);
        },
      };
    };

    const result = await rotateSecrets({ db: database.db, encryptionFor, batchSize: 10 });

    expect(result.counts["environment_variable.encryptedValue"]).toEqual(
      counts({ scanned: 3, reencrypted: 2, skipped: 1 }),
    );
    const after = await database.db.environmentVariable.findUniqueOrThrow({
      where: { id: variableId },
      select: { encryptedValue: true },
    });
    expect(after.encryptedValue).toBe(written);
    seeded.plaintexts.set(`environment_variable.encryptedValue:${variableId}`, "changed meanwhile");
    expect(await openAllWithNewOnly(database.db, seeded)).toEqual(seeded.plaintexts);
  });
});
