// Hangar's Fly Machines API client: plain fetch to whatever base URL it is given (api.machines.dev or
// the emulator), `Authorization: Bearer <token>`, every call through the resilience layer as service
// "fly", answers validated by schemas. Shapes follow shared/reference/fly-machines-api.md (cited as
// "ref §x"), including where the live API differs from its OpenAPI spec (lease envelope, create bodies).
//
// Hand-written: npm clients cannot send `fly-machine-lease-nonce`, and each call needs its own
// retry stance (creates and leases are not idempotent and are reconciled instead of repeated). A
// caller's signal (`withToken(token, { signal })`) cancels calls without counting against the breaker.
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

/** A health check, top-level (`config.checks`) or of a service (ref §1.5); durations are Go strings. */
export type FlyMachineCheck = {
  type: "tcp" | "http";
  port?: number;
  interval?: string;
  timeout?: string;
  grace_period?: string;
  method?: string;
  path?: string;
  protocol?: "http" | "https";
  tls_skip_verify?: boolean;
  tls_server_name?: string;
  headers?: { name: string; values: string[] }[];
};

export type FlyMachinePort = {
  port?: number;
  start_port?: number;
  end_port?: number;
  handlers?: string[];
  force_https?: boolean;
};

export type FlyMachineService = {
  protocol: "tcp" | "udp";
  internal_port: number;
  ports?: FlyMachinePort[];
  /** Fly reads back `true`/`false` for "stop"/"off" (ref §1.5). */
  autostop?: "off" | "stop" | "suspend" | boolean;
  autostart?: boolean;
  min_machines_running?: number;
  concurrency?: { type?: "connections" | "requests"; soft_limit?: number; hard_limit?: number };
  checks?: FlyMachineCheck[];
};

/** Everything of a machine config but its image and metadata: what a fly.toml describes. */
export type FlyMachineSettings = {
  env?: Record<string, string>;
  guest?: { cpu_kind?: "shared" | "performance"; cpus?: number; memory_mb?: number };
  services?: FlyMachineService[];
  checks?: Record<string, FlyMachineCheck>;
  restart?: { policy?: "no" | "always" | "on-failure" | "spot-price"; max_retries?: number };
  stop_config?: { signal?: string; timeout?: string };
  init?: { cmd?: string[]; entrypoint?: string[]; exec?: string[] };
  auto_destroy?: boolean;
};

