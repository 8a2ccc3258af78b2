import { readFileSync } from "node:fs";

/** The subset of JSON Schema (OpenAPI 3.0 flavour) that Fly's spec uses. */
export interface Schema {
  $ref?: string;
  type?: "object" | "array" | "string" | "integer" | "number" | "boolean";
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  enum?: unknown[];
  allOf?: Schema[];
  anyOf?: Schema[];
  nullable?: boolean;
  description?: string;
}

interface Parameter {
  name: string;
  in: "query" | "path" | "header";
  required?: boolean;
  schema?: Schema;
}

interface Operation {
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  responses: Record<string, { content?: Record<string, { schema?: Schema }> }>;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

export function loadFlySpec(): OpenApiDocument {
  return JSON.parse(
    readFileSync(new URL("./fly-machines-openapi.json", import.meta.url), "utf8"),
  ) as OpenApiDocument;
}

export interface CheckOptions {
  /**
   * Report object properties the schema does not declare. Fly's spec has almost no `required` lists, so
   * this is what catches an emulator inventing fields: every extra must be a named deviation.
   */
  rejectUnknownProperties: boolean;
  /** Called with `Schema.property` for every declared property visited (used to track patched ones). */
  onProperty?: (schemaName: string, property: string) => void;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describeType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number" && Number.isInteger(value)) return "integer";
  return typeof value;
}

/** A small honest validator: $ref, allOf, anyOf, type, enum, required, properties, additionalProperties, items. */
export class SchemaChecker {
  private readonly document: OpenApiDocument;
  private readonly options: CheckOptions;

  constructor(document: OpenApiDocument, options: CheckOptions) {
    this.document = document;
    this.options = options;
  }

  check(schema: Schema, value: unknown, path = "$"): string[] {
    const issues: string[] = [];
    this.#check(schema, value, path, issues, true, undefined);
    return issues;
  }

  resolve(schema: Schema): { schema: Schema; name: string | undefined } {
    let current = schema;
    let name: string | undefined;
    for (let depth = 0; current.$ref; depth += 1) {
      const prefix = "#/components/schemas/";
      if (!current.$ref.startsWith(prefix) || depth > 32) throw new Error(`unsupported $ref ${current.$ref}`);
      name = decodeURIComponent(current.$ref.slice(prefix.length))
        .replaceAll("~1", "/")
        .replaceAll("~0", "~");
      const target = this.document.components.schemas[name];
      if (!target) throw new Error(`unresolvable $ref ${current.$ref}`);
      current = target;
    }
    return { schema: current, name };
  }

  /** Properties an object may carry: its own plus those of its `allOf` members. */
  #knownProperties(schema: Schema): Set<string> {
    const { schema: resolved } = this.resolve(schema);
    const known = new Set(Object.keys(resolved.properties ?? {}));
    for (const member of resolved.allOf ?? [])
      for (const key of this.#knownProperties(member)) known.add(key);
    return known;
  }

