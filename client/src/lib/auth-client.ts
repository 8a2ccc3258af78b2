import { organizationClient } from "better-auth/client/plugins";
import { createAuthClient } from "better-auth/react";

/** Same origin as the SPA: cookies are HTTP-only and never touched by this code. */
export const authClient = createAuthClient({ plugins: [organizationClient()] });
