import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { flyTokenSchema } from "../../../../server/fly/fly-credential.schema.ts";
import { roleAtLeast, roleSchema } from "../../../../server/organizations/organization.schema.ts";
import { FormError } from "../../components/form-error.tsx";
import { FormFooter } from "../../components/form-footer.tsx";
import { ErrorState, Loading } from "../../components/query-state.tsx";
import { formText } from "../../lib/form.ts";
import { describeError, fieldErrorsOf, useTRPC } from "../../lib/trpc.ts";
import { useActiveOrganization } from "../shell/active-organization.tsx";

/** The organisation's Fly.io token: masked when set; admins paste, replace and remove it. */
export function FlyCredentialSection() {
  const organization = useActiveOrganization();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const input = { organizationId: organization.id };
  const credential = useQuery(trpc.flyCredential.get.queryOptions(input));
  const [editing, setEditing] = useState(false);
  const [confirmingRemoval, setConfirmingRemoval] = useState(false);
  const canManage = roleAtLeast(roleSchema.catch("viewer").parse(organization.role), "admin");

  const remove = useMutation(
    trpc.flyCredential.remove.mutationOptions({
      onSuccess: () => {
        setConfirmingRemoval(false);
        queryClient.setQueryData(trpc.flyCredential.get.queryKey(input), null);
      },
    }),
  );

  return (
    <section aria-labelledby="fly-heading" className="card stack">
      <h2 id="fly-heading">Fly.io</h2>
      <p className="muted">
        Hangar creates apps and deploys machines with this organization token. It is stored encrypted and
        never shown again.
      </p>
      {credential.isPending ? <Loading label="Loading the Fly.io token…" /> : null}
      {credential.isError ? (
        <ErrorState error={credential.error} onRetry={() => void credential.refetch()} />
      ) : null}
      {credential.isSuccess && credential.data ? (
        <dl className="stack" aria-label="Current Fly.io token">
          <div>
            <dt className="muted small">Token</dt>
            <dd data-testid="fly-token-masked">
              <code>••••••••{credential.data.tokenLastFour}</code>
            </dd>
          </div>
          <div>
            <dt className="muted small">Fly.io organization</dt>
            <dd data-testid="fly-org-slug">{credential.data.flyOrgSlug}</dd>
          </div>
          <div>
            <dt className="muted small">Set</dt>
            <dd>
              {credential.data.setBy ? `by ${credential.data.setBy.name} ` : ""}
              on {credential.data.setAt.toLocaleString()}
            </dd>
          </div>
        </dl>
      ) : null}
      {credential.isSuccess && !credential.data ? (
        <div className="empty-state">
          <h3>No Fly.io token yet</h3>
          <p className="muted">
            Create one with <code>fly tokens create org</code> and paste it here to let Hangar deploy.
          </p>
        </div>
      ) : null}

      {credential.isSuccess && !canManage ? (
        <p className="notice">Only admins and owners can change the Fly.io token.</p>
      ) : null}

      {credential.isSuccess && canManage && (editing || !credential.data) ? (
        <TokenForm
          replacing={Boolean(credential.data)}
          onDone={() => setEditing(false)}
          onCancel={credential.data ? () => setEditing(false) : undefined}
        />
      ) : null}

      {credential.isSuccess && canManage && credential.data && !editing ? (
        confirmingRemoval ? (
          <div className="stack" role="group" aria-labelledby="fly-remove-question">
            <p id="fly-remove-question">
              Remove the Fly.io token? Deployments stop until a new token is added.
            </p>
            <FormError message={remove.isError ? describeError(remove.error).message : null} />
            <div className="actions">
              <button
                type="button"
                className="button danger"
                disabled={remove.isPending}
                onClick={() => remove.mutate(input)}
              >
                {remove.isPending ? "Removing…" : "Yes, remove the token"}
              </button>
              <button type="button" className="button" onClick={() => setConfirmingRemoval(false)}>
                Keep it
              </button>
            </div>
          </div>
        ) : (
          <div className="actions">
            <button type="button" className="button" onClick={() => setEditing(true)}>
              Replace token
            </button>
            <button type="button" className="button danger" onClick={() => setConfirmingRemoval(true)}>
              Remove token
            </button>
          </div>
        )
      ) : null}
    </section>
  );
}

function TokenForm({
  replacing,
  onDone,
  onCancel,
}: {
  replacing: boolean;
  onDone: () => void;
  onCancel: (() => void) | undefined;
}) {
  const organization = useActiveOrganization();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [localError, setLocalError] = useState<string | null>(null);
  const save = useMutation(
    trpc.flyCredential.set.mutationOptions({
      onSuccess: (view) => {
        queryClient.setQueryData(trpc.flyCredential.get.queryKey({ organizationId: organization.id }), view);
        onDone();
      },
    }),
  );

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const parsed = flyTokenSchema.safeParse(formText(new FormData(event.currentTarget), "token"));
    if (!parsed.success) {
      setLocalError(parsed.error.issues[0]?.message ?? "This is not a Fly.io token.");
      return;
    }
    setLocalError(null);
    save.mutate({ organizationId: organization.id, token: parsed.data });
  }

  const tokenError = localError ?? fieldErrorsOf(save.error).token?.[0] ?? null;
  // Anything that is not about the token itself (Fly unreachable, rate limits) is shown below the form.
  const otherError = save.isError && !fieldErrorsOf(save.error).token ? describeError(save.error) : null;

  return (
    <form onSubmit={onSubmit} className="stack" noValidate>
      <div className="field">
        <label htmlFor="fly-token">{replacing ? "New Fly.io token" : "Fly.io token"}</label>
        <input
          id="fly-token"
          name="token"
          type="password"
          autoComplete="off"
          spellCheck={false}
          required
          aria-invalid={tokenError ? true : undefined}
          aria-describedby={tokenError ? "fly-token-help fly-token-error" : "fly-token-help"}
          disabled={save.isPending}
        />
        <small id="fly-token-help">
          An organization token from <code>fly tokens create org</code>. Hangar checks it with Fly.io before
          saving.
        </small>
        {tokenError ? (
          <small id="fly-token-error" className="field-error" role="alert">
            {tokenError}
          </small>
        ) : null}
      </div>
      <FormFooter
        error={otherError}
        pending={save.isPending}
        submitLabel={replacing ? "Replace token" : "Save token"}
        pendingLabel="Checking with Fly.io…"
        onCancel={onCancel}
      />
    </form>
  );
}
