import { useMutation } from "@tanstack/react-query";
import { type FormEvent, type ReactNode, useState } from "react";
import { PASTE_MODES } from "../../../../../server/projects/project.schema.ts";
import { FieldHelp } from "../../../components/field.tsx";
import { FormError } from "../../../components/form-error.tsx";
import { type RouterOutputs, describeError, errorReasonOf, useTRPC } from "../../../lib/trpc.ts";
import { ENVIRONMENT_LABELS, type VariableScope } from "./environment-variable-scope.ts";

type PasteMode = (typeof PASTE_MODES)[number];
type Preview = RouterOutputs["environmentVariable"]["previewPaste"];

const MODE_LABELS: Record<PasteMode, { label: string; help: string }> = {
  merge: { label: "Merge", help: "Add and change the pasted variables; keep the others." },
  replace: {
    label: "Replace",
    help: "Make the environment exactly the paste: variables it lacks are deleted.",
  },
};

/**
 * Paste a .env file → preview what it adds, changes and removes (and which lines are invalid) → apply.
 * The apply carries the preview's version, so a change made in between is refused, not overwritten.
 */
export function BulkPasteForm({
  scope,
  onApplied,
  onClose,
}: {
  scope: VariableScope;
  onApplied: () => Promise<void>;
  onClose: () => void;
}) {
  const trpc = useTRPC();
  const [text, setText] = useState("");
  const [mode, setMode] = useState<PasteMode>("merge");
  const [applied, setApplied] = useState<string | null>(null);
  const preview = useMutation(trpc.environmentVariable.previewPaste.mutationOptions());
  const apply = useMutation(
    trpc.environmentVariable.applyPaste.mutationOptions({
      onSuccess: async (diff) => {
        setApplied(
          `Applied: ${diff.added.length} added, ${diff.changed.length} changed, ${diff.removed.length} removed.`,
        );
        setText("");
        preview.reset();
        await onApplied();
      },
    }),
  );
  const changedSincePreview =
    apply.isError && errorReasonOf(apply.error) === "ENVIRONMENT_CHANGED_SINCE_PREVIEW";
  const label = ENVIRONMENT_LABELS[scope.environment];
  const previewed = preview.data;

  /** Any edit makes the preview stale: it must be previewed again before it can be applied. */
  function edited() {
    preview.reset();
    apply.reset();
    setApplied(null);
  }

  function runPreview() {
    apply.reset();
    setApplied(null);
    preview.mutate({ ...scope, text, mode });
  }

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    runPreview();
  }

  return (
    <div className="stack panel">
      <form onSubmit={onSubmit} className="stack" noValidate aria-labelledby="bulk-paste-heading">
        <h3 id="bulk-paste-heading">
          Bulk paste .env <span className="muted small">({label})</span>
        </h3>
        <div className="field">
          <label htmlFor="bulk-paste-text">Paste a .env file</label>
          <textarea
            id="bulk-paste-text"
            aria-describedby="bulk-paste-text-help"
            value={text}
            onChange={(event) => {
              setText(event.target.value);
              edited();
            }}
            rows={8}
            spellCheck={false}
            autoComplete="off"
            className="code-input"
          />
          <FieldHelp id="bulk-paste-text">
            <code>KEY=value</code> lines. Comments, <code>export</code> prefixes and quoted values are
            understood. Nothing changes until you apply the preview.
          </FieldHelp>
        </div>
        <fieldset className="stack-tight">
          <legend>When a variable is not in the paste</legend>
          {PASTE_MODES.map((candidate) => (
            <div key={candidate} className="checkbox-field">
              <label>
                <input
                  type="radio"
                  name="bulk-paste-mode"
                  value={candidate}
                  checked={mode === candidate}
                  onChange={() => {
                    setMode(candidate);
                    edited();
                  }}
                  aria-describedby={`bulk-paste-mode-${candidate}`}
                />{" "}
                {MODE_LABELS[candidate].label}
              </label>
              <small id={`bulk-paste-mode-${candidate}`} className="muted">
                {MODE_LABELS[candidate].help}
              </small>
            </div>
          ))}
        </fieldset>
        <div className="actions">
          <button type="submit" className="button" disabled={preview.isPending || text.trim() === ""}>
            {preview.isPending ? "Previewing…" : "Preview"}
          </button>
          <button type="button" className="button" onClick={onClose}>
            Close
          </button>
        </div>
      </form>
      <FormError message={preview.isError ? describeError(preview.error).message : null} />

      {previewed ? (
        <PastePreview preview={previewed} mode={mode}>
          {changedSincePreview ? (
            <div className="form-error stack-tight" role="alert">
              <p>
                The {label.toLowerCase()} variables changed since this preview. Preview again before applying.
              </p>
              <div className="actions">
                <button type="button" className="button" onClick={runPreview}>
                  Preview again
                </button>
              </div>
            </div>
          ) : (
            <FormError message={apply.isError ? describeError(apply.error).message : null} />
          )}
          <div className="actions">
            <button
              type="button"
              className="button primary"
              disabled={apply.isPending || changedSincePreview || nothingToDo(previewed)}
              onClick={() => apply.mutate({ ...scope, text, mode, baseVersion: previewed.baseVersion })}
            >
              {apply.isPending ? "Applying…" : "Apply"}
            </button>
          </div>
        </PastePreview>
      ) : null}

      {applied ? (
        <p role="status" className="notice">
          {applied}
        </p>
      ) : null}
    </div>
  );
}

function nothingToDo(preview: Preview): boolean {
  return preview.added.length + preview.changed.length + preview.removed.length === 0;
}

function KeyList({ keys }: { keys: string[] }) {
  if (keys.length === 0) return <span className="muted">none</span>;
  return (
    <ul className="key-list">
      {keys.map((key) => (
        <li key={key}>
          <code>{key}</code>
        </li>
      ))}
    </ul>
  );
}

function PastePreview({
  preview,
  mode,
  children,
}: {
  preview: Preview;
  mode: PasteMode;
  children: ReactNode;
}) {
  return (
    <section aria-labelledby="bulk-paste-preview-heading" className="stack-tight">
      <h4 id="bulk-paste-preview-heading">Preview</h4>
      <dl className="facts" aria-label="What applying the paste does">
        <dt>Added ({preview.added.length})</dt>
        <dd>
          <KeyList keys={preview.added} />
        </dd>
        <dt>Changed ({preview.changed.length})</dt>
        <dd>
          <KeyList keys={preview.changed} />
        </dd>
        <dt>Removed ({preview.removed.length})</dt>
        <dd>
          {mode === "merge" && preview.removed.length === 0 ? (
            <span className="muted">none (merge keeps the others)</span>
          ) : (
            <KeyList keys={preview.removed} />
          )}
        </dd>
        <dt>Unchanged</dt>
        <dd>{preview.unchanged.length}</dd>
      </dl>
      {preview.invalid.length > 0 ? (
        <div role="alert" className="stack-tight">
          <p className="form-error">
            {preview.invalid.length === 1 ? "1 line is" : `${preview.invalid.length} lines are`} not valid and
            will be skipped:
          </p>
          <ul className="invalid-lines">
            {preview.invalid.map((invalid) => (
              <li key={invalid.line}>
                Line {invalid.line}: {invalid.reason}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {preview.duplicates.length > 0 ? (
        <p className="muted">
          Given more than once (the last value is used): {preview.duplicates.join(", ")}
        </p>
      ) : null}
      {nothingToDo(preview) ? <p className="muted">Nothing would change.</p> : null}
      {children}
    </section>
  );
}
