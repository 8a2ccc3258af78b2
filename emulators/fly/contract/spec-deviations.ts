import type { Schema } from "./openapi-checker.ts";

/**
 * A place where the live Machines API differs from its OpenAPI spec and the emulator follows the live
 * behaviour. Each entry cites `fly-machines-api.md` (the project's research notes on the API, with their
 * sources). Contract tests accept exactly these differences and fail on any other.
 */
export interface SpecDeviation {
  id: string;
  /** Operation keys as `METHOD /spec/path`, or `*` for every operation. */
  operations: readonly string[];
  /** Query parameters the spec omits; a name ending in `.*` is a prefix. */
  extraQueryParameters?: Readonly<Record<string, Schema>>;
  /** Replaces the spec's request body schema. */
  requestBody?: Schema;
  /** Replaces the spec's response for a status; `error` covers error statuses the operation does not declare. */
  responses?: Readonly<Record<string, Schema | "no-body">>;
  /** Replaces single properties of component schemas, e.g. `{ "fly.MachineService": { autostop: … } }`. */
  schemaPatches?: Readonly<Record<string, Readonly<Record<string, Schema>>>>;
}

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const ok: Schema = { type: "object", required: ["ok"], properties: { ok: { type: "boolean" } } };

export const SPEC_DEVIATIONS: readonly SpecDeviation[] = [
  {
    // fly-machines-api.md §1.2: "ErrorResponse = {error, status?, details?}"; DOCS status table lists
    // 400/401/404/408/422/5xx, DISTILLED patches add 403/404/409/412 — few operations declare them.
    id: "undeclared-error-statuses",
    operations: ["*"],
    responses: { error: ref("ErrorResponse") },
  },
  {
    // fly-machines-api.md §1.2: taken app name → 422 {"error":"Validation failed: Name has already been taken","status":"name_taken"}
    // (FLYGO flaps_error.go / flaps_error_test.go); the spec's status enum knows only unknown/insufficient_capacity.
    id: "error-status-name-taken",
    operations: [],
    schemaPatches: {
      ErrorResponse: { status: { type: "string", enum: ["unknown", "insufficient_capacity", "name_taken"] } },
    },
  },
  {
    // fly-machines-api.md §1.6: "real body is an envelope, not the bare Lease schema: {status:"success", data:{nonce, …}}"
    // (DOCS _machines_lease_create_resp.erb; FLYGO MachineLease; DISTILLED machineLeases patch).
    id: "lease-envelope",
    operations: [
      "POST /apps/{app_name}/machines/{machine_id}/lease",
      "GET /apps/{app_name}/machines/{machine_id}/lease",
    ],
    responses: {
      "200": {
        type: "object",
        required: ["status", "data"],
        properties: { status: { type: "string", enum: ["success"] }, data: ref("Lease") },
      },
      "201": {
        type: "object",
        required: ["status", "data"],
        properties: { status: { type: "string", enum: ["success"] }, data: ref("Lease") },
      },
    },
  },
  {
    // fly-machines-api.md §1.6: DELETE lease → 200 {"status":"success","data":{"ok":true}} (DOCS example); spec: no body.
    id: "lease-release-body",
    operations: ["DELETE /apps/{app_name}/machines/{machine_id}/lease"],
    responses: {
      "200": {
        type: "object",
        required: ["status", "data"],
        properties: { status: { type: "string", enum: ["success"] }, data: ok },
      },
    },
  },
  {
    // fly-machines-api.md §1.6: "FLYGO sends no body and ?ttl=<n>" (flaps_machines.go AcquireLease/RefreshLease).
    id: "lease-ttl-query",
    operations: ["POST /apps/{app_name}/machines/{machine_id}/lease"],
    extraQueryParameters: { ttl: { type: "integer" } },
  },
  {
    // fly-machines-api.md §1.4: "DOCS and OLD-SPEC use "app_name" instead of name"; the emulator accepts both.
    id: "app-create-app-name",
    operations: ["POST /apps"],
    requestBody: {
      allOf: [ref("CreateAppRequest")],
      type: "object",
      properties: { app_name: { type: "string" } },
    },
  },
  {
    // fly-machines-api.md §1.4: spec says 201 without content; DOCS example body {"id","created_at"} and FLYGO decodes an App.
    id: "app-create-returns-app",
    operations: ["POST /apps"],
    responses: {
      "201": {
        allOf: [ref("App")],
        type: "object",
        required: ["id", "name"],
        properties: { created_at: { type: "integer" } },
      },
    },
  },
  {
    // fly-machines-api.md §1.4: FLYGO creates apps with `POST /apps?wait=true`.
    id: "app-create-wait-query",
    operations: ["POST /apps"],
    extraQueryParameters: { wait: { type: "boolean" } },
  },
  {
    // fly-machines-api.md §1.4: "DELETE /apps/{app} — DOCS: ?force=true stops machines and deletes immediately".
    id: "app-delete-force-query",
    operations: ["DELETE /apps/{app_name}"],
    extraQueryParameters: { force: { type: "boolean" } },
  },
  {
    // fly-machines-api.md §1.5: "FLYGO and FLYADMIN send ?kill=true|false instead [of force] → accept both".
    id: "machine-delete-kill-query",
    operations: ["DELETE /apps/{app_name}/machines/{machine_id}"],
    extraQueryParameters: { kill: { type: "boolean" } },
  },
  {
    // fly-machines-api.md §1.5: the spec declares these 200s without content; DOCS show {"ok":true} for stop/delete/suspend and
    // {"previous_state","migrated","new_host"} for start (FLYGO MachineStartResponse).
    id: "machine-action-bodies",
    operations: [
      "POST /apps/{app_name}/machines/{machine_id}/start",
      "POST /apps/{app_name}/machines/{machine_id}/stop",
      "POST /apps/{app_name}/machines/{machine_id}/restart",
      "POST /apps/{app_name}/machines/{machine_id}/suspend",
      "DELETE /apps/{app_name}/machines/{machine_id}",
    ],
    responses: {
      "200": {
        anyOf: [
          ok,
          {
            type: "object",
            required: ["previous_state"],
            properties: {
              previous_state: { type: "string" },
              migrated: { type: "boolean" },
              new_host: { type: "string" },
            },
          },
        ],
      },
    },
  },
  {
    // fly-machines-api.md §1.5: "DOCS: metadata.{key}=value filter" on the machines list, not in the spec's parameters.
    id: "machines-list-metadata-filter",
    operations: ["GET /apps/{app_name}/machines"],
    extraQueryParameters: { "metadata.*": { type: "string" } },
  },
  {
    // fly-machines-api.md §1.5: "autostop: … live reads return `true` for stop" (DISTILLED machineAutostop patch); the spec's
    // own description says responses keep booleans for "off"/"stop", while its type says string enum.
    id: "machine-service-autostop-boolean",
    operations: [],
    schemaPatches: {
      "fly.MachineService": {
        autostop: { anyOf: [{ type: "boolean" }, { type: "string", enum: ["off", "stop", "suspend"] }] },
      },
    },
  },
  {
    // fly-machines-api.md §1.9: POST /apps/{app}/secrets {"values": {"KEY": "value", "OLD": null}} — null unsets; the spec
    // types values as strings.
    id: "secrets-unset-with-null",
    operations: ["POST /apps/{app_name}/secrets"],
    requestBody: {
      type: "object",
      properties: { values: { type: "object", additionalProperties: { type: "string", nullable: true } } },
    },
  },
  {
    // fly-machines-api.md §1.9: "FLYGO sends version= instead of min_version (flaps_secrets.go) → accept both".
    id: "secrets-version-query",
    operations: ["GET /apps/{app_name}/secrets"],
    extraQueryParameters: { version: { type: "string" } },
  },
  {
    // fly-machines-api.md §1.5: metadata PUT/PATCH `{"metadata":{k: v|null|""}}` — null/"" removes a key; spec: strings.
    id: "metadata-remove-with-null",
    operations: [
      "PUT /apps/{app_name}/machines/{machine_id}/metadata",
      "PATCH /apps/{app_name}/machines/{machine_id}/metadata",
    ],
    requestBody: {
      type: "object",
      properties: {
        metadata: { type: "object", additionalProperties: { type: "string", nullable: true } },
        machine_version: { type: "string" },
        updated_at: { type: "string" },
      },
    },
  },
];