  #check(
    rawSchema: Schema,
    value: unknown,
    path: string,
    issues: string[],
    checkUnknown: boolean,
    inheritedName: string | undefined,
  ): void {
    const { schema, name: refName } = this.resolve(rawSchema);
    const schemaName = refName ?? inheritedName;
    if (value === null && schema.nullable) return;

    for (const member of schema.allOf ?? []) {
      // Members are checked together below for unknown properties, so not one by one.
      this.#check(member, value, path, issues, false, undefined);
    }
    if (schema.anyOf) {
      const failures = schema.anyOf.map((member) => this.check(member, value, path));
      if (failures.every((failure) => failure.length > 0)) {
        issues.push(`${path}: matches none of anyOf (${failures.map((failure) => failure[0]).join(" | ")})`);
      }
    }
    if (schema.enum && !schema.enum.includes(value)) {
      issues.push(`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
      return;
    }

    const type = schema.type ?? (schema.properties ? "object" : undefined);
    switch (type) {
      case undefined:
        return;
      case "string":
      case "boolean":
        if (typeof value !== type) issues.push(`${path}: expected ${type}, got ${describeType(value)}`);
        return;
      case "integer":
        if (typeof value !== "number" || !Number.isInteger(value)) {
          issues.push(`${path}: expected integer, got ${describeType(value)}`);
        }
        return;
      case "number":
        if (typeof value !== "number" || !Number.isFinite(value)) {
          issues.push(`${path}: expected number, got ${describeType(value)}`);
        }
        return;
      case "array":
        if (!Array.isArray(value)) {
          issues.push(`${path}: expected array, got ${describeType(value)}`);
          return;
        }
        if (schema.items) {
          const items = schema.items;
          value.forEach((item, index) =>
            this.#check(items, item, `${path}[${index}]`, issues, true, undefined),
          );
        }
        return;
      case "object":
        this.#checkObject(schema, schemaName, value, path, issues, checkUnknown);
        return;
    }
  }

  #checkObject(
    schema: Schema,
    schemaName: string | undefined,
    value: unknown,
    path: string,
    issues: string[],
    checkUnknown: boolean,
  ): void {
    if (!isPlainObject(value)) {
      issues.push(`${path}: expected object, got ${describeType(value)}`);
      return;
    }
    for (const key of schema.required ?? []) {
      if (value[key] === undefined) issues.push(`${path}: missing required property "${key}"`);
    }
    const known = this.#knownProperties(schema);
    for (const [key, propertyValue] of Object.entries(value)) {
      const propertyPath = `${path}.${key}`;
      const propertySchema = schema.properties?.[key];
      if (propertySchema) {
        if (schemaName) this.options.onProperty?.(schemaName, key);
        this.#check(propertySchema, propertyValue, propertyPath, issues, true, undefined);
      } else if (known.has(key)) {
        continue; // declared by an allOf member, which checked it
      } else if (typeof schema.additionalProperties === "object") {
        this.#check(schema.additionalProperties, propertyValue, propertyPath, issues, true, undefined);
      } else if (schema.additionalProperties === false) {
        issues.push(`${propertyPath}: additional property not allowed`);
      } else if (checkUnknown && this.options.rejectUnknownProperties && known.size > 0) {
        issues.push(`${propertyPath}: property not in the spec`);
      }
    }
  }
}

export interface MatchedOperation {
  /** e.g. `POST /apps/{app_name}/machines` */
  key: string;
  operation: Operation;
}

/** Finds the spec operation for a request path (with or without the `/v1` server prefix). */
export function findOperation(
  document: OpenApiDocument,
  method: string,
  path: string,
): MatchedOperation | undefined {
  const specPath = path.replace(/^\/v1(?=\/)/, "");
  const lowerMethod = method.toLowerCase();
  const candidates = Object.entries(document.paths)
    .filter(([template, operations]) => {
      if (!operations[lowerMethod]) return false;
      const pattern = template.replace(/[.+?^$()|[\]\\]/g, "\\$&").replace(/\{[^}]+\}/g, "[^/]+");
      return new RegExp(`^${pattern}$`).test(specPath);
    })
    // The most literal template wins (`/apps/{a}/secrets` over `/apps/{a}/{b}` style overlaps).
    .sort(([a], [b]) => (a.match(/\{/g)?.length ?? 0) - (b.match(/\{/g)?.length ?? 0));
  const [template, operations] = candidates[0] ?? [];
  const operation = template && operations ? operations[lowerMethod] : undefined;
  return template && operation ? { key: `${method.toUpperCase()} ${template}`, operation } : undefined;
}

export function queryParameters(operation: Operation): Map<string, Schema> {
  return new Map(
    (operation.parameters ?? [])
      .filter((parameter) => parameter.in === "query")
      .map((parameter) => [parameter.name, parameter.schema ?? {}]),
  );
}

export function requestBodySchema(operation: Operation): Schema | undefined {
  return operation.requestBody?.content?.["application/json"]?.schema;
}

/** `undefined` when the status is not declared; `null` when it is declared without a body. */
export function responseSchema(operation: Operation, status: number): Schema | null | undefined {
  const response = operation.responses[String(status)];
  if (!response) return undefined;
  return response.content?.["application/json"]?.schema ?? null;
}
