// Tests' Fly.io: the Machines API emulator in-process on a free port. Hangar's code under test reaches
// it over HTTP only, as it would api.machines.dev.
// eslint-disable-next-line no-restricted-imports -- tests start the emulator; server code never imports it
import { startFlyEmulator } from "../../emulators/fly/server.ts";

export const FLY_ORG = "acme";
export const FLY_TOKEN = "fo1_test_acme_org_token";

export type TestFly = {
  url: string;
  /** The emulator's control API (JSON, no auth). */
  control<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  /** The last /v1 requests the emulator saw, oldest first. */
  requests(): Promise<
    {
      method: string;
      path: string;
      status: number | null;
      leaseNoncePresent: boolean;
      fault: string | null;
    }[]
  >;
  close(): Promise<void>;
};

export async function startTestFly(options: { timeScale?: number } = {}): Promise<TestFly> {
  const emulator = await startFlyEmulator({
    timeScale: options.timeScale ?? 50,
    seed: {
      organizations: [{ slug: FLY_ORG, name: "Acme" }],
      tokens: [{ token: FLY_TOKEN, orgSlug: FLY_ORG }],
    },
  });
  async function control<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${emulator.url}/_emulator${path}`, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`fly emulator ${method} ${path} → ${response.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }
  return {
    url: emulator.url,
    control,
    requests: async () =>
      (await control<{ requests: Awaited<ReturnType<TestFly["requests"]>> }>("GET", "/requests")).requests,
    close: () => emulator.close(),
  };
}
