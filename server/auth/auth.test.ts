// Accounts over real HTTP: sign-up, sign-in, sign-out, failures and their audit records.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signUp, startTestServer, type TestServer } from "../test/harness.ts";

describe("accounts", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ limits: { signInFailuresAllowed: 3 } });
  });
  afterAll(() => server.close());

  const signIn = (email: string, password: string) =>
    fetch(`${server.url}/api/auth/sign-in/email`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: server.url },
      body: JSON.stringify({ email, password }),
    });

  const auditActions = async (where: { actorUserId?: string; actorLabel?: string }) =>
    (
      await server.database.db.auditEvent.findMany({
        where,
        orderBy: { createdAt: "asc" },
        select: { action: true },
      })
    ).map((event) => event.action);

  it("sign-up creates the user, an HTTP-only session cookie and a personal organisation they own", async () => {
    const response = await fetch(`${server.url}/api/auth/sign-up/email`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: server.url },
      body: JSON.stringify({ email: "grace@example.com", password: "correct-horse-battery", name: "Grace" }),
    });
    expect(response.status).toBe(200);
    const cookie = response.headers.getSetCookie().find((value) => value.startsWith("hangar.session_token="));
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    const { user } = (await response.json()) as { user: { id: string } };

    const organizations = await server.services.organizations.listForUser(user.id);
    expect(organizations).toEqual([
      expect.objectContaining({ personal: true, role: "owner", slug: "grace" }),
    ]);
    expect(await auditActions({ actorUserId: user.id })).toEqual(["auth.sign_up", "organization.create"]);
  });

  it("signs in with the right password and records it; the wrong one gets a structured 401", async () => {
    const user = await signUp(server, { email: "hopper@example.com" });
    const wrong = await signIn(user.email, "not-the-password");
    expect(wrong.status).toBe(401);
    const body = (await wrong.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ code: "INVALID_EMAIL_OR_PASSWORD", message: "Invalid email or password" });
    expect(body.requestId).toEqual(wrong.headers.get("x-request-id"));
    expect(await auditActions({ actorLabel: user.email })).toContain("auth.sign_in_failed");

    const right = await signIn(user.email, "correct-horse-battery");
    expect(right.status).toBe(200);
    expect(await auditActions({ actorUserId: user.userId })).toContain("auth.sign_in");
  });

  it("blocks an email after repeated failed sign-ins, even with the right password, and says when to retry", async () => {
    const user = await signUp(server, { email: "lovelace@example.com" });
    for (let attempt = 0; attempt < 3; attempt++)
      expect((await signIn(user.email, "wrong-password")).status).toBe(401);
    const blocked = await signIn(user.email, "correct-horse-battery");
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await blocked.json()).toMatchObject({ code: "SIGN_IN_RATE_LIMITED" });
    // Another account from the same address is unaffected.
    const other = await signUp(server, { email: "babbage@example.com" });
    expect((await signIn(other.email, "correct-horse-battery")).status).toBe(200);
  });

  it("a successful sign-in clears earlier failures", async () => {
    const user = await signUp(server, { email: "turing@example.com" });
    for (let attempt = 0; attempt < 2; attempt++) await signIn(user.email, "wrong-password");
    expect((await signIn(user.email, "correct-horse-battery")).status).toBe(200);
    for (let attempt = 0; attempt < 2; attempt++) await signIn(user.email, "wrong-password");
    expect((await signIn(user.email, "correct-horse-battery")).status).toBe(200);
  });

  it("sign-out ends the session and is recorded", async () => {
    const user = await signUp(server);
    const me = () => fetch(`${server.url}/api/trpc/account.me`, { headers: { cookie: user.cookie } });
    expect((await me()).status).toBe(200);
    const out = await fetch(`${server.url}/api/auth/sign-out`, {
      method: "POST",
      headers: { cookie: user.cookie, origin: server.url, "content-type": "application/json" },
      body: "{}",
    });
    expect(out.status).toBe(200);
    expect((await me()).status).toBe(401);
    expect(await auditActions({ actorUserId: user.userId })).toContain("auth.sign_out");
  });

  it("refuses a forged or tampered session cookie with a structured 401", async () => {
    const user = await signUp(server);
    const tampered = user.cookie.replace(/=([^.]+)\./, "=AAAA$1.");
    for (const cookie of [tampered, "hangar.session_token=forged.signature"]) {
      const response = await fetch(`${server.url}/api/trpc/account.me`, { headers: { cookie } });
      expect(response.status).toBe(401);
      const body = (await response.json()) as {
        error: { json: { data: { code: string; requestId: string } } };
      };
      expect(body.error.json.data.code).toBe("UNAUTHORIZED");
      expect(body.error.json.data.requestId).toBeTruthy();
    }
  });

  it("refuses an expired session with a structured 401", async () => {
    const user = await signUp(server);
    await server.database.db.session.updateMany({
      where: { userId: user.userId },
      data: { expiresAt: new Date(Date.now() - 60_000) },
    });
    const response = await fetch(`${server.url}/api/trpc/account.me`, { headers: { cookie: user.cookie } });
    expect(response.status).toBe(401);
  });

  it("refuses a duplicate email and a short password with clear messages", async () => {
    const user = await signUp(server);
    const duplicate = await fetch(`${server.url}/api/auth/sign-up/email`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: server.url },
      body: JSON.stringify({ email: user.email, password: "correct-horse-battery", name: "Again" }),
    });
    expect(duplicate.status).toBe(422);
    expect(await duplicate.json()).toMatchObject({ code: expect.stringMatching(/USER_ALREADY_EXISTS/) });
    const short = await fetch(`${server.url}/api/auth/sign-up/email`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: server.url },
      body: JSON.stringify({ email: "short@example.com", password: "short", name: "Short" }),
    });
    expect(short.status).toBe(400);
    expect(await short.json()).toMatchObject({ code: "PASSWORD_TOO_SHORT" });
  });
});
