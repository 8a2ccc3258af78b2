import { Writable } from "node:stream";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { runWithCorrelation } from "./context.ts";
import { createLogger } from "./logger.ts";

function capture(): { lines: () => Record<string, unknown>[]; destination: Writable } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  return {
    destination,
    lines: () =>
      chunks
        .join("")
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describe("logger", () => {
  it("redacts cookies, authorization headers, passwords, tokens and secret values", () => {
    const { destination, lines } = capture();
    const logger = createLogger({ level: "info", destination });
    logger.info(
      {
        req: {
          headers: { cookie: "hangar.session_token=abc", authorization: "Bearer ghs_secret", accept: "*/*" },
        },
        body: { email: "a@example.com", password: "hunter2hunter2" },
        credential: { token: "fo1_abcdef", accessToken: "ghu_x", refreshToken: "ghr_y" },
        envVar: { key: "DATABASE_PASSWORD", value: "s3cr3t" },
      },
      "something happened",
    );
    const text = JSON.stringify(lines());
    for (const secret of ["abc", "ghs_secret", "hunter2hunter2", "fo1_abcdef", "ghu_x", "ghr_y", "s3cr3t"]) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain("a@example.com");
    expect(text).toContain("DATABASE_PASSWORD");
    expect(text).toContain("*/*");
  });

  it("puts the correlation id on every line written inside a request or job", () => {
    const { destination, lines } = capture();
    const logger = createLogger({ level: "info", destination });
    runWithCorrelation({ requestId: "delivery-123" }, () => logger.child({ component: "x" }).info("inside"));
    logger.info("outside");
    const [inside, outside] = lines();
    expect(inside?.requestId).toBe("delivery-123");
    expect(outside?.requestId).toBeUndefined();
  });

  it("writes JSON with levels", () => {
    const { destination, lines } = capture();
    createLogger({ level: "warn", destination }).info("hidden");
    createLogger({ level: "warn", destination }).warn("shown");
    expect(lines()).toEqual([expect.objectContaining({ msg: "shown", level: pino.levels.values.warn })]);
  });
});
