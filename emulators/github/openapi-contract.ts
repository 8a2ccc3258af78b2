import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

/**
 * A small structural validator for GitHub's OpenAPI 3.0 response schemas (@octokit/openapi): `$ref`,
 * `allOf`/`oneOf`/`anyOf`, `nullable`, `type`, `enum`, `required`, `properties`, `items`,
 * `additionalProperties`, and the `date-time`/`uri` formats. No JSON-Schema library is installed.
 */

export interface Schema {
  $ref?: string;
  type?: string;
  nullable?: boolean;
  enum?: unknown[];
  format?: string;
  required?: string[];
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  items?: Schema;
  allOf?: Schema[];
  oneOf?: Schema[];
  anyOf?: Schema[];
}

interface OpenApi {
  paths: Record<
    string,
    Record<
      string,
      { responses: Record<string, { $ref?: string; content?: Record<string, { schema?: Schema }> }> }
    >
  >;
  components: {
    schemas: Record<string, Schema>;
    responses: Record<string, { content?: Record<string, { schema?: Schema }> }>;
  };
}

let cached: OpenApi | undefined;

function spec(): OpenApi {
  if (!cached) {
    const file = createRequire(import.meta.url).resolve("@octokit/openapi/generated/api.github.com.json");
    cached = JSON.parse(readFileSync(file, "utf8")) as OpenApi;
  }
  return cached;
}

function resolve(schema: Schema): Schema {
  let current = schema;
  while (current.$ref) {
    const name = current.$ref.replace("#/components/schemas/", "");
    const target = spec().components.schemas[name];
    if (!target) throw new Error(`unresolvable $ref ${current.$ref}`);
    current = target;
  }
  return current;
}

/** The JSON schema GitHub documents for `method path` answering `status`. */
export function responseSchema(method: string, path: string, status: number): Schema {
  const operation = spec().paths[path]?.[method.toLowerCase()];
  if (!operation) throw new Error(`no operation ${method} ${path} in @octokit/openapi`);
  let response = operation.responses[String(status)];
  if (response?.$ref) response = spec().components.responses[response.$ref.split("/").at(-1) ?? ""];
  const schema = response?.content?.["application/json"]?.schema;
  if (!schema) throw new Error(`no JSON schema for ${method} ${path} ${status}`);
  return schema;
}

function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

/** Every mismatch between `value` and `schema`, as "$.path: problem" strings (empty when valid). */
export function validate(schema: Schema, value: unknown, at = "$"): string[] {
  const resolved = resolve(schema);
  if (value === null)
    return resolved.nullable || resolved.type === "null" ? [] : [`${at}: null is not allowed`];
  if (resolved.allOf) return resolved.allOf.flatMap((part) => validate(part, value, at));
  const alternatives = resolved.oneOf ?? resolved.anyOf;
  if (alternatives) {
    const results = alternatives.map((part) => validate(part, value, at));
    if (results.some((errors) => errors.length === 0)) return [];
    return results.sort((a, b) => a.length - b.length)[0] ?? [`${at}: matches no alternative`];
  }
  const errors: string[] = [];
  const actual = typeOf(value);
  if (resolved.type) {
    const matchesType = resolved.type === actual || (resolved.type === "number" && actual === "integer");
    if (!matchesType) return [`${at}: expected ${resolved.type}, got ${actual}`];
  }
  if (resolved.enum && !resolved.enum.includes(value)) {
    errors.push(`${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(resolved.enum)}`);
  }
  if (typeof value === "string" && resolved.format === "date-time" && Number.isNaN(Date.parse(value))) {
    errors.push(`${at}: ${value} is not a date-time`);
  }
  if (typeof value === "string" && resolved.format === "uri" && !URL.canParse(value)) {
    errors.push(`${at}: ${value} is not a uri`);
  }
  if (Array.isArray(value) && resolved.items) {
    const items = resolved.items;
    value.forEach((item, index) => errors.push(...validate(items, item, `${at}[${index}]`)));
  }
  if (actual === "object") {
    const record = value as Record<string, unknown>;
    for (const key of resolved.required ?? []) {
      if (!(key in record)) errors.push(`${at}: missing required property "${key}"`);
    }
    for (const [key, child] of Object.entries(record)) {
      const property = resolved.properties?.[key];
      if (property) errors.push(...validate(property, child, `${at}.${key}`));
      else if (typeof resolved.additionalProperties === "object") {
        errors.push(...validate(resolved.additionalProperties, child, `${at}.${key}`));
      }
    }
  }
  return errors;
}
