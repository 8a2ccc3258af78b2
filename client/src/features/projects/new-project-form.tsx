import { skipToken, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, type ReactNode, useState } from "react";
import { flushSync } from "react-dom";
import { Link, useNavigate } from "react-router";
import type { RepositoryPermission } from "../../../../server/github/github.schema.ts";
import { createProjectInput, flyAppNameSchema } from "../../../../server/projects/project.schema.ts";
import { FieldError, FieldHelp, TextField } from "../../components/field.tsx";
import { FormFooter } from "../../components/form-footer.tsx";
import { ErrorState, Loading } from "../../components/query-state.tsx";
import { focusFirstError, issuesByField } from "../../lib/form.ts";
import {
  type RouterOutputs,
  describeError,
  errorReasonOf,
  fieldErrorsOf,
  firstFieldErrors,
  useTRPC,
} from "../../lib/trpc.ts";
import { useDebouncedValue } from "../../lib/use-debounced-value.ts";
import { useActiveOrganization } from "../shell/active-organization.tsx";
import { ProjectSettingsFields } from "./project-settings-fields.tsx";

type Installation = RouterOutputs["github"]["installations"]["installations"][number];
type Repository = Installation["repositories"][number];

type Values = {
  productionBranch: string;
  name: string;
  flyAppName: string;
  region: string;
  rootDirectory: string;
  dockerfilePath: string;
  flyConfigPath: string;
  autoDeploy: boolean;
  previewsEnabled: boolean;
};

const ID = "new-project-";
const ADVANCED_FIELDS = [
  "rootDirectory",
  "dockerfilePath",
  "flyConfigPath",
  "autoDeploy",
  "previewsEnabled",
] as const;
/** Top to bottom, so focus goes to the first field in error. */
const FIELD_ORDER = ["productionBranch", "name", "flyAppName", "region", ...ADVANCED_FIELDS] as const;
/** For someone choosing the paths for the first time; a working project's settings form goes without. */
const PATH_HELP = {
  rootDirectory: "Where the app lives in the repository, e.g. services/api. Empty for the repository root.",
  dockerfilePath: "Relative to the root directory.",
  flyConfigPath: "Relative to the root directory.",
};

const PERMISSION_LABELS: Record<RepositoryPermission, string> = {
  admin: "admin",
  maintain: "maintain",
  write: "write",
  triage: "triage",
  read: "read",
  none: "no",
};
const CAN_PUSH: ReadonlySet<RepositoryPermission> = new Set(["admin", "maintain", "write"]);

/** Why this person cannot create a project from `repository`, or null when they can (or GitHub did not say). */
function pushBlockedReason(repository: Repository): string | null {
  if (repository.permission === null || CAN_PUSH.has(repository.permission)) return null;
  return `You have ${PERMISSION_LABELS[repository.permission]} access; a project needs write (push) access.`;
}

/** The repository name as a Fly app name: lowercase letters, digits and dashes. */
export function suggestAppName(repositoryName: string): string {
  const name = repositoryName
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-{2,}/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 62)
    .replace(/-+$/, "");
  if (name.length === 1) return `${name}-app`;
  return name;
}

