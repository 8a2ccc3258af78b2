import {
  findOperation,
  queryParameters,
  requestBodySchema,
  responseSchema,
  SchemaChecker,
  type OpenApiDocument,
  type Schema,
} from "./openapi-checker.ts";
import type { SpecDeviation } from "./spec-deviations.ts";

export interface Exchange {
  method: string;
  /** Path as sent, e.g. `/v1/apps/x/machines?summary=true`. */
  url: string;
  requestBody: unknown;
  status: number;
  responseBody: unknown;
}

function withPatches(document: OpenApiDocument, deviations: readonly SpecDeviation[]) {
  const patched = structuredClone(document);
  const patchedProperties = new Map<string, string>();
  for (const deviation of deviations) {
    for (const [schemaName, properties] of Object.entries(deviation.schemaPatches ?? {})) {
      const target = patched.components.schemas[schemaName];
      if (!target?.properties)
        throw new Error(`deviation ${deviation.id} patches unknown schema ${schemaName}`);
      for (const [property, schema] of Object.entries(properties)) {
        if (!target.properties[property])
          throw new Error(`deviation ${deviation.id}: ${schemaName} has no ${property}`);
        target.properties[property] = schema;
        patchedProperties.set(`${schemaName}.${property}`, deviation.id);
      }
    }
  }
  return { patched, patchedProperties };
}

function queryValueIssue(name: string, schema: Schema, value: string): string | undefined {
  const values = schema.enum ? value.split(",") : [value];
  for (const item of values) {
    if (schema.type === "integer" && !/^-?\d+$/.test(item)) return `query ${name}=${item}: expected integer`;
    if (schema.type === "boolean" && item !== "true" && item !== "false")
      return `query ${name}=${item}: expected boolean`;
    if (schema.enum && !schema.enum.includes(item))
      return `query ${name}=${item}: not one of ${JSON.stringify(schema.enum)}`;
  }
  return undefined;
}

/**
 * Checks request/response pairs against Fly's OpenAPI document, allowing exactly the named deviations,
 * and remembers which operations and deviations were exercised.
 */
export class ContractRecorder {
  private readonly deviations: readonly SpecDeviation[];
  readonly exercisedOperations = new Set<string>();
  readonly appliedDeviations = new Set<string>();
  readonly #document: OpenApiDocument;
  readonly #checker: SchemaChecker;

  constructor(document: OpenApiDocument, deviations: readonly SpecDeviation[]) {
    this.deviations = deviations;
    const { patched, patchedProperties } = withPatches(document, deviations);
    this.#document = patched;
    this.#checker = new SchemaChecker(patched, {
      rejectUnknownProperties: true,
      onProperty: (schemaName, property) => {
        const deviation = patchedProperties.get(`${schemaName}.${property}`);
        if (deviation) this.appliedDeviations.add(deviation);
      },
    });
  }

  /** Returns the contract violations of one exchange (empty when it conforms). */
  check(exchange: Exchange): string[] {
    const url = new URL(exchange.url, "http://emulator");
    const matched = findOperation(this.#document, exchange.method, url.pathname);
    const label = `${exchange.method} ${url.pathname}${url.search} → ${exchange.status}`;
    if (!matched) return [`${label}: no such operation in the spec`];
    this.exercisedOperations.add(matched.key);
    const deviations = this.deviations.filter(
      (deviation) => deviation.operations.includes("*") || deviation.operations.includes(matched.key),
    );
    const use = (deviation: SpecDeviation) => this.appliedDeviations.add(deviation.id);
    const issues: string[] = [];

    const declared = queryParameters(matched.operation);
    for (const [name, value] of url.searchParams) {
      let schema = declared.get(name);
      if (!schema) {
        const deviation = deviations.find((candidate) =>
          Object.keys(candidate.extraQueryParameters ?? {}).some((extra) =>
            extra.endsWith(".*") ? name.startsWith(extra.slice(0, -1)) : extra === name,
          ),
        );
        if (!deviation) {
          issues.push(`query parameter ${name} is not in the spec`);
          continue;
        }
        use(deviation);
        const extras = deviation.extraQueryParameters ?? {};
        schema =
          extras[name] ?? Object.entries(extras).find(([extra]) => name.startsWith(extra.slice(0, -1)))?.[1];
      }
      const problem = schema ? queryValueIssue(name, schema, value) : undefined;
      if (problem) issues.push(problem);
    }

    if (exchange.requestBody !== undefined) {
      const deviation = deviations.find((candidate) => candidate.requestBody);
      if (deviation) use(deviation);
      const schema = deviation?.requestBody ?? requestBodySchema(matched.operation);
      if (!schema) issues.push("the spec defines no request body");
      else issues.push(...this.#checker.check(schema, exchange.requestBody, "request"));
    }

    const status = String(exchange.status);
    let expected: Schema | "no-body" | undefined;
    const statusDeviation = deviations.find((candidate) => candidate.responses?.[status]);
    const declaredResponse = responseSchema(matched.operation, exchange.status);
    if (statusDeviation) {
      use(statusDeviation);
      expected = statusDeviation.responses?.[status];
    } else if (declaredResponse !== undefined) {
      expected = declaredResponse ?? "no-body";
    } else if (exchange.status >= 400) {
      const errorDeviation = deviations.find((candidate) => candidate.responses?.error);
      if (errorDeviation) use(errorDeviation);
      expected = errorDeviation?.responses?.error;
    }
    if (expected === undefined) {
      issues.push(`status ${status} is not declared for ${matched.key}`);
    } else if (expected === "no-body") {
      if (exchange.responseBody !== undefined) issues.push(`the spec declares no body for ${status}`);
    } else if (exchange.responseBody === undefined) {
      issues.push(`expected a JSON body for ${status}`);
    } else {
      issues.push(...this.#checker.check(expected, exchange.responseBody, "response"));
    }
    return issues.map((issue) => `${label}: ${issue}`);
  }
}
