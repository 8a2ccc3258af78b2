import type { ReactNode } from "react";
import { FormError } from "./form-error.tsx";

/**
 * The end of a form: the failure no field shows (with its request id, to quote in a bug report), an
 * optional notice, then the submit button, a Cancel button when `onCancel` is given, and `children`.
 */
export function FormFooter({
  error,
  notice,
  pending,
  submitLabel,
  pendingLabel,
  onCancel,
  children,
}: {
  error: { message: string; requestId?: string } | null;
  /** e.g. "Settings saved." */
  notice?: string | null;
  pending: boolean;
  submitLabel: string;
  pendingLabel: string;
  onCancel?: () => void;
  children?: ReactNode;
}) {
  return (
    <>
      <FormError
        message={error ? `${error.message}${error.requestId ? ` (request ${error.requestId})` : ""}` : null}
      />
      {notice ? (
        <p role="status" className="notice">
          {notice}
        </p>
      ) : null}
      <div className="actions">
        <button type="submit" className="button primary" disabled={pending}>
          {pending ? pendingLabel : submitLabel}
        </button>
        {onCancel ? (
          <button type="button" className="button" onClick={onCancel} disabled={pending}>
            Cancel
          </button>
        ) : null}
        {children}
      </div>
    </>
  );
}
