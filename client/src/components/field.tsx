import type { ReactNode } from "react";

/**
 * The accessibility wiring of an input: `aria-invalid` when it has an error, and `aria-describedby`
 * naming its help text, its status (e.g. "Available") and its error, in that order.
 */
export function fieldAria(
  id: string,
  { error, help = false, status = false }: { error?: string | undefined; help?: boolean; status?: boolean },
) {
  const describedBy = [
    help ? `${id}-help` : null,
    status ? `${id}-status` : null,
    error ? `${id}-error` : null,
  ]
    .filter(Boolean)
    .join(" ");
  return {
    id,
    "aria-invalid": error ? true : undefined,
    "aria-describedby": describedBy || undefined,
  } as const;
}

export function FieldHelp({ id, children }: { id: string; children: ReactNode }) {
  return <small id={`${id}-help`}>{children}</small>;
}

export function FieldError({ id, error }: { id: string; error: string | undefined }) {
  if (!error) return null;
  return (
    <small id={`${id}-error`} className="field-error" role="alert">
      {error}
    </small>
  );
}

/** A labelled text input with its help and error. */
export function TextField({
  id,
  label,
  value,
  onChange,
  error,
  help,
  status,
  disabled,
  readOnly,
  placeholder,
  autoComplete = "off",
}: {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  error: string | undefined;
  help?: ReactNode;
  /** Shown between the help and the error, announced politely (e.g. an availability check). */
  status?: ReactNode;
  disabled?: boolean;
  readOnly?: boolean;
  placeholder?: string;
  autoComplete?: string;
}) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        {...fieldAria(id, { error, help: Boolean(help), status: status !== undefined })}
        value={value}
        onChange={(event) => onChange(event.target.value)}
        disabled={disabled}
        readOnly={readOnly}
        placeholder={placeholder}
        autoComplete={autoComplete}
        spellCheck={false}
      />
      {help ? <FieldHelp id={id}>{help}</FieldHelp> : null}
      {status !== undefined ? (
        <small id={`${id}-status`} role="status" aria-live="polite" className="field-status">
          {status}
        </small>
      ) : null}
      <FieldError id={id} error={error} />
    </div>
  );
}

/** A labelled checkbox with an explanation under it. */
export function CheckboxField({
  id,
  label,
  checked,
  onChange,
  help,
  disabled,
}: {
  id: string;
  label: string;
  checked: boolean;
  onChange: (checked: boolean) => void;
  help?: ReactNode;
  disabled?: boolean;
}) {
  return (
    <div className="field checkbox-field">
      <label htmlFor={id}>
        <input
          id={id}
          type="checkbox"
          checked={checked}
          onChange={(event) => onChange(event.target.checked)}
          aria-describedby={help ? `${id}-help` : undefined}
          disabled={disabled}
        />{" "}
        {label}
      </label>
      {help ? <FieldHelp id={id}>{help}</FieldHelp> : null}
    </div>
  );
}
