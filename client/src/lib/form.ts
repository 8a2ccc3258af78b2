/** The text value of a form field (file inputs and missing fields read as empty). */
export function formText(form: FormData, name: string): string {
  const value = form.get(name);
  return typeof value === "string" ? value : "";
}

/** The first message for each top-level field of failed zod validation, as a form shows them. */
export function issuesByField(issues: readonly { path: readonly PropertyKey[]; message: string }[]) {
  const errors: Record<string, string> = {};
  for (const issue of issues) {
    const field = String(issue.path[0] ?? "_");
    errors[field] ??= issue.message;
  }
  return errors;
}

/** Moves focus to the first field, in `order`, that has an error, so keyboard users land on it. */
export function focusFirstError(errors: Record<string, string>, order: readonly string[], idPrefix: string) {
  const field = order.find((name) => errors[name]);
  if (field) document.getElementById(`${idPrefix}${field}`)?.focus();
}
