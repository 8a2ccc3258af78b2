// Inputs of the webhook inbox (SPEC §5.8), shared with the client. Imports only zod.
import * as z from "zod";
import { organizationIdInput } from "../organizations/organization.schema.ts";

export const DELIVERY_STATUSES = ["received", "processed", "ignored", "failed"] as const;
export const deliveryStatusSchema = z.enum(DELIVERY_STATUSES);

export const listDeliveriesInput = organizationIdInput.extend({
  status: deliveryStatusSchema.optional(),
  event: z
    .string()
    .regex(/^[a-z_]{1,64}$/, "An event name such as push")
    .optional(),
  /** The id of the last delivery of the previous page. */
  cursor: z.uuid().optional(),
  limit: z.number().int().min(1).max(100).default(50),
});

export const deliveryInput = organizationIdInput.extend({ deliveryRowId: z.uuid("Not a delivery id") });
