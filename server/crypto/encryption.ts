// Encryption of every secret Hangar stores (SPEC §5.4): AES-256-GCM with a random 96-bit nonce and the
// auth tag checked on every decrypt. Keys are derived from ENCRYPTION_SECRET with HKDF-SHA256 and a
// purpose label, so Fly tokens, GitHub tokens and env values never share a key. The caller's context
// string (e.g. `fly-credential:<orgId>`) is additional authenticated data: a value copied to another
// row does not decrypt.
//
// Sealed format: `v1.<keyId>.<nonce>.<ciphertext>.<tag>` (base64url parts). `v1` names the scheme;
// `keyId` names the secret the key came from, so ENCRYPTION_SECRET_PREVIOUS keeps old values readable
// during a rotation and a re-encryption pass can find what still uses the old key.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { AppError } from "../errors.ts";

const SCHEME = "v1";
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const HKDF_SALT = "hangar-encryption-v1";

/** What each kind of stored secret is for; each purpose gets its own key. */
export type EncryptionPurpose = "fly-credential" | "github-token" | "environment-variable";

type Key = { id: string; key: Buffer };

function deriveKey(secret: string, purpose: EncryptionPurpose): Key {
  const key = Buffer.from(hkdfSync("sha256", secret, HKDF_SALT, `hangar/${purpose}/key`, 32));
  // A separate derivation, so the id says which secret was used without revealing anything about the key.
  const id = Buffer.from(hkdfSync("sha256", secret, HKDF_SALT, `hangar/${purpose}/key-id`, 6)).toString(
    "base64url",
  );
  return { id, key };
}

/** The header is authenticated too, so the key id cannot be swapped. */
function additionalData(keyId: string, context: string): Buffer {
  return Buffer.from(`${SCHEME}.${keyId}|${context}`, "utf8");
}

function decryptionFailed(cause?: unknown): AppError {
  return new AppError("INTERNAL_SERVER_ERROR", "A stored secret could not be decrypted.", {
    reason: "DECRYPTION_FAILED",
    cause,
  });
}

export function createEncryption(options: {
  secret: string;
  /** The secret before the current one, still accepted for decryption during a rotation. */
  previousSecret?: string | undefined;
  purpose: EncryptionPurpose;
}) {
  const current = deriveKey(options.secret, options.purpose);
  const keys = new Map<string, Key>([[current.id, current]]);
  if (options.previousSecret) {
    const previous = deriveKey(options.previousSecret, options.purpose);
    keys.set(previous.id, previous);
  }

  function encrypt(plaintext: string, context: string): string {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv("aes-256-gcm", current.key, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(additionalData(current.id, context));
    const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    return [SCHEME, current.id, nonce, ciphertext, cipher.getAuthTag()]
      .map((part) => (typeof part === "string" ? part : part.toString("base64url")))
      .join(".");
  }

  function decrypt(sealed: string, context: string): string {
    const [scheme, keyId, nonce, ciphertext, tag, ...rest] = sealed.split(".");
    if (
      scheme !== SCHEME ||
      !keyId ||
      nonce === undefined ||
      ciphertext === undefined ||
      !tag ||
      rest.length
    ) {
      throw decryptionFailed();
    }
    const key = keys.get(keyId);
    if (!key) {
      throw new AppError(
        "INTERNAL_SERVER_ERROR",
        "A stored secret was encrypted with a key that is no longer configured (ENCRYPTION_SECRET changed without ENCRYPTION_SECRET_PREVIOUS).",
        { reason: "ENCRYPTION_KEY_UNKNOWN" },
      );
    }
    const nonceBytes = Buffer.from(nonce, "base64url");
    const tagBytes = Buffer.from(tag, "base64url");
    if (nonceBytes.length !== NONCE_BYTES || tagBytes.length !== TAG_BYTES) throw decryptionFailed();
    try {
      const decipher = createDecipheriv("aes-256-gcm", key.key, nonceBytes, { authTagLength: TAG_BYTES });
      decipher.setAAD(additionalData(keyId, context));
      decipher.setAuthTag(tagBytes);
      return Buffer.concat([
        decipher.update(Buffer.from(ciphertext, "base64url")),
        decipher.final(),
      ]).toString("utf8");
    } catch (error) {
      throw decryptionFailed(error);
    }
  }

  return {
    // Async so that callers do not change if keys ever move to a KMS.
    seal: (plaintext: string, context: string): Promise<string> =>
      Promise.resolve(encrypt(plaintext, context)),
    open: (sealed: string, context: string): Promise<string> =>
      Promise.resolve().then(() => decrypt(sealed, context)),
    /** True when `sealed` was not made with the current key: a rotation should re-encrypt it. */
    isStale: (sealed: string): boolean => sealed.split(".", 2)[1] !== current.id,
  };
}

export type Encryption = ReturnType<typeof createEncryption>;
