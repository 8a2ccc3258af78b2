import { useMutation } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { flushSync } from "react-dom";
import {
  environmentVariableKeySchema,
  environmentVariableValueSchema,
} from "../../../../../server/projects/project.schema.ts";
import { FieldError, FieldHelp, TextField, fieldAria } from "../../../components/field.tsx";
import { FormFooter } from "../../../components/form-footer.tsx";
import { focusFirstError } from "../../../lib/form.ts";
import { describeError, fieldErrorsOf, firstFieldErrors, useTRPC } from "../../../lib/trpc.ts";
import { ENVIRONMENT_LABELS, type VariableScope } from "./environment-variable-scope.ts";

const ID = "environment-variable-";

/** Adds a variable, or gives an existing one a new value (values are never shown here). */
export function EnvironmentVariableForm({
  scope,
  editingKey,
  existingKeys,
  onSaved,
  onCancel,
}: {
  scope: VariableScope;
  editingKey: string | null;
  existingKeys: string[];
  onSaved: () => Promise<void>;
  onCancel: () => void;
}) {
  const trpc = useTRPC();
  const [key, setKey] = useState(editingKey ?? "");
  const [value, setValue] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const save = useMutation(
    trpc.environmentVariable.set.mutationOptions({
      onSuccess: onSaved,
      onError: (error) => showErrors(firstFieldErrors(fieldErrorsOf(error))),
    }),
  );
  const hasFieldErrors = save.isError && Object.keys(fieldErrorsOf(save.error)).length > 0;
  const otherError = save.isError && !hasFieldErrors ? describeError(save.error) : null;
  const replacing = editingKey === null && existingKeys.includes(key.trim());
  const heading = editingKey ? `Change ${editingKey}` : "Add a variable";

  function showErrors(next: Record<string, string>) {
    flushSync(() => setErrors(next));
    focusFirstError(next, ["key", "value"], ID);
  }

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const keyCheck = environmentVariableKeySchema.safeParse(key.trim());
    const valueCheck = environmentVariableValueSchema.safeParse(value);
    const next: Record<string, string> = {};
    if (!keyCheck.success) next.key = keyCheck.error.issues[0]?.message ?? "Invalid name";
    if (!valueCheck.success) next.value = valueCheck.error.issues[0]?.message ?? "Invalid value";
    if (!keyCheck.success || !valueCheck.success) {
      showErrors(next);
      return;
    }
    save.mutate({ ...scope, key: keyCheck.data, value: valueCheck.data });
  }

  return (
    <form onSubmit={onSubmit} className="stack panel" noValidate aria-label={heading}>
      <h3>
        {heading} <span className="muted small">({ENVIRONMENT_LABELS[scope.environment]})</span>
      </h3>
      <TextField
        id={`${ID}key`}
        label="Name"
        value={key}
        onChange={(next) => {
          setKey(next);
          setErrors(({ key: _cleared, ...rest }) => rest);
        }}
        error={errors.key}
        readOnly={editingKey !== null}
        help={
          replacing
            ? `${key.trim()} already exists: saving replaces its value.`
            : "Uppercase letters, digits and underscores, e.g. DATABASE_URL."
        }
      />
      <div className="field">
        <label htmlFor={`${ID}value`}>{editingKey ? "New value" : "Value"}</label>
        <textarea
          {...fieldAria(`${ID}value`, { error: errors.value, help: true })}
          value={value}
          onChange={(event) => {
            setValue(event.target.value);
            setErrors(({ value: _cleared, ...rest }) => rest);
          }}
          rows={3}
          spellCheck={false}
          autoComplete="off"
        />
        <FieldHelp id={`${ID}value`}>
          Stored encrypted; the list shows it masked. Up to 64 KB, several lines allowed.
        </FieldHelp>
        <FieldError id={`${ID}value`} error={errors.value} />
      </div>
      <FormFooter
        error={otherError}
        pending={save.isPending}
        submitLabel="Save variable"
        pendingLabel="Saving…"
        onCancel={onCancel}
      />
    </form>
  );
}
