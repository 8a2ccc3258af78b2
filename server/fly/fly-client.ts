// Hangar's Fly Machines API client: plain fetch to whatever base URL it is given (api.machines.dev or
// the emulator), `Authorization: Bearer <token>`, every call through the resilience layer as service
// "fly", answers validated by schemas. Shapes follow shared/reference/fly-machines-api.md (cited as
// "ref §x"), including where the live API differs from its OpenAPI spec (lease envelope, create bodies).
//
// Hand-written: npm clients cannot send `fly-machine-lease-nonce`, and each call needs its own
// retry stance (creates are not idempotent and are reconciled instead of repeated).
import * as z from "zod";
import type { CallOptions, Resilience } from "../resilience/resilience.ts";
import { ExternalTimeoutError } from "../resilience/resilience.ts";
import { FlyApiError, flyErrorFromResponse, flyUnexpectedBody, flyUnreachable } from "./fly-errors.ts";

/** Wait long-polls are capped by Fly at 60 s (ref §1.7). */
const MAX_WAIT_SECONDS = 60;
/** A wait's attempt may take its full long poll plus this much before it counts as timed out. */
const WAIT_GRACE_MS = 10_000;
/** Metadata key Hangar tags new machines with, so a create whose answer was lost can be found again. */
export const LAUNCH_ID_METADATA_KEY = "hangar_launch_id";
/** Attempts at a create, each after finding nothing for the previous one. */
const MAX_CREATE_ATTEMPTS = 3;

// --- Shapes (ref §1.4–§1.11) -----------------------------------------------------------------------

const organizationSchema = z.looseObject({ name: z.string(), slug: z.string() });

const appSchema = z.looseObject({
  id: z.string(),
  name: z.string(),
  status: z.string().optional(),
  network: z.string().optional(),
  machine_count: z.number().optional(),
  organization: organizationSchema.optional(),
});
export type FlyApp = z.infer<typeof appSchema>;

const appListSchema = z.looseObject({ total_apps: z.number(), apps: z.array(appSchema) });

const regionSchema = z.looseObject({
  code: z.string(),
  name: z.string(),
  gateway_available: z.boolean().optional(),
  requires_paid_plan: z.boolean().optional(),
  deprecated: z.boolean().optional(),
});
const regionsSchema = z.looseObject({ nearest: z.string().optional(), regions: z.array(regionSchema) });
export type FlyRegion = z.infer<typeof regionSchema>;

const currentTokenSchema = z.looseObject({
  tokens: z
    .array(
      z.looseObject({
        token_id: z.string().optional(),
        org_slug: z.string().min(1),
        organization: z.string().optional(),
        apps: z.array(z.string()).nullish(),
      }),
    )
    .min(1),
});
export type FlyTokenInfo = { orgSlug: string; organizationName: string | undefined; apps: string[] };

/** Only `image` is required; Hangar passes the rest through as Fly documents it. */
export type FlyMachineConfig = {
  image: string;
  env?: Record<string, string>;
  metadata?: Record<string, string>;
  guest?: { cpu_kind?: "shared" | "performance"; cpus?: number; memory_mb?: number };
  services?: unknown[];
  checks?: Record<string, unknown>;
  restart?: { policy?: "no" | "always" | "on-failure" | "spot-price"; max_retries?: number };
  auto_destroy?: boolean;
  [key: string]: unknown;
};

export type FlyCreateMachineRequest = {
  config: FlyMachineConfig;
  name?: string;
  region?: string;
  /** Acquire a lease atomically with the create; the answer then carries its `nonce`. */
  lease_ttl?: number;
  skip_launch?: boolean;
  min_secrets_version?: number;
};

export type FlyUpdateMachineRequest = Omit<FlyCreateMachineRequest, "lease_ttl" | "name"> & {
  current_version?: string;
};

const machineSchema = z.looseObject({
  id: z.string(),
  name: z.string().optional(),
  state: z.string(),
  region: z.string().optional(),
  instance_id: z.string().optional(),
  private_ip: z.string().optional(),
  config: z
    .looseObject({ image: z.string(), metadata: z.record(z.string(), z.string()).nullish() })
    .optional(),
  checks: z
    .array(z.looseObject({ name: z.string(), status: z.string(), output: z.string().optional() }))
    .nullish(),
  events: z
    .array(z.looseObject({ type: z.string(), status: z.string(), timestamp: z.number().optional() }))
    .nullish(),
  nonce: z.string().optional(),
  created_at: z.string().optional(),
  updated_at: z.string().optional(),
});
export type FlyMachine = z.infer<typeof machineSchema>;

