// Bridges Express to better-auth's fetch handler, so its failures get the same body as every other
// route (SPEC §6: code, message, requestId) and oversized bodies are refused before it sees them.
import express, { type RequestHandler, Router } from "express";
import type { Auth } from "../auth/auth.ts";
import type { ErrorCode } from "../errors.ts";

const AUTH_BODY_LIMIT = "64kb";

const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: "BAD_REQUEST",
  401: "UNAUTHORIZED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  405: "METHOD_NOT_SUPPORTED",
  409: "CONFLICT",
  413: "PAYLOAD_TOO_LARGE",
  422: "UNPROCESSABLE_CONTENT",
  429: "TOO_MANY_REQUESTS",
};

function toFetchRequest(req: express.Request, origin: string): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item);
  }
  const hasBody =
    req.method !== "GET" && req.method !== "HEAD" && Buffer.isBuffer(req.body) && req.body.length > 0;
  return new Request(new URL(req.originalUrl, origin), {
    method: req.method,
    headers,
    body: hasBody ? new Uint8Array(req.body as Buffer) : undefined,
  });
}

export function createAuthRouter(auth: Auth, publicUrl: string): Router {
  const handler: RequestHandler = async (req, res) => {
    const response = await auth.handler(toFetchRequest(req, publicUrl));
    res.status(response.status);
    response.headers.forEach((value, name) => {
      if (name !== "set-cookie" && name !== "content-length") res.setHeader(name, value);
    });
    const cookies = response.headers.getSetCookie();
    if (cookies.length > 0) res.setHeader("Set-Cookie", cookies);

    const body = Buffer.from(await response.arrayBuffer());
    if (response.status < 400) {
      res.end(body);
      return;
    }
    // better-auth answers { code, message }; keep both and add what every Hangar error carries.
    let parsed: { code?: unknown; message?: unknown } = {};
    try {
      parsed = JSON.parse(body.toString("utf8") || "{}") as typeof parsed;
    } catch {
      parsed = {};
    }
    res.json({
      ...parsed,
      code:
        typeof parsed.code === "string"
          ? parsed.code
          : (CODE_BY_STATUS[response.status] ?? "INTERNAL_SERVER_ERROR"),
      message:
        typeof parsed.message === "string" && response.status < 500
          ? parsed.message
          : "Authentication failed.",
      requestId: String(res.locals.requestId ?? "unknown"),
    });
  };

  const router = Router();
  router.all("/{*any}", express.raw({ type: () => true, limit: AUTH_BODY_LIMIT }), handler);
  return router;
}
