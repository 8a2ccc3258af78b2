import { randomBytes } from "node:crypto";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

function randomBase62(length: number): string {
  const bytes = randomBytes(length);
  let out = "";
  for (const byte of bytes) out += ALPHABET[byte % ALPHABET.length];
  return out;
}

/**
 * Installation tokens are deliberately longer than the classic 40 characters: GitHub is rolling out a
 * longer stateless format, and clients must not assume a length.
 */
export const newInstallationToken = () => `ghs_${randomBase62(76)}`;
export const newUserToken = () => `ghu_${randomBase62(36)}`;
export const newRefreshToken = () => `ghr_${randomBase62(76)}`;
export const newOAuthCode = () => randomBytes(10).toString("hex");
export const newDownloadToken = () => randomBase62(29).toUpperCase();
