// Shared with the client: import only zod here.
import * as z from "zod";
import { organizationIdInput } from "../organizations/organization.schema.ts";

/**
 * A Fly.io API token as people paste it: `fo1_…`, `fm2_…`, comma-joined macaroons, or the
 * `FlyV1 fm2_…` header value `fly tokens create` prints. Surrounding whitespace is ignored.
 */
export const flyTokenSchema = z
  .string()
  .trim()
  .min(1, "Paste a Fly.io API token")
  .max(8192, "This is longer than any Fly.io token")
  .regex(/^(?:(?:Bearer|FlyV1)\s+)*[^\s\p{Cc}]+$/iu, "A Fly.io token is one line without spaces");

export const setFlyCredentialInput = organizationIdInput.extend({ token: flyTokenSchema });
export type SetFlyCredentialInput = z.infer<typeof setFlyCredentialInput>;
