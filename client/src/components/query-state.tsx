import { describeError } from "../lib/trpc.ts";

export function Loading({ label }: { label: string }) {
  return (
    <p className="muted" role="status" aria-live="polite">
      {label}
    </p>
  );
}

export function ErrorState({ error, onRetry }: { error: unknown; onRetry: () => void }) {
  const { message, requestId } = describeError(error);
  return (
    <div className="error-state" role="alert">
      <p>{message}</p>
      {requestId ? <p className="muted small">Request id: {requestId}</p> : null}
      <button type="button" className="button" onClick={onRetry}>
        Retry
      </button>
    </div>
  );
}
