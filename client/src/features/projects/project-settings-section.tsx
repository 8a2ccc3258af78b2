import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { flushSync } from "react-dom";
import { projectSettingsSchema } from "../../../../server/projects/project.schema.ts";
import { CheckboxField } from "../../components/field.tsx";
import { FormFooter } from "../../components/form-footer.tsx";
import { focusFirstError, issuesByField } from "../../lib/form.ts";
import { describeError, fieldErrorsOf, firstFieldErrors, useTRPC } from "../../lib/trpc.ts";
import { useActiveOrganization } from "../shell/active-organization.tsx";
import { useHasRole } from "../shell/use-role.ts";
import { type ProjectSettings, ProjectSettingsFields } from "./project-settings-fields.tsx";
import type { Project } from "./project-types.ts";

const ID = "project-settings-";
/** Top to bottom, so focus goes to the first field in error. */
const FIELDS = [
  "name",
  "productionBranch",
  "region",
  "rootDirectory",
  "dockerfilePath",
  "flyConfigPath",
  "autoDeploy",
  "previewsEnabled",
] as const;

function settingsOf(project: Project): ProjectSettings {
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
  const [values, setValues] = useState<ProjectSettings>(() => settingsOf(project));
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
    focusFirstError(next, FIELDS, ID);
  }

  function update<K extends keyof ProjectSettings>(field: K, value: ProjectSettings[K]) {
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
      Object.entries(parsed.data).filter(
        ([field, value]) => current[field as keyof ProjectSettings] !== value,
      ),
    ) as Partial<ProjectSettings>;
    if (Object.keys(changes).length === 0) {
      onMessage("Nothing to save: the settings are unchanged.");
      return;
    }
    save.mutate({ organizationId: organization.id, projectId: project.id, settings: changes });
  }

  return (
    <form onSubmit={onSubmit} className="stack" noValidate aria-labelledby="project-settings-heading">
      <ProjectSettingsFields
        idPrefix={ID}
        fields={FIELDS}
        values={values}
        errors={errors}
        onChange={update}
        regions={regions}
      />
      <CheckboxField
        id={`${ID}cancelInProgress`}
        label="Cancel in-progress deployments"
        checked={values.cancelInProgress}
        onChange={(checked) => update("cancelInProgress", checked)}
        help="A newer push cancels a deployment that is already building, instead of waiting for it."
      />
      <FormFooter
        error={otherError}
        notice={saved}
        pending={save.isPending}
        submitLabel="Save settings"
        pendingLabel="Saving…"
      />
    </form>
  );
}
