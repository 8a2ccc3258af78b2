import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { SignJWT } from "jose";
import { startGitHubEmulator, type GitHubEmulatorOptions } from "./server.ts";

/** Shared helpers for the emulator's tests (not a test file itself). */

export const APP_ID = 4242;
export const CLIENT_ID = "Iv23liEmulatorTest";
export const CLIENT_SECRET = "emulator-client-secret";
export const WEBHOOK_SECRET = "It's a Secret to Everybody";
export const USER_AGENT = "hangar-emulator-tests";

const keys = generateKeyPairSync("rsa", { modulusLength: 2048 });
const otherKeys = generateKeyPairSync("rsa", { modulusLength: 2048 });

export interface TestEmulator {
  url: string;
  api: string;
  close(): Promise<void>;
  /** App JWT signed with the App's key; claims can be overridden (undefined removes one). */
  appJwt(claims?: Record<string, unknown>, options?: { key?: KeyObject }): Promise<string>;
  /** GET/POST/… on the REST API with a credential ("Bearer x" style header value or none). */
  rest(
    path: string,
    init?: { method?: string; auth?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<Response>;
  control<T = unknown>(path: string, body?: unknown, method?: string): Promise<T>;
  /** Creates an installation through the control API and returns its id and a fresh installation token. */
  installation(account?: string, repositories?: string[] | "all"): Promise<{ id: number; token: string }>;
  /** Runs the OAuth web flow for `login` and returns the token response. */
  userTokens(login?: string): Promise<{ access_token: string; refresh_token: string; expires_in: number }>;
}

export const wrongKey = otherKeys.privateKey;

export async function startTestEmulator(
  overrides: Partial<GitHubEmulatorOptions> = {},
): Promise<TestEmulator> {
  const emulator = await startGitHubEmulator({
    appId: APP_ID,
    appPublicKeyPem: keys.publicKey.export({ type: "spki", format: "pem" }).toString(),
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    webhookSecret: WEBHOOK_SECRET,
    ...overrides,
  });
  const api = `${emulator.url}/api/v3`;

  const appJwt: TestEmulator["appJwt"] = async (claims = {}, options = {}) => {
    const now = Math.floor(Date.now() / 1000);
    const payload: Record<string, unknown> = { iat: now - 30, exp: now + 570, iss: APP_ID, ...claims };
    for (const [key, value] of Object.entries(payload)) if (value === undefined) delete payload[key];
    return new SignJWT(payload)
      .setProtectedHeader({ alg: "RS256", typ: "JWT" })
      .sign(options.key ?? keys.privateKey);
  };

  const rest: TestEmulator["rest"] = (path, init = {}) =>
    fetch(`${api}${path}`, {
      method: init.method ?? "GET",
      headers: {
        "user-agent": USER_AGENT,
        accept: "application/vnd.github+json",
        ...(init.auth ? { authorization: init.auth } : {}),
        ...(init.body !== undefined ? { "content-type": "application/json" } : {}),
        ...init.headers,
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      redirect: "manual",
    });

  const control: TestEmulator["control"] = async <T>(path: string, body?: unknown, method = "POST") => {
    const response = await fetch(`${emulator.url}/_emulator${path}`, {
      method: body === undefined && method === "POST" ? "POST" : method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`control ${path} → ${response.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };

  const installation: TestEmulator["installation"] = async (account = "acme", repositories = "all") => {
    const { id } = await control<{ id: number }>("/installations", { account, repositories });
    const response = await rest(`/app/installations/${id}/access_tokens`, {
      method: "POST",
      auth: `Bearer ${await appJwt()}`,
    });
    const { token } = (await response.json()) as { token: string };
    return { id, token };
  };

  const userTokens: TestEmulator["userTokens"] = async (login = "octocat") => {
    const authorize = await fetch(`${emulator.url}/login/oauth/authorize`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        client_id: CLIENT_ID,
        redirect_uri: "http://hangar.test/callback",
        state: "st",
        login,
        decision: "authorize",
      }),
      redirect: "manual",
    });
    const code = new URL(authorize.headers.get("location") ?? "").searchParams.get("code") ?? "";
    const exchange = await fetch(`${emulator.url}/login/oauth/access_token`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, code }),
    });
    return (await exchange.json()) as { access_token: string; refresh_token: string; expires_in: number };
  };

  return {
    url: emulator.url,
    api,
    close: () => emulator.close(),
    appJwt,
    rest,
    control,
    installation,
    userTokens,
  };
}

interface ReceivedDelivery {
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A webhook receiver that records raw requests and answers with `status` (changeable). */
export async function startReceiver(initialStatus = 200) {
  const received: ReceivedDelivery[] = [];
  let status = initialStatus;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(status, { "content-type": "text/plain" }).end(status < 300 ? "ok\n" : "nope\n");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    setStatus(next: number) {
      status = next;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