export type FlyMachineState = "started" | "stopped" | "suspended" | "destroyed" | "failed" | "settled";

const waitSchema = z.looseObject({
  ok: z.boolean(),
  state: z.string().optional(),
  version: z.string().optional(),
});
export type FlyWaitResult =
  { reached: true; state: string | undefined } | { reached: false; flyMessage: string };

/** The live API wraps leases in an envelope (ref §1.6), unlike the spec's bare Lease. */
const leaseSchema = z.looseObject({
  status: z.literal("success"),
  data: z.looseObject({
    nonce: z.string().min(1),
    expires_at: z.number(),
    owner: z.string().optional(),
    version: z.string().optional(),
  }),
});
export type FlyLease = { nonce: string; expiresAt: Date; owner: string | undefined };

const secretsSchema = z.looseObject({
  secrets: z.array(
    z.looseObject({ name: z.string(), digest: z.string().optional(), updated_at: z.string().optional() }),
  ),
});
const secretsWriteSchema = z.looseObject({ version: z.number() });

const anyBody = z.unknown();

// --- Client -----------------------------------------------------------------------------------------

type RequestInit = {
  method?: "GET" | "POST" | "DELETE";
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** Proves this caller holds the machine's lease (ref §1.6). */
  leaseNonce?: string | undefined;
  /** Statuses that are answers rather than failures for this call (e.g. 408 from wait). */
  accept?: number[];
  call?: CallOptions;
};

/** True when a failed non-idempotent call may nonetheless have taken effect on Fly's side. */
function outcomeUnknown(error: unknown): boolean {
  if (error instanceof ExternalTimeoutError) return true;
  if (!(error instanceof FlyApiError)) return false;
  // No answer (reset, dropped) or a gateway error after the request was sent.
  return error.upstreamStatus === 0 || error.upstreamStatus === 408 || error.upstreamStatus >= 500;
}

