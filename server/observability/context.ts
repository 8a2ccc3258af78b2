// Carries the correlation id (an HTTP request id, later a webhook delivery id) and who is calling
// through async work, so every log line and audit record written on its behalf can be traced.
import { AsyncLocalStorage } from "node:async_hooks";

export type CorrelationContext = { requestId: string; ipAddress?: string; userAgent?: string };

const storage = new AsyncLocalStorage<CorrelationContext>();

export function runWithCorrelation<T>(context: CorrelationContext, fn: () => T): T {
  return storage.run(context, fn);
}

export function currentCorrelation(): CorrelationContext | undefined {
  return storage.getStore();
}
