// `npm run secrets:rotate`: re-encrypt every stored secret under the current ENCRYPTION_SECRET (see
// server/crypto/rotation.ts). Run it with ENCRYPTION_SECRET=new and ENCRYPTION_SECRET_PREVIOUS=old
// against DATABASE_URL (or the embedded database); exits 1 when any value could not be decrypted.
import { createEncryption } from "../server/crypto/encryption.ts";
import { rotateSecrets, type RotationResult } from "../server/crypto/rotation.ts";
import { loadConfig } from "../server/config.ts";
import { openDatabase } from "../server/db/database.ts";
import { createPool, createPrisma } from "../server/db/prisma.ts";
import { createLogger } from "../server/observability/logger.ts";

const BATCH_SIZE = 100;

const config = loadConfig();
const logger = createLogger({ level: config.logLevel });
if (!config.secrets.encryptionPrevious) {
  console.log(
    "ENCRYPTION_SECRET_PREVIOUS is not set: values sealed with any other secret will be reported as failed.",
  );
}
const database = await openDatabase(config, logger);
const pool = createPool(database.url, 1);
const db = createPrisma(pool);
let result: RotationResult;
try {
  result = await rotateSecrets({
    db,
    encryptionFor: (purpose) =>
      createEncryption({
        secret: config.secrets.encryption,
        previousSecret: config.secrets.encryptionPrevious,
        purpose,
      }),
    batchSize: BATCH_SIZE,
    logger,
  });
} finally {
  await db.$disconnect();
  await pool.end();
  await database.close();
}

console.table(result.counts);
for (const failure of result.failures) {
  console.error(`failed: ${failure.column} id=${failure.id} (${failure.reason})`);
}
if (result.failures.length > 0) {
  console.error(
    `${result.failures.length} value(s) could not be decrypted and were left unchanged: keep ENCRYPTION_SECRET_PREVIOUS until they are set again or removed.`,
  );
  process.exitCode = 1;
} else {
  console.log("Every stored secret is sealed with the current ENCRYPTION_SECRET.");
}