/** Only `image` is required; Hangar passes the rest through as Fly documents it. */
export type FlyMachineConfig = FlyMachineSettings & {
  image: string;
  metadata?: Record<string, string>;
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
  /** Newest first. */
  events: z
    .array(
      z.looseObject({
        type: z.string(),
        status: z.string(),
        timestamp: z.number().optional(),
        request: z
          .looseObject({
            error: z.string().optional(),
            restart_count: z.number().optional(),
            exit_event: z
              .looseObject({ exit_code: z.number().optional(), restarting: z.boolean().optional() })
              .optional(),
          })
          .nullish(),
      }),
    )
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
  | { reached: true; state: string | undefined; version: string | undefined }
  | { reached: false; flyMessage: string };

/** The live API wraps leases in an envelope (ref §1.6), unlike the spec's bare Lease. */
const leaseSchema = z.looseObject({
  status: z.literal("success"),
  data: z.looseObject({
    nonce: z.string().min(1),
    expires_at: z.number(),
    owner: z.string().optional(),
    description: z.string().optional(),
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

/** Whose call it is: the token, and the caller's signal that cancels it. */
type Caller = { token: string; signal: AbortSignal | undefined };

/**
 * Thrown inside the resilience layer when the caller's signal stopped an attempt. Neither retryable
 * nor a sign of an unwell Fly, so the breaker does not count it; callers see the signal's reason.
 */
class CallerAborted extends Error {}

export function createFlyClient(deps: { apiUrl: string; resilience: Resilience }) {
  const baseUrl = `${deps.apiUrl.replace(/\/+$/, "")}/v1`;

  /**
   * One call with one token; non-2xx answers (other than `accept`ed ones) become FlyApiErrors. When the
   * caller's signal aborts, the call rejects at once with the signal's reason and is not retried.
   */
  async function call<T>(
    caller: Caller,
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
    const headers: Record<string, string> = {
      authorization: `Bearer ${caller.token}`,
      accept: "application/json",
    };
    if (init.body !== undefined) headers["content-type"] = "application/json";
    if (init.leaseNonce) headers["fly-machine-lease-nonce"] = init.leaseNonce;
    const body = init.body === undefined ? undefined : JSON.stringify(init.body);
    const callerSignal = caller.signal;
    callerSignal?.throwIfAborted();

    const attempt = async (timeoutSignal: AbortSignal) => {
      const signal = callerSignal ? AbortSignal.any([timeoutSignal, callerSignal]) : timeoutSignal;
      let response: Response;
      try {
        response = await fetch(url, { method, headers, body, signal, redirect: "error" });
      } catch (error) {
        // Our own timeout aborted it: let the resilience layer report the timeout.
        if (timeoutSignal.aborted) throw error;
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
    };
    if (!callerSignal) return deps.resilience.execute("fly", attempt, init.call);

    // The caller's signal is not handed to the resilience layer: its timeout policy would turn the
    // abort into a timeout the breaker counts. Instead each attempt watches it, and the race below
    // stops waiting at once, also during a backoff before a retry (which then never starts).
    const execution = deps.resilience.execute(
      "fly",
      async (timeoutSignal) => {
        if (callerSignal.aborted) throw new CallerAborted();
        try {
          return await attempt(timeoutSignal);
        } catch (error) {
          throw callerSignal.aborted ? new CallerAborted() : error;
        }
      },
      init.call,
    );
    let onAbort = () => {};
    const aborted = new Promise<undefined>((resolve) => {
      onAbort = () => resolve(undefined);
    });
    callerSignal.addEventListener("abort", onAbort, { once: true });
    try {
      const outcome = await Promise.race([execution, aborted]);
      if (outcome) return outcome;
    } catch (error) {
      if (!callerSignal.aborted) throw error;
    } finally {
      callerSignal.removeEventListener("abort", onAbort);
    }
    execution.catch(() => {}); // ends with CallerAborted, which nobody needs
    throw callerSignal.reason;
  }

  async function json<T>(
    caller: Caller,
    what: string,
    path: string,
    schema: z.ZodType<T>,
    init?: RequestInit,
  ) {
    const { body, status } = await call(caller, what, path, schema, init);
    if (body === undefined) throw flyUnexpectedBody(what, status, "empty body");
    return body;
  }

  /**
   * Everything one Fly token may do. With `signal`, every call rejects with the signal's reason as soon as
   * it aborts (in flight or waiting to retry), and nothing is retried after.
   */
  function withToken(token: string, options: { signal?: AbortSignal } = {}): FlyApi {
    return {
      ...flyCalls({ call, json }, { token, signal: options.signal }),
      withSignal: (signal) => withToken(token, { signal }),
    };
  }

  return { withToken };
}

/**
 * A create whose answer may be lost: after a timeout or a gateway error, look for what it would have
 * made before trying again, so a create that did take effect is never repeated.
 */
async function createReconciled<T>(create: () => Promise<T>, find: () => Promise<T | undefined>): Promise<T> {
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

type Transport = {
  call: <T>(
    caller: Caller,
    what: string,
    path: string,
    schema: z.ZodType<T>,
    init?: RequestInit,
  ) => Promise<{ status: number; body: T | undefined }>;
  json: <T>(
    caller: Caller,
    what: string,
    path: string,
    schema: z.ZodType<T>,
    init?: RequestInit,
  ) => Promise<T>;
};

const enc = encodeURIComponent;

/** The Machines API calls, made with one caller's token and signal. */
function flyCalls({ call, json }: Transport, caller: Caller) {
  const app = (name: string) => `/apps/${enc(name)}`;
  const machine = (appName: string, id: string) => `${app(appName)}/machines/${enc(id)}`;

  /** The lease in force on a machine, nonce included; undefined when there is none. */
  async function findLease(appName: string, id: string) {
    const found = await call(caller, `the lease on ${id}`, `${machine(appName, id)}/lease`, leaseSchema, {
      accept: [404],
    });
    return found.body;
  }

  const api = {
    /** Token introspection: which organisation (and apps) the token opens (ref §1.11). */
    async currentToken(): Promise<FlyTokenInfo> {
      const body = await json(caller, "the token check", "/tokens/current", currentTokenSchema);
      const [first] = body.tokens;
      if (!first) throw flyUnexpectedBody("the token check", 200, "no token");
      return { orgSlug: first.org_slug, organizationName: first.organization, apps: first.apps ?? [] };
    },

    async listRegions(): Promise<{ nearest: string | undefined; regions: FlyRegion[] }> {
      const body = await json(caller, "the region list", "/platform/regions", regionsSchema);
      return { nearest: body.nearest, regions: body.regions };
    },

    async listApps(orgSlug: string): Promise<FlyApp[]> {
      return (await json(caller, "the app list", "/apps", appListSchema, { query: { org_slug: orgSlug } }))
        .apps;
    },

    getApp(name: string): Promise<FlyApp> {
      return json(caller, `app ${name}`, app(name), appSchema);
    },

    /** Free: nobody has it. Fly names are global; a name held by another organisation answers 403 (ref §5). */
    async isAppNameAvailable(name: string): Promise<boolean> {
      const { status } = await call(caller, `app ${name}`, app(name), anyBody, { accept: [403, 404] });
      return status === 404;
    },

    /** Not retried blindly: a create whose answer was lost is looked up by name first. */
    createApp(input: { name: string; orgSlug: string; network?: string }): Promise<FlyApp> {
      return createReconciled(
        () =>
          json(caller, `creating app ${input.name}`, "/apps", appSchema, {
            method: "POST",
            body: { name: input.name, org_slug: input.orgSlug, network: input.network },
            call: { idempotent: false },
          }),
        async () => {
          const { status, body } = await call(caller, `app ${input.name}`, app(input.name), appSchema, {
            accept: [404],
          });
          if (status === 404 || !body) return undefined;
          if (body.organization && body.organization.slug !== input.orgSlug) return undefined;
          return body;
        },
      );
    },

    async deleteApp(name: string, options: { force?: boolean } = {}): Promise<void> {
      await call(caller, `deleting app ${name}`, app(name), anyBody, {
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
      return json(caller, `the machines of ${appName}`, `${app(appName)}/machines`, z.array(machineSchema), {
        query,
      });
    },

    getMachine(appName: string, id: string): Promise<FlyMachine> {
      return json(caller, `machine ${id}`, machine(appName, id), machineSchema);
    },

    /**
     * Creates a machine tagged with `launchId` in its metadata; when the answer is lost the machine is
     * looked up by that tag instead of being created twice.
     */
    createMachine(appName: string, request: FlyCreateMachineRequest, launchId: string): Promise<FlyMachine> {
      const tagged: FlyCreateMachineRequest = {
        ...request,
        config: {
          ...request.config,
          metadata: { ...request.config.metadata, [LAUNCH_ID_METADATA_KEY]: launchId },
        },
      };
      return createReconciled(
        () =>
          json(caller, `creating a machine in ${appName}`, `${app(appName)}/machines`, machineSchema, {
            method: "POST",
            body: tagged,
            call: { idempotent: false },
          }),
        async () => {
          const found = (
            await api.listMachines(appName, { metadata: { [LAUNCH_ID_METADATA_KEY]: launchId } })
          )[0];
          if (!found || request.lease_ttl === undefined) return found;
          // The lost answer carried the nonce of the lease the create took, and a listing does not. Nobody
          // else has this machine's id yet, so the lease on it is that one; without its nonce it could
          // not be released, and would hold off the next deployment until it expired.
          const lease = await findLease(appName, found.id);
          return lease ? { ...found, nonce: lease.data.nonce } : found;
        },
      );
    },

    /** Full config replace (ref §1.5); repeating it leaves the same configuration, so it is retried. */
    updateMachine(
      appName: string,
      id: string,
      request: FlyUpdateMachineRequest,
      leaseNonce?: string,
    ): Promise<FlyMachine> {
      return json(caller, `updating machine ${id}`, machine(appName, id), machineSchema, {
        method: "POST",
        body: request,
        leaseNonce,
      });
    },

    async startMachine(appName: string, id: string, leaseNonce?: string): Promise<void> {
      await call(caller, `starting machine ${id}`, `${machine(appName, id)}/start`, anyBody, {
        method: "POST",
        leaseNonce,
      });
    },

    async stopMachine(
      appName: string,
      id: string,
      options: { signal?: string; timeout?: string; leaseNonce?: string } = {},
    ): Promise<void> {
      await call(caller, `stopping machine ${id}`, `${machine(appName, id)}/stop`, anyBody, {
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
      await call(caller, `deleting machine ${id}`, machine(appName, id), anyBody, {
        method: "DELETE",
        query: { force: options.force },
        leaseNonce: options.leaseNonce,
      });
    },

    /**
     * Long-polls until the machine (optionally a given version) reaches `state` (or one of several).
     * Fly's 408 on its own deadline is an answer, not a failure: `reached: false`, and the caller decides
     * whether to wait again. `version` is the one Fly answers for: after a failed update it is the
     * previous one the machine reverted to (ref §1.7), so compare it.
     */
    async waitForState(
      appName: string,
      id: string,
      options: {
        state: FlyMachineState | FlyMachineState[];
        version?: string;
        timeoutSeconds?: number;
      },
    ): Promise<FlyWaitResult> {
      const states = [options.state].flat().join(",");
      const timeoutSeconds = Math.min(
        MAX_WAIT_SECONDS,
        Math.max(1, Math.round(options.timeoutSeconds ?? 60)),
      );
      const { status, body } = await call(
        caller,
        `waiting for machine ${id}`,
        `${machine(appName, id)}/wait`,
        waitSchema,
        {
          query: { state: states, version: options.version, timeout: timeoutSeconds },
          accept: [408],
          call: { timeoutMs: timeoutSeconds * 1000 + WAIT_GRACE_MS },
        },
      );
      if (status === 408 || !body) {
        return {
          reached: false,
          flyMessage: `machine did not reach ${states} within ${timeoutSeconds}s`,
        };
      }
      return { reached: true, state: body.state, version: body.version };
    },

    /**
     * A new lease; held by someone else → FlyApiError 409. Not retried blindly: when the answer is lost,
     * the machine's current lease is ours if it carries our `description`, so make that unique.
     */
    async acquireLease(
      appName: string,
      id: string,
      options: { ttlSeconds: number; description: string },
    ): Promise<FlyLease> {
      const path = `${machine(appName, id)}/lease`;
      const body = await createReconciled(
        () =>
          json(caller, `leasing machine ${id}`, path, leaseSchema, {
            method: "POST",
            body: { ttl: options.ttlSeconds, description: options.description },
            call: { idempotent: false },
          }),
        async () => {
          const found = await findLease(appName, id);
          return found?.data.description === options.description ? found : undefined;
        },
      );
      return leaseOf(body);
    },

    /** Extends our lease; Fly returns the same nonce (ref §1.6). */
    async refreshLease(appName: string, id: string, nonce: string, ttlSeconds: number): Promise<FlyLease> {
      const body = await json(
        caller,
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

    /** A lease already gone (expired, or released by a retry whose first answer was lost) is fine. */
    async releaseLease(appName: string, id: string, nonce: string): Promise<void> {
      await call(caller, `releasing the lease on ${id}`, `${machine(appName, id)}/lease`, anyBody, {
        method: "DELETE",
        leaseNonce: nonce,
        accept: [404],
      });
    },

    /** Names and digests only: Hangar never reads secret values back. */
    async listSecrets(appName: string): Promise<{ name: string; digest: string | undefined }[]> {
      const body = await json(caller, `the secrets of ${appName}`, `${app(appName)}/secrets`, secretsSchema);
      return body.secrets.map((secret) => ({ name: secret.name, digest: secret.digest }));
    },

    /** Sets and unsets (null) in one write; returns the new secrets version for `min_secrets_version`. */
    async setSecrets(appName: string, values: Record<string, string | null>): Promise<number> {
      const body = await json(
        caller,
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
export type FlyApi = ReturnType<typeof flyCalls> & {
  /** The same API cancelled by another signal, or by none (e.g. to clean up after a cancel). */
  withSignal(signal: AbortSignal | undefined): FlyApi;
};
