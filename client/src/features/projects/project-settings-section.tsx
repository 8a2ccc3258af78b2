import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { flushSync } from "react-dom";
import { projectSettingsSchema } from "../../../../server/projects/project.schema.ts";
import { CheckboxField, TextField } from "../../components/field.tsx";
import { FormError } from "../../components/form-error.tsx";
import { focusFirstError, issuesByField } from "../../lib/form.ts";
import { describeError, fieldErrorsOf, firstFieldErrors, useTRPC } from "../../lib/trpc.ts";
import { useActiveOrganization } from "../shell/active-organization.tsx";
import { useHasRole } from "../shell/use-role.ts";
import type { Project } from "./project-types.ts";
import { RegionSelect } from "./region-select.tsx";
import type * as z from "zod";

type Settings = z.input<typeof projectSettingsSchema>;

const ID = "project-settings-";
const FIELD_ORDER = [
  "name",
  "productionBranch",
  "region",
  "rootDirectory",
  "dockerfilePath",
  "flyConfigPath",
];

function settingsOf(project: Project): Settings {
  return {
    name: project.name,
    productionBranch: project.productionBranch,
    rootDirectory: project.rootDirectory,
    dockerfilePath: project.dockerfilePath,
    flyConfigPath: project.flyConfigPath,
    region: project.region,
    autoDeploy: project.autoDeploy,
    previewsEnabled: project.previewsEnabled,
    cancelInProgress: project.cancelInProgress,
  };
}

/** Editable by admins and owners; everyone else reads the same settings. */
export function ProjectSettingsSection({ project }: { project: Project }) {
  const canEdit = useHasRole("admin");
  const [saved, setSaved] = useState<string | null>(null);
  // Bumped by each save: the form starts again from what the server answered.
  const [formVersion, setFormVersion] = useState(0);
  return (
    <section aria-labelledby="project-settings-heading" className="card stack">
      <h2 id="project-settings-heading">Settings</h2>
      {canEdit ? (
        <SettingsForm
          key={formVersion}
          project={project}
          saved={saved}
          onMessage={setSaved}
          onSaved={() => {
            setSaved("Settings saved.");
            setFormVersion((version) => version + 1);
          }}
        />
      ) : (
        <>
          <ReadOnlySettings project={project} />
          <p className="muted small">Only admins and owners can change these settings.</p>
        </>
      )}
    </section>
  );
}

function ReadOnlySettings({ project }: { project: Project }) {
  return (
    <dl className="facts">
      <dt>Name</dt>
      <dd>{project.name}</dd>
      <dt>Production branch</dt>
      <dd>
        <code>{project.productionBranch}</code>
      </dd>
      <dt>Region</dt>
      <dd>{project.region}</dd>
      <dt>Root directory</dt>
      <dd>{project.rootDirectory ? <code>{project.rootDirectory}</code> : "(repository root)"}</dd>
      <dt>Dockerfile</dt>
      <dd>
        <code>{project.dockerfilePath}</code>
      </dd>
      <dt>fly.toml</dt>
      <dd>
        <code>{project.flyConfigPath}</code>
      </dd>
      <dt>Auto-deploy</dt>
      <dd>{project.autoDeploy ? "On" : "Off"}</dd>
      <dt>Pull-request previews</dt>
      <dd>{project.previewsEnabled ? "On" : "Off"}</dd>
      <dt>Cancel in-progress deployments</dt>
      <dd>{project.cancelInProgress ? "On" : "Off"}</dd>
    </dl>
  );
}

