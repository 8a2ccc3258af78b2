import type { UseQueryResult } from "@tanstack/react-query";
import { Link } from "react-router";
import { FieldError, FieldHelp, fieldAria } from "../../components/field.tsx";
import { ErrorState, Loading } from "../../components/query-state.tsx";
import { type RouterOutputs, errorReasonOf } from "../../lib/trpc.ts";

type Regions = RouterOutputs["project"]["regions"];

/** Fly.io's regions (from `project.regions`), the one nearest to Hangar marked. */
export function RegionSelect({
  id,
  regions,
  value,
  onChange,
  error,
  disabled,
}: {
  id: string;
  regions: UseQueryResult<Regions, unknown>;
  value: string;
  onChange: (code: string) => void;
  error: string | undefined;
  disabled?: boolean;
}) {
  if (regions.isPending) return <Loading label="Loading Fly.io regions…" />;
  if (regions.isError) {
    if (errorReasonOf(regions.error) === "FLY_CREDENTIAL_MISSING") {
      return (
        <p className="form-error" role="alert">
          Fly.io regions need the organization&apos;s Fly.io token.{" "}
          <Link to="/settings">Add it in Settings</Link>.
        </p>
      );
    }
    return <ErrorState error={regions.error} onRetry={() => void regions.refetch()} />;
  }
  const list = regions.data.regions;
  // A region Fly no longer lists (e.g. a project's old one) stays visible rather than silently changing.
  const options =
    value && !list.some((region) => region.code === value) ? [{ code: value, name: value }, ...list] : list;
  return (
    <div className="field">
      <label htmlFor={id}>Region</label>
      <select
        {...fieldAria(id, { error, help: true })}
        value={value}
        onChange={(event) => onChange(event.target.value)}
        disabled={disabled}
      >
        {value === "" ? <option value="">Choose a region</option> : null}
        {options.map((region) => (
          <option key={region.code} value={region.code}>
            {region.name} ({region.code}){region.code === regions.data.nearest ? " · nearest" : ""}
          </option>
        ))}
      </select>
      <FieldHelp id={id}>
        Where the app&apos;s machines run. The region nearest to Hangar is preselected.
      </FieldHelp>
      <FieldError id={id} error={error} />
    </div>
  );
}
