import type { UseQueryResult } from "@tanstack/react-query";
import type * as z from "zod";
import type { projectSettingsSchema } from "../../../../server/projects/project.schema.ts";
import { CheckboxField, TextField } from "../../components/field.tsx";
import type { RouterOutputs } from "../../lib/trpc.ts";
import { RegionSelect } from "./region-select.tsx";

/** A project's settings as a form holds them, before validation trims and normalises them. */
export type ProjectSettings = z.input<typeof projectSettingsSchema>;

/** The settings asked both when creating a project and in its settings form. */
type SharedSettings = Omit<ProjectSettings, "cancelInProgress">;
type SharedSetting = keyof SharedSettings;
type TextSetting = "name" | "productionBranch" | "rootDirectory" | "dockerfilePath" | "flyConfigPath";
type CheckboxSetting = "autoDeploy" | "previewsEnabled";
/**
 * A field and a value of its type. A union rather than a generic `<K>(field: K, value: SharedSettings[K])`,
 * which a form's own `update<K>(field: K, value: Values[K])` would not satisfy (its Values have more fields).
 */
type Change = { [K in SharedSetting]: [field: K, value: SharedSettings[K]] }[SharedSetting];

const TEXT_FIELDS: Record<TextSetting, { label: string; help?: string; placeholder?: string }> = {
  name: { label: "Project name" },
  productionBranch: { label: "Production branch", help: "Every push to this branch deploys to production." },
  rootDirectory: { label: "Root directory", placeholder: "(repository root)" },
  dockerfilePath: { label: "Dockerfile path" },
  flyConfigPath: { label: "fly.toml path" },
};

const CHECKBOX_FIELDS: Record<CheckboxSetting, { label: string; help: string }> = {
  autoDeploy: { label: "Auto-deploy", help: "Deploy every push to the production branch." },
  previewsEnabled: {
    label: "Pull-request previews",
    help: "Deploy each pull request to its own preview app.",
  },
};

function isCheckbox(field: SharedSetting): field is CheckboxSetting {
  return field in CHECKBOX_FIELDS;
}

/** The inputs for `fields`, in that order, each with the id `${idPrefix}${field}`. */
export function ProjectSettingsFields({
  idPrefix,
  fields,
  values,
  errors,
  onChange,
  regions,
  extraHelp = {},
}: {
  idPrefix: string;
  fields: readonly SharedSetting[];
  values: SharedSettings;
  errors: Record<string, string>;
  onChange: (...change: Change) => void;
  regions: UseQueryResult<RouterOutputs["project"]["regions"], unknown>;
  /** Said after a field's own help, e.g. the wizard's explanations for someone choosing them first. */
  extraHelp?: Partial<Record<TextSetting, string>>;
}) {
  return fields.map((field) => {
    const id = `${idPrefix}${field}`;
    if (field === "region") {
      return (
        <RegionSelect
          key={field}
          id={id}
          regions={regions}
          value={values.region}
          onChange={(value) => onChange(field, value)}
          error={errors.region}
        />
      );
    }
    if (isCheckbox(field)) {
      return (
        <CheckboxField
          key={field}
          id={id}
          {...CHECKBOX_FIELDS[field]}
          checked={values[field]}
          onChange={(checked) => onChange(field, checked)}
        />
      );
    }
    const { help = "", ...text } = TEXT_FIELDS[field];
    return (
      <TextField
        key={field}
        id={id}
        {...text}
        value={values[field]}
        onChange={(value) => onChange(field, value)}
        error={errors[field]}
        help={help + (extraHelp[field] ?? "")}
      />
    );
  });
}