function SettingsForm({
  project,
  saved,
  onMessage,
  onSaved,
}: {
  project: Project;
  saved: string | null;
  onMessage: (message: string | null) => void;
  onSaved: () => void;
}) {
  const organization = useActiveOrganization();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [values, setValues] = useState<Settings>(() => settingsOf(project));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const regions = useQuery(
    trpc.project.regions.queryOptions({ organizationId: organization.id }, { staleTime: 5 * 60_000 }),
  );
  const save = useMutation(
    trpc.project.update.mutationOptions({
      onSuccess: async (updated) => {
        queryClient.setQueryData(
          trpc.project.byId.queryKey({ organizationId: organization.id, projectId: project.id }),
          updated,
        );
        onSaved();
        await queryClient.invalidateQueries({ queryKey: trpc.project.list.pathKey() });
      },
      onError: (error) => showErrors(firstFieldErrors(fieldErrorsOf(error), "settings.")),
    }),
  );
  const hasFieldErrors = save.isError && Object.keys(fieldErrorsOf(save.error)).length > 0;
  const otherError = save.isError && !hasFieldErrors ? describeError(save.error) : null;

  function showErrors(next: Record<string, string>) {
    flushSync(() => setErrors(next));
    focusFirstError(next, FIELD_ORDER, ID);
  }

  function update<K extends keyof Settings>(field: K, value: Settings[K]) {
    setValues((current) => ({ ...current, [field]: value }));
    setErrors(({ [field]: _cleared, ...rest }) => rest);
    onMessage(null);
  }

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const parsed = projectSettingsSchema.safeParse(values);
    if (!parsed.success) {
      showErrors(issuesByField(parsed.error.issues));
      return;
    }
    const current = settingsOf(project);
    const changes = Object.fromEntries(
      Object.entries(parsed.data).filter(([field, value]) => current[field as keyof Settings] !== value),
    ) as Partial<Settings>;
    if (Object.keys(changes).length === 0) {
      onMessage("Nothing to save: the settings are unchanged.");
      return;
    }
    save.mutate({ organizationId: organization.id, projectId: project.id, settings: changes });
  }

  return (
    <form onSubmit={onSubmit} className="stack" noValidate aria-labelledby="project-settings-heading">
      <TextField
        id={`${ID}name`}
        label="Project name"
        value={values.name}
        onChange={(value) => update("name", value)}
        error={errors.name}
      />
      <TextField
        id={`${ID}productionBranch`}
        label="Production branch"
        value={values.productionBranch}
        onChange={(value) => update("productionBranch", value)}
        error={errors.productionBranch}
        help="Every push to this branch deploys to production."
      />
      <RegionSelect
        id={`${ID}region`}
        regions={regions}
        value={values.region}
        onChange={(value) => update("region", value)}
        error={errors.region}
      />
      <TextField
        id={`${ID}rootDirectory`}
        label="Root directory"
        value={values.rootDirectory}
        onChange={(value) => update("rootDirectory", value)}
        error={errors.rootDirectory}
        placeholder="(repository root)"
      />
      <TextField
        id={`${ID}dockerfilePath`}
        label="Dockerfile path"
        value={values.dockerfilePath}
        onChange={(value) => update("dockerfilePath", value)}
        error={errors.dockerfilePath}
      />
      <TextField
        id={`${ID}flyConfigPath`}
        label="fly.toml path"
        value={values.flyConfigPath}
        onChange={(value) => update("flyConfigPath", value)}
        error={errors.flyConfigPath}
      />
      <CheckboxField
        id={`${ID}autoDeploy`}
        label="Auto-deploy"
        checked={values.autoDeploy}
        onChange={(checked) => update("autoDeploy", checked)}
        help="Deploy every push to the production branch."
      />
      <CheckboxField
        id={`${ID}previewsEnabled`}
        label="Pull-request previews"
        checked={values.previewsEnabled}
        onChange={(checked) => update("previewsEnabled", checked)}
        help="Deploy each pull request to its own preview app."
      />
      <CheckboxField
        id={`${ID}cancelInProgress`}
        label="Cancel in-progress deployments"
        checked={values.cancelInProgress}
        onChange={(checked) => update("cancelInProgress", checked)}
        help="A newer push cancels a deployment that is already building, instead of waiting for it."
      />
      <FormError
        message={
          otherError
            ? `${otherError.message}${otherError.requestId ? ` (request ${otherError.requestId})` : ""}`
            : null
        }
      />
      {saved ? (
        <p role="status" className="notice">
          {saved}
        </p>
      ) : null}
      <div className="actions">
        <button type="submit" className="button primary" disabled={save.isPending}>
          {save.isPending ? "Saving…" : "Save settings"}
        </button>
      </div>
    </form>
  );
}
