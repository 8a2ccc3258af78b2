import { randomBytes, randomInt, randomUUID } from "node:crypto";

const CROCKFORD_BASE32 = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const LOWER_ALPHANUMERIC = "abcdefghijklmnopqrstuvwxyz0123456789";

/** Machine ids are 14 lowercase hex characters, e.g. `148ed193b95389`. */
export function newMachineId(): string {
  return randomBytes(7).toString("hex");
}

/** Lease nonces are 12 hex characters, e.g. `5c35f65c9f95`. */
export function newLeaseNonce(): string {
  return randomBytes(6).toString("hex");
}

/** Machine versions (`instance_id`) and event ids are 26-character ULIDs, ordered by emulated time. */
export function newUlid(timeMs: number): string {
  let time = "";
  let remaining = Math.max(0, Math.floor(timeMs));
  for (let i = 0; i < 10; i += 1) {
    time = CROCKFORD_BASE32.charAt(remaining % 32) + time;
    remaining = Math.floor(remaining / 32);
  }
  let random = "";
  for (let i = 0; i < 16; i += 1) random += CROCKFORD_BASE32.charAt(randomInt(32));
  return time + random;
}

/** App and organization ids look like `jlyv9r5d56v18xrg`. */
export function newResourceId(): string {
  let id = "";
  for (let i = 0; i < 16; i += 1) id += LOWER_ALPHANUMERIC.charAt(randomInt(LOWER_ALPHANUMERIC.length));
  return id;
}

export function newInternalNumericId(): number {
  return randomInt(100_000, 9_999_999);
}

/** Token principals own leases as `<uuid>@tokens.fly.io`. */
export function newTokenOwner(): string {
  return `${randomUUID()}@tokens.fly.io`;
}

export function newTokenId(): string {
  return randomBytes(8).toString("hex");
}

const ADJECTIVES = [
  "young",
  "divine",
  "quiet",
  "rough",
  "bold",
  "lingering",
  "polished",
  "snowy",
  "ancient",
  "misty",
];
const NOUNS = ["pine", "sound", "river", "meadow", "dew", "frost", "thunder", "field", "smoke", "moon"];

/** Generated machine names look like `young-pine-9104`. */
export function newMachineName(): string {
  const adjective = ADJECTIVES[randomInt(ADJECTIVES.length)] ?? "quiet";
  const noun = NOUNS[randomInt(NOUNS.length)] ?? "river";
  return `${adjective}-${noun}-${randomInt(1000, 10_000)}`;
}

function hexGroup(): string {
  return randomInt(0x10000).toString(16);
}

/** 6PN addresses: `fdaa:0:<org>:a7b:<host>:<machine>:<machine>:2`. */
export function newPrivateIp(): string {
  return `fdaa:0:${hexGroup()}:a7b:${hexGroup()}:${hexGroup()}:${hexGroup()}:2`;
}
