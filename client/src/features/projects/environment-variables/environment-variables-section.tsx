import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { ENVIRONMENTS, type Environment } from "../../../../../server/projects/project.schema.ts";
import { ActionsHeader } from "../../../components/actions-header.tsx";
import { ErrorState, Loading } from "../../../components/query-state.tsx";
import { useTRPC } from "../../../lib/trpc.ts";
import { useActiveOrganization } from "../../shell/active-organization.tsx";
import { useHasRole } from "../../shell/use-role.ts";
import type { Project } from "../project-types.ts";
import { BulkPasteForm } from "./bulk-paste-form.tsx";
import { ENVIRONMENT_LABELS, type VariableScope } from "./environment-variable-scope.ts";
import { EnvironmentVariableForm } from "./environment-variable-form.tsx";
import { EnvironmentVariableRow } from "./environment-variable-row.tsx";

/** SPEC §5.4: keys with masked values per environment; members reveal, add, change, delete and paste. */
export function EnvironmentVariablesSection({ project }: { project: Project }) {
  const [environment, setEnvironment] = useState<Environment>("production");
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const organization = useActiveOrganization();

  return (
    <section aria-labelledby="environment-variables-heading" className="card stack">
      <div className="section-header">
        <h2 id="environment-variables-heading">Environment variables</h2>
        <fieldset className="segmented">
          <legend className="visually-hidden">Environment</legend>
          {ENVIRONMENTS.map((candidate) => (
            <label key={candidate} className={candidate === environment ? "selected" : undefined}>
              <input
                type="radio"
                name="environment"
                value={candidate}
                checked={candidate === environment}
                onChange={() => setEnvironment(candidate)}
              />
              {ENVIRONMENT_LABELS[candidate]}
            </label>
          ))}
        </fieldset>
      </div>
      <p className="muted small">
        {environment === "production"
          ? `Used by deployments of ${project.productionBranch}. `
          : "Used by pull-request preview apps. "}
        Values are stored encrypted and shown masked; revealing one is recorded in the audit trail.
      </p>
      {/* The server compares the last change with the last live deployment that synced the values. */}
      {project.redeployNeeded[environment] ? (
        <p role="status" className="notice">
          Redeploy needed for changes to take effect.
        </p>
      ) : null}
      {/* Keyed by environment: switching starts from a clean slate (no open form, nothing revealed). */}
      <EnvironmentVariablesPanel
        key={environment}
        scope={{ projectId: project.id, environment }}
        onChanged={() =>
          queryClient.invalidateQueries({
            queryKey: trpc.project.byId.queryKey({ organizationId: organization.id, projectId: project.id }),
          })
        }
      />
    </section>
  );
}

type Editing = { kind: "add" } | { kind: "edit"; key: string } | { kind: "paste" } | null;

function EnvironmentVariablesPanel({
  scope,
  onChanged,
}: {
  scope: Omit<VariableScope, "organizationId">;
  onChanged: () => Promise<void>;
}) {
  const organization = useActiveOrganization();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canEdit = useHasRole("member");
  const fullScope: VariableScope = { organizationId: organization.id, ...scope };
  const variables = useQuery(trpc.environmentVariable.list.queryOptions(fullScope));
  const [editing, setEditing] = useState<Editing>(null);
  const label = ENVIRONMENT_LABELS[scope.environment];
  const rows = variables.data?.variables ?? [];

  async function afterChange() {
    await onChanged();
    await queryClient.invalidateQueries({ queryKey: trpc.environmentVariable.list.queryKey(fullScope) });
  }

  return (
    <div className="stack">
      {canEdit ? (
        <div className="actions">
          <button
            type="button"
            className="button"
            aria-expanded={editing?.kind === "add"}
            onClick={() => setEditing(editing?.kind === "add" ? null : { kind: "add" })}
          >
            Add variable
          </button>
          <button
            type="button"
            className="button"
            aria-expanded={editing?.kind === "paste"}
            onClick={() => setEditing(editing?.kind === "paste" ? null : { kind: "paste" })}
          >
            Bulk paste .env
          </button>
        </div>
      ) : (
        <p className="muted small">Members, admins and owners can reveal and change these values.</p>
      )}

      {editing?.kind === "add" || editing?.kind === "edit" ? (
        <EnvironmentVariableForm
          key={editing.kind === "edit" ? editing.key : ""}
          scope={fullScope}
          editingKey={editing.kind === "edit" ? editing.key : null}
          existingKeys={rows.map((row) => row.key)}
          onSaved={async () => {
            setEditing(null);
            await afterChange();
          }}
          onCancel={() => setEditing(null)}
        />
      ) : null}
      {editing?.kind === "paste" ? (
        <BulkPasteForm scope={fullScope} onApplied={afterChange} onClose={() => setEditing(null)} />
      ) : null}

      {variables.isPending ? <Loading label={`Loading ${label.toLowerCase()} variables…`} /> : null}
      {variables.isError ? (
        <ErrorState error={variables.error} onRetry={() => void variables.refetch()} />
      ) : null}
      {variables.isSuccess && rows.length === 0 ? (
        <div className="empty-state">
          <h3>No {label.toLowerCase()} variables yet</h3>
          <p className="muted">
            {canEdit ? "Add one, or paste a .env file." : "None have been added to this environment."}
          </p>
        </div>
      ) : null}
      {rows.length > 0 ? (
        <table className="data-table">
          <caption className="visually-hidden">{label} environment variables</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Value</th>
              <th scope="col">Last changed</th>
              {canEdit ? <ActionsHeader /> : null}
            </tr>
          </thead>
          <tbody>
            {rows.map((variable) => (
              // Keyed by the change time too: a changed value closes its revealed (now stale) one.
              <EnvironmentVariableRow
                key={`${variable.key}:${variable.updatedAt.getTime()}`}
                variable={variable}
                scope={fullScope}
                canEdit={canEdit}
                onEdit={() => setEditing({ kind: "edit", key: variable.key })}
                onRemoved={afterChange}
              />
            ))}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}
