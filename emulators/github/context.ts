import type { FaultSettings } from "./faults.ts";
import type { ResolvedOptions } from "./options.ts";
import type { EmulatorState } from "./state.ts";
import type { WebhookSender } from "./webhooks.ts";

/** Everything a route needs; `state` is replaced on reset, so always read it through the context. */
export interface EmulatorContext {
  options: ResolvedOptions;
  state: EmulatorState;
  /** Web origin, e.g. http://127.0.0.1:PORT (known once the server listens). */
  webUrl: string;
  /** REST base, `${webUrl}/api/v3`, as on GitHub Enterprise. */
  apiUrl: string;
  /** The App's webhook configuration (changeable through PATCH /app/hook/config). */
  hook: { id: number; url: string | undefined; secret: string };
  faults: FaultSettings | null;
  webhooks: WebhookSender;
}