export function NewProjectForm({ installations }: { installations: Installation[] }) {
  const organization = useActiveOrganization();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [installationId, setInstallationId] = useState(
    installations.find((installation) => !installation.suspended)?.id,
  );
  const [repository, setRepository] = useState<string | null>(null);
  // What the person typed; every other field shows its default (which may arrive later, e.g. the branch).
  const [draft, setDraft] = useState<Partial<Values>>({});
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [advancedOpen, setAdvancedOpen] = useState(false);

  const installation = installations.find((candidate) => candidate.id === installationId);
  const access = useQuery(
    trpc.github.checkRepositoryAccess.queryOptions(
      repository ? { organizationId: organization.id, repository } : skipToken,
      { staleTime: 60_000 },
    ),
  );
  const regions = useQuery(
    trpc.project.regions.queryOptions({ organizationId: organization.id }, { staleTime: 5 * 60_000 }),
  );

  const repositoryName = repository?.split("/")[1] ?? "";
  const nearest = regions.data?.regions.some((region) => region.code === regions.data.nearest)
    ? regions.data.nearest
    : null;
  const values: Values = {
    productionBranch: access.data?.defaultBranch ?? "main",
    name: repositoryName,
    flyAppName: suggestAppName(repositoryName),
    region: nearest ?? regions.data?.regions[0]?.code ?? "",
    rootDirectory: "",
    dockerfilePath: "Dockerfile",
    flyConfigPath: "fly.toml",
    autoDeploy: true,
    previewsEnabled: false,
    ...draft,
  };

  // Availability is asked as the person types, once they pause.
  const typedAppName = useDebouncedValue(values.flyAppName, 300);
  const appNameSettled = typedAppName === values.flyAppName;
  const appNameCheck = flyAppNameSchema.safeParse(typedAppName);
  const availability = useQuery(
    trpc.project.appNameAvailability.queryOptions(
      repository && appNameCheck.success
        ? { organizationId: organization.id, flyAppName: appNameCheck.data }
        : skipToken,
      { staleTime: 15_000 },
    ),
  );
  const appNameTaken =
    appNameSettled && availability.data && !availability.data.available
      ? availability.data.message
      : undefined;
  const appNameError =
    errors.flyAppName ??
    (appNameSettled && draft.flyAppName !== undefined && !appNameCheck.success
      ? appNameCheck.error.issues[0]?.message
      : undefined) ??
    appNameTaken;

  const create = useMutation(
    trpc.project.create.mutationOptions({
      onSuccess: async (project) => {
        queryClient.setQueryData(
          trpc.project.byId.queryKey({ organizationId: organization.id, projectId: project.id }),
          project,
        );
        await queryClient.invalidateQueries({ queryKey: trpc.project.list.pathKey() });
        await navigate(`/projects/${project.id}`);
      },
      onError: (error) => showErrors(firstFieldErrors(fieldErrorsOf(error))),
    }),
  );
  const hasFieldErrors = create.isError && Object.keys(fieldErrorsOf(create.error)).length > 0;
  const otherError = create.isError && !hasFieldErrors ? describeError(create.error) : null;
  const settingsFields = {
    idPrefix: ID,
    values,
    errors,
    onChange: update,
    regions,
    extraHelp: {
      ...PATH_HELP,
      productionBranch: access.data?.defaultBranch
        ? ` ${access.data.defaultBranch} is the repository's default branch.`
        : undefined,
    },
  };

  function showErrors(next: Record<string, string>) {
    // Fields under "Advanced" are hidden until opened: open it so the error can be seen and focused.
    flushSync(() => {
      setErrors(next);
      if (ADVANCED_FIELDS.some((field) => next[field])) setAdvancedOpen(true);
    });
    focusFirstError(next, FIELD_ORDER, ID);
  }

  function update<K extends keyof Values>(field: K, value: Values[K]) {
    setDraft((current) => ({ ...current, [field]: value }));
    setErrors(({ [field]: _cleared, ...rest }) => rest);
  }

  function chooseRepository(fullName: string | null) {
    setRepository(fullName);
    setDraft({});
    setErrors({});
    create.reset();
  }

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!repository) return;
    const parsed = createProjectInput.safeParse({ organizationId: organization.id, repository, ...values });
    const next = parsed.success ? {} : issuesByField(parsed.error.issues);
    if (!next.flyAppName && appNameTaken) next.flyAppName = appNameTaken;
    if (!parsed.success || Object.keys(next).length > 0) {
      showErrors(next);
      return;
    }
    create.mutate(parsed.data);
  }

  return (
    <form onSubmit={onSubmit} className="stack" noValidate aria-labelledby="new-project-heading">
      <fieldset className="card stack">
        <legend>1. Repository</legend>
        <div className="field">
          <label htmlFor={`${ID}installation`}>GitHub account</label>
          <select
            id={`${ID}installation`}
            value={installationId ?? ""}
            aria-describedby={`${ID}installation-help`}
            onChange={(event) => {
              setInstallationId(Number(event.target.value));
              chooseRepository(null);
            }}
          >
            {installations.map((candidate) => (
              <option key={candidate.id} value={candidate.id} disabled={candidate.suspended}>
                {candidate.accountLogin}
                {candidate.suspended ? " (suspended on GitHub)" : ""}
              </option>
            ))}
          </select>
          <FieldHelp id={`${ID}installation`}>
            The accounts where Hangar&apos;s GitHub App is installed. Missing one?{" "}
            <Link to="/github">Manage GitHub installations</Link>.
          </FieldHelp>
        </div>
        <RepositoryChoice installation={installation} selected={repository} onSelect={chooseRepository} />
      </fieldset>

      {repository && access.isPending ? (
        <Loading label={`Checking your access to ${repository} on GitHub…`} />
      ) : null}
      {access.isError ? <AccessProblem error={access.error} onRetry={() => void access.refetch()} /> : null}

      {access.isSuccess ? (
        <>
          <fieldset className="card stack">
            <legend>2. Branch</legend>
            <ProjectSettingsFields {...settingsFields} fields={["productionBranch"]} />
          </fieldset>

          <fieldset className="card stack">
            <legend>3. Name and Fly app</legend>
            <ProjectSettingsFields {...settingsFields} fields={["name"]} />
            <TextField
              id={`${ID}flyAppName`}
              label="Fly app name"
              value={values.flyAppName}
              onChange={(value) => update("flyAppName", value)}
              error={appNameError}
              help={
                <>
                  Lowercase letters, digits and dashes. Hangar creates this app on Fly.io; it is served at{" "}
                  <code>https://{values.flyAppName || "<name>"}.fly.dev</code>.
                </>
              }
              status={
                <AvailabilityStatus
                  show={Boolean(repository) && appNameSettled && appNameCheck.success && !appNameError}
                  availability={availability}
                />
              }
            />
          </fieldset>

          <fieldset className="card stack">
            <legend>4. Region</legend>
            <ProjectSettingsFields {...settingsFields} fields={["region"]} />
          </fieldset>

          <details
            className="card"
            open={advancedOpen}
            onToggle={(event) => setAdvancedOpen(event.currentTarget.open)}
          >
            <summary>5. Advanced settings</summary>
            <div className="stack details-body">
              <ProjectSettingsFields {...settingsFields} fields={ADVANCED_FIELDS} />
            </div>
          </details>

          <FieldError id={`${ID}form`} error={errors._ ?? errors.repository} />
          <FormFooter
            error={otherError}
            pending={create.isPending}
            submitLabel="Create project"
            pendingLabel="Creating the project and its Fly app…"
          >
            <Link to="/projects" className="button">
              Cancel
            </Link>
          </FormFooter>
        </>
      ) : null}
    </form>
  );
}

