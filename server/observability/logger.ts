import pino from "pino";
import { currentCorrelation } from "./context.ts";

export type Logger = pino.Logger;

/** Paths whose values never reach a log line, wherever they appear in a logged object. */
const REDACTED_PATHS = [
  "password",
  "*.password",
  "newPassword",
  "*.newPassword",
  "currentPassword",
  "*.currentPassword",
  "token",
  "*.token",
  "accessToken",
  "*.accessToken",
  "refreshToken",
  "*.refreshToken",
  "secret",
  "*.secret",
  "value",
  "*.value",
  "headers.cookie",
  "headers.authorization",
  "*.headers.cookie",
  "*.headers.authorization",
  "*.*.headers.cookie",
  "*.*.headers.authorization",
  'headers["set-cookie"]',
  '*.headers["set-cookie"]',
];

export function createLogger(options: {
  level: string;
  name?: string;
  destination?: pino.DestinationStream;
}): Logger {
  const settings: pino.LoggerOptions = {
    name: options.name ?? "hangar",
    level: options.level,
    redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
    // Every line written inside a request or job carries its correlation id.
    mixin: () => {
      const context = currentCorrelation();
      return context ? { requestId: context.requestId } : {};
    },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return options.destination ? pino(settings, options.destination) : pino(settings);
}
