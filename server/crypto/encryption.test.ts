import { describe, expect, it } from "vitest";
import { createEncryption } from "./encryption.ts";

const SECRET = "current-secret-0123456789-0123456789-abcdef";
const OLD_SECRET = "previous-secret-0123456789-0123456789-abcdef";
const CONTEXT = "fly-credential:org-1";

/** Flips one bit of the base64url part at `index` of a sealed value. */
function tamper(sealed: string, index: number): string {
  const parts = sealed.split(".");
  const bytes = Buffer.from(parts[index] ?? "", "base64url");
  bytes[0] = (bytes[0] ?? 0) ^ 1;
  parts[index] = bytes.toString("base64url");
  return parts.join(".");
}

describe("encryption", () => {
  const encryption = createEncryption({ secret: SECRET, purpose: "fly-credential" });

  it("round-trips, including unicode and empty values", async () => {
    for (const value of ["fo1_secret-token", "", "ünïcødé ✈ 令牌", "x".repeat(70_000)]) {
      const sealed = await encryption.seal(value, CONTEXT);
      expect(sealed).toMatch(/^v1\.[\w-]+\.[\w-]{16}\.[\w-]*\.[\w-]{22}$/);
      await expect(encryption.open(sealed, CONTEXT)).resolves.toBe(value);
    }
  });

  it("never produces the same ciphertext twice, and never contains the plaintext", async () => {
    const sealed = await Promise.all(
      Array.from({ length: 50 }, () => encryption.seal("same value", CONTEXT)),
    );
    expect(new Set(sealed).size).toBe(50);
    expect(new Set(sealed.map((value) => value.split(".")[2])).size).toBe(50);
    for (const value of sealed) expect(value).not.toContain("same value");
  });

  it("refuses a tampered nonce, ciphertext or tag", async () => {
    const sealed = await encryption.seal("fo1_secret-token", CONTEXT);
    for (const index of [2, 3, 4]) {
      await expect(encryption.open(tamper(sealed, index), CONTEXT)).rejects.toMatchObject({
        reason: "DECRYPTION_FAILED",
      });
    }
    await expect(encryption.open(sealed.slice(0, -2), CONTEXT)).rejects.toMatchObject({
      reason: "DECRYPTION_FAILED",
    });
    await expect(encryption.open("not a sealed value", CONTEXT)).rejects.toMatchObject({
      reason: "DECRYPTION_FAILED",
    });
  });

  it("refuses a value opened in another context (a row copied elsewhere)", async () => {
    const sealed = await encryption.seal("fo1_secret-token", "fly-credential:org-1");
    await expect(encryption.open(sealed, "fly-credential:org-2")).rejects.toMatchObject({
      reason: "DECRYPTION_FAILED",
    });
  });

  it("refuses a swapped key id (the header is authenticated)", async () => {
    const withPrevious = createEncryption({
      secret: SECRET,
      previousSecret: OLD_SECRET,
      purpose: "fly-credential",
    });
    const old = await createEncryption({ secret: OLD_SECRET, purpose: "fly-credential" }).seal("v", CONTEXT);
    const sealed = await withPrevious.seal("v", CONTEXT);
    const swapped = [...sealed.split(".").slice(0, 1), old.split(".")[1], ...sealed.split(".").slice(2)].join(
      ".",
    );
    await expect(withPrevious.open(swapped, CONTEXT)).rejects.toMatchObject({ reason: "DECRYPTION_FAILED" });
  });

  it("uses a different key per purpose", async () => {
    const sealed = await encryption.seal("fo1_secret-token", CONTEXT);
    const other = createEncryption({ secret: SECRET, purpose: "environment-variable" });
    await expect(other.open(sealed, CONTEXT)).rejects.toMatchObject({ reason: "ENCRYPTION_KEY_UNKNOWN" });
  });

  it("reads values sealed under ENCRYPTION_SECRET_PREVIOUS during a rotation, and marks them stale", async () => {
    const before = createEncryption({ secret: OLD_SECRET, purpose: "fly-credential" });
    const sealedBefore = await before.seal("fo1_old-token", CONTEXT);

    const during = createEncryption({
      secret: SECRET,
      previousSecret: OLD_SECRET,
      purpose: "fly-credential",
    });
    await expect(during.open(sealedBefore, CONTEXT)).resolves.toBe("fo1_old-token");
    expect(during.isStale(sealedBefore)).toBe(true);
    const resealed = await during.seal("fo1_old-token", CONTEXT);
    expect(during.isStale(resealed)).toBe(false);

    // Once the previous secret is dropped, only current-key values open, with a clear reason.
    const after = createEncryption({ secret: SECRET, purpose: "fly-credential" });
    await expect(after.open(resealed, CONTEXT)).resolves.toBe("fo1_old-token");
    await expect(after.open(sealedBefore, CONTEXT)).rejects.toMatchObject({
      reason: "ENCRYPTION_KEY_UNKNOWN",
    });
  });
});