function RepositoryChoice({
  installation,
  selected,
  onSelect,
}: {
  installation: Installation | undefined;
  selected: string | null;
  onSelect: (fullName: string) => void;
}) {
  if (!installation) return null;
  if (installation.repositories.length === 0) {
    return (
      <p className="muted">
        The App has no repositories on {installation.accountLogin}. Give it access to one on GitHub, then come
        back.
      </p>
    );
  }
  return (
    <fieldset className="choice-list">
      <legend>Repository</legend>
      {installation.repositories.map((repository) => {
        const blocked = pushBlockedReason(repository);
        const id = `${ID}repository-${repository.id}`;
        return (
          <div key={repository.id} className={blocked ? "choice disabled" : "choice"}>
            <input
              type="radio"
              id={id}
              name="repository"
              value={repository.fullName}
              checked={selected === repository.fullName}
              disabled={blocked !== null}
              onChange={() => onSelect(repository.fullName)}
              aria-describedby={`${id}-note`}
            />
            <label htmlFor={id}>{repository.fullName}</label>
            <small id={`${id}-note`} className="muted">
              {repository.private ? "Private" : "Public"}
              {repository.permission ? ` · your permission: ${PERMISSION_LABELS[repository.permission]}` : ""}
              {blocked ? ` · ${blocked}` : ""}
            </small>
          </div>
        );
      })}
    </fieldset>
  );
}

const GITHUB_PAGE_REASONS = new Set([
  "GITHUB_NOT_CONNECTED",
  "GITHUB_RECONNECT_REQUIRED",
  "NO_INSTALLATION",
  "INSTALLATION_SUSPENDED",
]);

/** Why the chosen repository cannot be used (SPEC §5.2), with the way to fix it where there is one. */
function AccessProblem({ error, onRetry }: { error: unknown; onRetry: () => void }) {
  const reason = errorReasonOf(error);
  if (reason === "NO_PUSH_PERMISSION" || reason === "REPOSITORY_NOT_FOUND") {
    return (
      <p className="form-error" role="alert">
        {describeError(error).message}
      </p>
    );
  }
  if (reason && GITHUB_PAGE_REASONS.has(reason)) {
    return (
      <div className="error-state" role="alert">
        <p>{describeError(error).message}</p>
        <p>
          <Link to="/github">Go to the GitHub page</Link>
        </p>
      </div>
    );
  }
  return <ErrorState error={error} onRetry={onRetry} />;
}

function AvailabilityStatus({
  show,
  availability,
}: {
  show: boolean;
  availability: { isFetching: boolean; isError: boolean; error: unknown; data?: { available: boolean } };
}): ReactNode {
  if (!show) return null;
  if (availability.isFetching) return "Checking availability…";
  if (availability.isError) return `Availability unknown: ${describeError(availability.error).message}`;
  if (availability.data?.available) {
    return <span className="status-ok">Available</span>;
  }
  return null;
}
