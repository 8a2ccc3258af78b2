import { createHmac, timingSafeEqual } from "node:crypto";

const SIGNATURE_FORMAT = /^sha256=[0-9a-f]{64}$/;

export function isWellFormedSignature(header: string): boolean {
  return SIGNATURE_FORMAT.test(header);
}

function matches(secret: string, body: Buffer, expected: Buffer): boolean {
  const actual = createHmac("sha256", secret).update(body).digest();
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/**
 * Checks GitHub's X-Hub-Signature-256 over the exact raw bytes, in constant time, against the current
 * secret and then the previous one (during a rotation). Returns which one matched, or null.
 */
export function verifySignature(
  secrets: { current: string; previous: string | undefined },
  body: Buffer,
  header: string,
): "current" | "previous" | null {
  if (!isWellFormedSignature(header)) return null;
  const expected = Buffer.from(header.slice("sha256=".length), "hex");
  if (matches(secrets.current, body, expected)) return "current";
  if (secrets.previous && matches(secrets.previous, body, expected)) return "previous";
  return null;
}

export function signPayload(secret: string, body: Buffer | string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}