export function createFlyClient(deps: { apiUrl: string; resilience: Resilience }) {
  const baseUrl = `${deps.apiUrl.replace(/\/+$/, "")}/v1`;

  /** One call with one token; non-2xx answers (other than `accept`ed ones) become FlyApiErrors. */
  async function call<T>(
    token: string,
    what: string,
    path: string,
    schema: z.ZodType<T>,
    init: RequestInit = {},
  ): Promise<{ status: number; body: T | undefined }> {
    const method = init.method ?? "GET";
    const url = new URL(`${baseUrl}${path}`);
    for (const [key, value] of Object.entries(init.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: "application/json" };
    if (init.body !== undefined) headers["content-type"] = "application/json";
    if (init.leaseNonce) headers["fly-machine-lease-nonce"] = init.leaseNonce;
    const body = init.body === undefined ? undefined : JSON.stringify(init.body);

    return deps.resilience.execute(
      "fly",
      async (signal) => {
        let response: Response;
        try {
          response = await fetch(url, { method, headers, body, signal, redirect: "error" });
        } catch (error) {
          // Our own timeout aborted it: let the resilience layer report the timeout.
          if (signal.aborted) throw error;
          throw flyUnreachable(what, error);
        }
        if (init.accept?.includes(response.status)) {
          await response.body?.cancel();
          return { status: response.status, body: undefined };
        }
        if (!response.ok) throw await flyErrorFromResponse(what, response);
        const text = await response.text();
        const parsed = schema.safeParse(text === "" ? undefined : parseJson(text));
        if (!parsed.success) {
          throw flyUnexpectedBody(what, response.status, parsed.error.issues[0]?.message ?? "invalid body");
        }
        return { status: response.status, body: parsed.data };
      },
      init.call,
    );
  }

  async function json<T>(
    token: string,
    what: string,
    path: string,
    schema: z.ZodType<T>,
    init?: RequestInit,
  ) {
    const { body, status } = await call(token, what, path, schema, init);
    if (body === undefined) throw flyUnexpectedBody(what, status, "empty body");
    return body;
  }

  /**
   * A create whose answer may be lost: after a timeout or a gateway error, look for what it would have
   * made before trying again, so a create that did take effect is never repeated.
   */
  async function createReconciled<T>(
    create: () => Promise<T>,
    find: () => Promise<T | undefined>,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await create();
      } catch (error) {
        if (!outcomeUnknown(error) || attempt >= MAX_CREATE_ATTEMPTS) throw error;
        const existing = await find();
        if (existing !== undefined) return existing;
      }
    }
  }

  const enc = encodeURIComponent;

  /** Everything one Fly token may do. */
  function withToken(token: string) {
    const app = (name: string) => `/apps/${enc(name)}`;
    const machine = (appName: string, id: string) => `${app(appName)}/machines/${enc(id)}`;

    const api = {
      /** Token introspection: which organisation (and apps) the token opens (ref §1.11). */
      async currentToken(): Promise<FlyTokenInfo> {
        const body = await json(token, "the token check", "/tokens/current", currentTokenSchema);
        const [first] = body.tokens;
        if (!first) throw flyUnexpectedBody("the token check", 200, "no token");
        return { orgSlug: first.org_slug, organizationName: first.organization, apps: first.apps ?? [] };
      },

      async listRegions(): Promise<{ nearest: string | undefined; regions: FlyRegion[] }> {
        const body = await json(token, "the region list", "/platform/regions", regionsSchema);
        return { nearest: body.nearest, regions: body.regions };
      },

      async listApps(orgSlug: string): Promise<FlyApp[]> {
        return (await json(token, "the app list", "/apps", appListSchema, { query: { org_slug: orgSlug } }))
          .apps;
      },

      getApp(name: string): Promise<FlyApp> {
        return json(token, `app ${name}`, app(name), appSchema);
      },

      /** Free: nobody has it. Fly names are global; a name held by another organisation answers 403 (ref §5). */
      async isAppNameAvailable(name: string): Promise<boolean> {
        const { status } = await call(token, `app ${name}`, app(name), anyBody, { accept: [403, 404] });
        return status === 404;
      },

      /** Not retried blindly: a create whose answer was lost is looked up by name first. */
      createApp(input: { name: string; orgSlug: string; network?: string }): Promise<FlyApp> {
        return createReconciled(
          () =>
            json(token, `creating app ${input.name}`, "/apps", appSchema, {
              method: "POST",
              body: { name: input.name, org_slug: input.orgSlug, network: input.network },
              call: { idempotent: false },
            }),
          async () => {
            const { status, body } = await call(token, `app ${input.name}`, app(input.name), appSchema, {
              accept: [404],
            });
            if (status === 404 || !body) return undefined;
            if (body.organization && body.organization.slug !== input.orgSlug) return undefined;
            return body;
          },
        );
      },

      async deleteApp(name: string, options: { force?: boolean } = {}): Promise<void> {
        await call(token, `deleting app ${name}`, app(name), anyBody, {
          method: "DELETE",
          query: { force: options.force },
        });
      },

      listMachines(
        appName: string,
        filter: {
          state?: string[];
          region?: string;
          summary?: boolean;
          includeDeleted?: boolean;
          metadata?: Record<string, string>;
        } = {},
      ): Promise<FlyMachine[]> {
        const query: Record<string, string | boolean | undefined> = {
          state: filter.state?.join(","),
          region: filter.region,
          summary: filter.summary,
          include_deleted: filter.includeDeleted,
        };
        for (const [key, value] of Object.entries(filter.metadata ?? {})) query[`metadata.${key}`] = value;
        return json(token, `the machines of ${appName}`, `${app(appName)}/machines`, z.array(machineSchema), {
          query,
        });
      },

      getMachine(appName: string, id: string): Promise<FlyMachine> {
        return json(token, `machine ${id}`, machine(appName, id), machineSchema);
      },

      /**
       * Creates a machine tagged with `launchId` in its metadata; when the answer is lost the machine is
       * looked up by that tag instead of being created twice.
       */
      createMachine(
        appName: string,
        request: FlyCreateMachineRequest,
        launchId: string,
      ): Promise<FlyMachine> {
        const tagged: FlyCreateMachineRequest = {
          ...request,
          config: {
            ...request.config,
            metadata: { ...request.config.metadata, [LAUNCH_ID_METADATA_KEY]: launchId },
          },
        };
        return createReconciled(
          () =>
            json(token, `creating a machine in ${appName}`, `${app(appName)}/machines`, machineSchema, {
              method: "POST",
              body: tagged,
              call: { idempotent: false },
            }),
          async () =>
            (await api.listMachines(appName, { metadata: { [LAUNCH_ID_METADATA_KEY]: launchId } }))[0],
        );
      },

      /** Full config replace (ref §1.5); repeating it leaves the same configuration, so it is retried. */
      updateMachine(
        appName: string,
        id: string,
        request: FlyUpdateMachineRequest,
        leaseNonce?: string,
      ): Promise<FlyMachine> {
        return json(token, `updating machine ${id}`, machine(appName, id), machineSchema, {
          method: "POST",
          body: request,
          leaseNonce,
        });
      },

      async startMachine(appName: string, id: string, leaseNonce?: string): Promise<void> {
        await call(token, `starting machine ${id}`, `${machine(appName, id)}/start`, anyBody, {
          method: "POST",
          leaseNonce,
        });
      },

      async stopMachine(
        appName: string,
        id: string,
        options: { signal?: string; timeout?: string; leaseNonce?: string } = {},
      ): Promise<void> {
        await call(token, `stopping machine ${id}`, `${machine(appName, id)}/stop`, anyBody, {
          method: "POST",
          body: { signal: options.signal, timeout: options.timeout },
          leaseNonce: options.leaseNonce,
        });
      },

      async deleteMachine(
        appName: string,
        id: string,
        options: { force?: boolean; leaseNonce?: string } = {},
      ): Promise<void> {
        await call(token, `deleting machine ${id}`, machine(appName, id), anyBody, {
          method: "DELETE",
          query: { force: options.force },
          leaseNonce: options.leaseNonce,
        });
      },

      /**
       * Long-polls until the machine (optionally a given version) reaches `state`. Fly's 408 on its own
       * deadline is an answer, not a failure: `reached: false`, and the caller decides whether to wait again.
       */
      async waitForState(
        appName: string,
        id: string,
        options: { state: FlyMachineState; version?: string; timeoutSeconds?: number },
      ): Promise<FlyWaitResult> {
        const timeoutSeconds = Math.min(
          MAX_WAIT_SECONDS,
          Math.max(1, Math.round(options.timeoutSeconds ?? 60)),
        );
        const { status, body } = await call(
          token,
          `waiting for machine ${id}`,
          `${machine(appName, id)}/wait`,
          waitSchema,
          {
            query: { state: options.state, version: options.version, timeout: timeoutSeconds },
            accept: [408],
            call: { timeoutMs: timeoutSeconds * 1000 + WAIT_GRACE_MS },
          },
        );
        if (status === 408 || !body) {
          return {
            reached: false,
            flyMessage: `machine did not reach ${options.state} within ${timeoutSeconds}s`,
          };
        }
        return { reached: true, state: body.state };
      },

      /** A new lease; held by someone else → FlyApiError 409. Not retried: a lost answer may hold it. */
      async acquireLease(
        appName: string,
        id: string,
        options: { ttlSeconds: number; description?: string },
      ): Promise<FlyLease> {
        const body = await json(
          token,
          `leasing machine ${id}`,
          `${machine(appName, id)}/lease`,
          leaseSchema,
          {
            method: "POST",
            body: { ttl: options.ttlSeconds, description: options.description },
            call: { idempotent: false },
          },
        );
        return leaseOf(body);
      },

      /** Extends our lease; Fly returns the same nonce (ref §1.6). */
      async refreshLease(appName: string, id: string, nonce: string, ttlSeconds: number): Promise<FlyLease> {
        const body = await json(
          token,
          `refreshing the lease on ${id}`,
          `${machine(appName, id)}/lease`,
          leaseSchema,
          {
            method: "POST",
            body: { ttl: ttlSeconds },
            leaseNonce: nonce,
          },
        );
        return leaseOf(body);
      },

      async releaseLease(appName: string, id: string, nonce: string): Promise<void> {
        await call(token, `releasing the lease on ${id}`, `${machine(appName, id)}/lease`, anyBody, {
          method: "DELETE",
          leaseNonce: nonce,
        });
      },

      /** Names and digests only: Hangar never reads secret values back. */
      async listSecrets(appName: string): Promise<{ name: string; digest: string | undefined }[]> {
        const body = await json(token, `the secrets of ${appName}`, `${app(appName)}/secrets`, secretsSchema);
        return body.secrets.map((secret) => ({ name: secret.name, digest: secret.digest }));
      },

      /** Sets and unsets (null) in one write; returns the new secrets version for `min_secrets_version`. */
      async setSecrets(appName: string, values: Record<string, string | null>): Promise<number> {
        const body = await json(
          token,
          `updating the secrets of ${appName}`,
          `${app(appName)}/secrets`,
          secretsWriteSchema,
          {
            method: "POST",
            body: { values },
          },
        );
        return body.version;
      },

      unsetSecrets(appName: string, names: string[]): Promise<number> {
        return api.setSecrets(appName, Object.fromEntries(names.map((name) => [name, null])));
      },
    };
    return api;
  }

  return { withToken };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function leaseOf(body: z.infer<typeof leaseSchema>): FlyLease {
  return { nonce: body.data.nonce, expiresAt: new Date(body.data.expires_at * 1000), owner: body.data.owner };
}

export type FlyClient = ReturnType<typeof createFlyClient>;
export type FlyApi = ReturnType<FlyClient["withToken"]>;
