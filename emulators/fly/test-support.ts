import { afterAll, beforeAll, beforeEach } from "vitest";
import { startFlyEmulator, type FlyEmulator } from "./server.ts";

export const ORG = "personal";
export const TOKEN = "fo1_test_org_token";

export type JsonRecord = Record<string, unknown>;

/** The parts of Fly's bodies the tests read. */
export interface ErrorBody {
  error: string;
  status?: string;
}

export interface MachineBody {
  id: string;
  name: string;
  state: string;
  region: string;
  instance_id: string;
  nonce?: string;
  config: { image: string; metadata?: Record<string, string>; env?: Record<string, string> };
  checks?: { name: string; status: string; output: string }[];
  events?: {
    id: string;
    type: string;
    status: string;
    source: string;
    timestamp: number;
    request?: JsonRecord;
  }[];
}

export interface LeaseBody {
  status: string;
  data: { nonce: string; expires_at: number; owner: string; description: string; version: string };
}

export interface StateDump {
  apps: {
    name: string;
    secrets: { version: number; propagatedVersion: number; values: Record<string, string> };
  }[];
  machines: {
    id: string;
    app: string;
    state: string;
    instanceId: string;
    versions: { version: string; status: string; image: string }[];
    lease: { nonce: string } | null;
    minSecretsVersion: number | null;
    secretsSeen: { version: number; values: Record<string, string> } | null;
    restartCount: number;
  }[];
  leases: { machineId: string; nonce: string }[];
  images: { ref: string }[];
  faults: JsonRecord | null;
  events: { app: string; machineId: string | null; message: string }[];
  organizations: { slug: string }[];
  tokens: { token: string }[];
  timeScale: number;
}

export interface ApiResponse<Body = unknown> {
  status: number;
  headers: Headers;
  body: Body;
}

export interface RequestOptions {
  body?: unknown;
  token?: string | null;
  /** Sent as `Authorization` verbatim (overrides `token`). */
  authorization?: string;
  headers?: Record<string, string>;
}

/** Observes every API exchange, e.g. to check it against the OpenAPI spec. */
export type ExchangeObserver = (exchange: {
  method: string;
  url: string;
  requestBody: unknown;
  status: number;
  responseBody: unknown;
}) => void;

export interface TestEmulator {
  url: string;
  close(): Promise<void>;
  /** A Machines API call (`path` starts with `/v1`); bodies are parsed as JSON when there is one. */
  api<Body = JsonRecord>(method: string, path: string, options?: RequestOptions): Promise<ApiResponse<Body>>;
  control<Body = JsonRecord>(method: string, path: string, body?: unknown): Promise<ApiResponse<Body>>;
  observe(observer: ExchangeObserver | undefined): void;
}

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** An emulator on a random port, seeded with one organization and an org token, running 50× faster. */
export async function startTestEmulator(options: { timeScale?: number } = {}): Promise<TestEmulator> {
  const emulator: FlyEmulator = await startFlyEmulator({
    timeScale: options.timeScale ?? 50,
    seed: { organizations: [{ slug: ORG, name: "Personal" }], tokens: [{ token: TOKEN, orgSlug: ORG }] },
  });
  let observer: ExchangeObserver | undefined;
  const send = async (method: string, path: string, options: RequestOptions) => {
    const headers: Record<string, string> = { ...options.headers };
    const token = options.token === undefined ? TOKEN : options.token;
    if (options.authorization !== undefined) headers.authorization = options.authorization;
    else if (token !== null) headers.authorization = `Bearer ${token}`;
    if (options.body !== undefined) headers["content-type"] = "application/json";
    const response = await fetch(`${emulator.url}${path}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    return { status: response.status, headers: response.headers, body: await readBody(response) };
  };
  return {
    url: emulator.url,
    close: () => emulator.close(),
    async api(method, path, options = {}) {
      const response = await send(method, path, options);
      observer?.({
        method,
        url: path,
        requestBody: options.body,
        status: response.status,
        responseBody: response.body,
      });
      return response as ApiResponse<never>;
    },
    async control(method, path, body) {
      return (await send(method, `/_emulator${path}`, { body, token: null })) as ApiResponse<never>;
    },
    observe(next) {
      observer = next;
    },
  };
}

/** Polls `read` until `done` accepts its value; emulated time runs fast, so this is short in practice. */
export async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`condition not met within ${timeoutMs} ms: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export const IMAGE = "registry.fly.io/hello-app:deployment-01";
export const NEXT_IMAGE = "registry.fly.io/hello-app:deployment-02";

/** Registers the test images and creates an app. */
export async function prepareApp(emulator: TestEmulator, name: string): Promise<void> {
  await emulator.control("POST", "/images", { ref: IMAGE });
  await emulator.control("POST", "/images", { ref: NEXT_IMAGE });
  const created = await emulator.api("POST", "/v1/apps", { body: { name, org_slug: ORG } });
  if (created.status !== 201)
    throw new Error(`could not create app ${name}: ${JSON.stringify(created.body)}`);
}

/**
 * One emulator for the test file: started before its tests, reset (then `prepare`d) before each, closed
 * after. The returned object forwards to it, so tests read `emulator.api(...)` as before.
 */
export function useTestEmulator(prepare?: (emulator: TestEmulator) => Promise<void>): TestEmulator {
  let current: TestEmulator | undefined;
  const started = (): TestEmulator => {
    if (!current) throw new Error("the emulator is started in beforeAll");
    return current;
  };
  beforeAll(async () => {
    current = await startTestEmulator();
  });
  afterAll(async () => {
    await current?.close();
  });
  beforeEach(async () => {
    await started().control("POST", "/reset");
    await prepare?.(started());
  });
  return {
    get url() {
      return started().url;
    },
    close: () => started().close(),
    api: <Body = JsonRecord>(method: string, path: string, options?: RequestOptions) =>
      started().api<Body>(method, path, options),
    control: <Body = JsonRecord>(method: string, path: string, body?: unknown) =>
      started().control<Body>(method, path, body),
    observe: (observer) => started().observe(observer),
  };
}
