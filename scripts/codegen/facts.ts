/**
 * generated/spec-facts.ts: the facts src/ would otherwise retype from the spec. Each constant's name is derived from
 * where the spec states it, so nothing here is chosen by hand:
 *
 *   components.schemas.S.enum                      -> S_VALUES (as const) and `type S`
 *   components.schemas.S.properties.p.enum         -> S_P_VALUES (as const) and `type SP`
 *   components.schemas.S.properties.p.default      -> S_P_DEFAULT
 *   components.schemas.S.properties.p.maxLength... -> S_P_MAX_LENGTH (and _MIN_LENGTH, _MIN_ITEMS, _MAX_ITEMS,
 *                                                     _MINIMUM, _MAXIMUM, _PATTERN)
 *   "- Supported formats: `.a`, `.b`" in p's description -> S_P_SUPPORTED_FORMATS
 *   a 4xx example "must start with '...'" about a path parameter p -> P_PREFIX
 *   4xx/5xx response descriptions                  -> ERROR_TITLES
 *   each operation's method, path, parameters, body schemas   -> OPERATION_ID_ROUTE (and _CALLBACK_NAME_CALLBACK,
 *                                                     with the delivery timing its description states in prose)
 *   its error examples' `error.type` by status                -> OPERATION_ID_ERROR_TYPES
 *   components.schemas.S                           -> `type S`; the error bodies' `error` objects -> ErrorEnvelopeDetail
 */
import { componentSchemas, deref, isObject, type Json, type JsonObject } from "./json.js";

const LIMITS = ["minLength", "maxLength", "minItems", "maxItems", "minimum", "maximum", "pattern"] as const;
const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;

/** `VideoGenerationRequest`, `aspect_ratio` -> `VIDEO_GENERATION_REQUEST_ASPECT_RATIO`. */
function constName(...parts: string[]): string {
  return parts
    .map((p) => p.replace(/([a-z0-9])([A-Z])/g, "$1_$2").replace(/[^A-Za-z0-9]+/g, "_"))
    .join("_")
    .toUpperCase();
}

/** `VideoGenerationRequest`, `aspect_ratio` -> `VideoGenerationRequestAspectRatio`. */
function typeName(...parts: string[]): string {
  return parts
    .flatMap((p) => p.split(/[^A-Za-z0-9]+/))
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join("");
}

function literal(value: Json): string {
  return JSON.stringify(value);
}

/** One exported declaration, with its JSDoc. */
type Fact = string;

function enumFacts(where: string, enumValues: Json[], constParts: string[], type: string, source: string): Fact {
  const name = `${constName(...constParts)}_VALUES`;
  return [
    `/** ${where}: every value, in the spec's order. */`,
    `export const ${name} = ${literal(enumValues)} as const satisfies readonly ${source}[];`,
    `/** One of {@link ${name}}. */`,
    `export type ${type} = (typeof ${name})[number];`,
  ].join("\n");
}

function schemaFacts(schemas: JsonObject): Fact[] {
  const facts: Fact[] = [];
  for (const [name, raw] of Object.entries(schemas)) {
    if (!isObject(raw)) continue;
    const ref = `components["schemas"]["${name}"]`;
    if (Array.isArray(raw.enum)) {
      facts.push(enumFacts(`components.schemas.${name}.enum`, raw.enum, [name], name, ref));
    } else {
      facts.push([`/** components.schemas.${name}. */`, `export type ${name} = ${ref};`].join("\n"));
    }
    const properties = isObject(raw.properties) ? raw.properties : {};
    for (const [prop, schema] of Object.entries(properties)) {
      if (!isObject(schema) || typeof schema.$ref === "string") continue;
      const where = `components.schemas.${name}.properties.${prop}`;
      if (Array.isArray(schema.enum)) {
        const source = `NonNullable<${ref}["${prop}"]>`;
        facts.push(enumFacts(`${where}.enum`, schema.enum, [name, prop], typeName(name, prop), source));
      }
      if (schema.default !== undefined) {
        facts.push(
          `/** ${where}.default */\nexport const ${constName(name, prop)}_DEFAULT = ${literal(schema.default)};`,
        );
      }
      const formats =
        typeof schema.description === "string" ? /^- Supported formats: (.+)$/m.exec(schema.description) : null;
      if (formats?.[1]) {
        const list = [...formats[1].matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? "");
        facts.push(
          `/** ${where}.description: "${formats[0].slice(2)}" (prose: no schema keyword states it). */\nexport const ${constName(name, prop)}_SUPPORTED_FORMATS = ${literal(list)} as const;`,
        );
      }
      for (const keyword of LIMITS) {
        const value = schema[keyword];
        if (value === undefined) continue;
        facts.push(`/** ${where}.${keyword} */\nexport const ${constName(name, prop, keyword)} = ${literal(value)};`);
      }
    }
  }
  return facts;
}

/** Each operation of the spec (callbacks aside), in spec order. */
function operationsOf(doc: JsonObject): { id: string; op: JsonObject; method: string; path: string }[] {
  const out: { id: string; op: JsonObject; method: string; path: string }[] = [];
  for (const [path, item] of Object.entries(isObject(doc.paths) ? doc.paths : {})) {
    for (const method of METHODS) {
      const op = isObject(item) ? item[method] : undefined;
      if (isObject(op)) out.push({ id: String(op.operationId), op, method, path });
    }
  }
  return out;
}

/** The error responses (status 400-599) of each operation: status, description, example, body schema name. */
function errorResponses(doc: JsonObject) {
  return operationsOf(doc).flatMap(({ id, op }) =>
    Object.entries(isObject(op.responses) ? op.responses : {})
      .filter(([status]) => /^[45]\d\d$/.test(status))
      .map(([status, response]) => {
        const res = deref(doc, response);
        const media = isObject(res.content) ? Object.values(res.content)[0] : undefined;
        const schema = isObject(media) && isObject(media.schema) ? media.schema.$ref : undefined;
        return {
          id,
          op,
          status: Number(status),
          description: String(res.description ?? ""),
          example: isObject(media) ? media.example : undefined,
          schema: typeof schema === "string" ? schema.replace("#/components/schemas/", "") : undefined,
        };
      }),
  );
}

/**
 * A path parameter's required prefix. The spec states it only in an example: a 4xx example whose `error.param` is
 * the parameter and whose message says "must start with '...'". Every example value of that parameter must then
 * start with it, or codegen fails.
 */
function prefixFacts(doc: JsonObject): Fact[] {
  const found = new Map<string, { prefix: string; where: string }>();
  for (const { id, op, status, example } of errorResponses(doc)) {
    const error = isObject(example) && isObject(example.error) ? example.error : undefined;
    const match = typeof error?.message === "string" ? /must start with '([^']+)'/.exec(error.message) : null;
    const param = error?.param;
    if (!match?.[1] || typeof param !== "string") continue;
    const declared = (Array.isArray(op.parameters) ? op.parameters : []).map((p) => deref(doc, p));
    const parameter = declared.find((p) => p.name === param && p.in === "path");
    if (!parameter) continue;
    const where = `${id} ${status} example (error.param ${param}): "${error?.message}"`;
    const previous = found.get(param);
    if (previous && previous.prefix !== match[1]) {
      throw new Error(`${param}: "${previous.prefix}" (${previous.where}) and "${match[1]}" (${where})`);
    }
    found.set(param, { prefix: match[1], where });
    const schema = isObject(parameter.schema) ? parameter.schema : {};
    const values = [...(Array.isArray(schema.examples) ? schema.examples : []), parameter.example, schema.example];
    for (const value of values) {
      if (typeof value === "string" && !value.startsWith(match[1])) {
        throw new Error(`${id}: example ${param} "${value}" does not start with "${match[1]}" (${where})`);
      }
    }
  }
  return [...found].map(([param, { prefix, where }]) => {
    return [
      `/** What a \`${param}\` starts with. Stated only by an example in the spec: ${where.replaceAll("*/", "* /")}. */`,
      `export const ${constName(param)}_PREFIX = ${literal(prefix)};`,
    ].join("\n");
  });
}

/** The spec's description of each error status, the first operation (in spec order) that documents it winning. */
function titleFacts(doc: JsonObject): Fact[] {
  const titles = new Map<number, string>();
  const others: string[] = [];
  for (const { id, status, description } of errorResponses(doc)) {
    const first = titles.get(status);
    if (first === undefined) titles.set(status, description);
    else if (first !== description) others.push(`${status} "${description}" (${id})`);
  }
  const sorted = [...titles].sort((a, b) => a[0] - b[0]);
  return [
    [
      "/**",
      " * The spec's description of each documented error status, for a message when the body has none. Where",
      " * operations describe a status differently, the first operation in the spec is used",
      `${others.length > 0 ? ` * (also described: ${others.join(", ")}); ` : " * "}per-operation descriptions are in`,
      " * operations.ts (`operations.X.responses[status].description`).",
      " */",
      `export const ERROR_TITLES: Readonly<Record<number, string>> = {`,
      ...sorted.map(([status, description]) => `  ${status}: ${literal(description)},`),
      "};",
    ].join("\n"),
  ];
}

/** The component name of a body's schema (`#/components/schemas/X`), or null when it has none. */
function bodySchema(doc: JsonObject, holder: Json | undefined): string | null {
  if (holder === undefined) return null;
  const content = deref(doc, holder).content;
  const media = isObject(content) ? Object.values(content)[0] : undefined;
  const ref = isObject(media) && isObject(media.schema) ? media.schema.$ref : undefined;
  return typeof ref === "string" ? ref.replace("#/components/schemas/", "") : null;
}

/**
 * A callback's delivery timing, stated only in its description's prose: "- Timeout: `10` seconds" and "- Maximum `3`
 * retries after failure (at `1`/`2`/`4` seconds after failure)". `null` when the description states neither; a
 * description that states one without the other, or a retry count its delays do not match, stops the codegen (the
 * mock and `verify` time deliveries by these).
 */
export function callbackTiming(
  where: string,
  description: string,
): { timeoutMs: number; retryDelaysMs: number[] } | null {
  const timeout = /^- Timeout: `(\d+)` seconds?$/m.exec(description);
  const retries = /^- Maximum `(\d+)` retries after failure \(at ((?:`\d+`\/?)+) seconds after failure\)$/m.exec(
    description,
  );
  if (!timeout && !retries) return null;
  if (!timeout?.[1] || !retries?.[1] || !retries[2]) {
    throw new Error(
      `${where}: its description states ${timeout ? "a timeout but no retries" : "retries but no timeout"}`,
    );
  }
  const retryDelaysMs = [...retries[2].matchAll(/`(\d+)`/g)].map((m) => Number(m[1]) * 1000);
  if (retryDelaysMs.length !== Number(retries[1])) {
    throw new Error(`${where}: "Maximum ${retries[1]} retries" lists ${retryDelaysMs.length} retry delays`);
  }
  return { timeoutMs: Number(timeout[1]) * 1000, retryDelaysMs };
}

/**
 * Each operation's route (method, path, path parameters, request and 2xx body schemas), its callbacks' (method, URL
 * expression, body schema), and the `error.type` of each documented error response (stated only by the examples):
 * what a client needs at run time, without operations.ts's examples and descriptions.
 */
function routeFacts(doc: JsonObject): Fact[] {
  const errors = errorResponses(doc);
  return operationsOf(doc).flatMap(({ id, op, method, path }) => {
    const name = constName(id);
    const responses = isObject(op.responses) ? op.responses : {};
    const ok = Object.entries(responses).find(([status]) => /^2\d\d$/.test(status))?.[1];
    const route = {
      method: method.toUpperCase(),
      path,
      pathParameters: (Array.isArray(op.parameters) ? op.parameters : [])
        .map((p) => deref(doc, p))
        .filter((p) => p.in === "path")
        .map((p) => String(p.name)),
      requestSchema: bodySchema(doc, op.requestBody),
      responseSchema: bodySchema(doc, ok),
    };
    const callbacks = Object.entries(isObject(op.callbacks) ? op.callbacks : {}).flatMap(([cbName, callback]) =>
      Object.entries(deref(doc, callback)).flatMap(([expression, item]) =>
        METHODS.flatMap((cbMethod) => {
          const cbOp = isObject(item) ? item[cbMethod] : undefined;
          if (!isObject(cbOp)) return [];
          const timing = callbackTiming(`${id}'s callback ${cbName}`, String(cbOp.description ?? ""));
          const value = {
            method: cbMethod.toUpperCase(),
            expression,
            bodySchema: bodySchema(doc, cbOp.requestBody),
            ...timing,
          };
          return [
            `/** ${id}'s callback ${cbName} (${String(cbOp.operationId)})${timing ? "; its timing from the description's prose (no schema keyword states it)" : ""}. */\nexport const ${name}_${constName(cbName)}_CALLBACK = ${literal(value)} as const;`,
          ];
        }),
      ),
    );
    const types = errors
      .filter((r) => r.id === id)
      .flatMap(({ status, example }) => {
        const type = isObject(example) && isObject(example.error) ? example.error.type : undefined;
        return typeof type === "string" ? [`  ${status}: ${literal(type)},`] : [];
      });
    return [
      `/** ${id}: its route and body schemas. */\nexport const ${name}_ROUTE = ${literal(route)} as const;`,
      ...callbacks,
      [
        `/** ${id}: the \`error.type\` of each documented error status, from the response examples (stated nowhere else). */`,
        `export const ${name}_ERROR_TYPES: Readonly<Record<number, string>> = {`,
        ...types,
        "};",
      ].join("\n"),
    ];
  });
}

/** The union of the `error` objects of every error body schema, as one object type. */
function envelopeFacts(doc: JsonObject): Fact[] {
  const schemas = [...new Set(errorResponses(doc).map((r) => r.schema))].filter((s): s is string => s !== undefined);
  for (const name of schemas) {
    const schema = componentSchemas(doc)[name];
    if (!isObject(schema) || !isObject(schema.properties) || schema.properties.error === undefined) {
      throw new Error(`error body ${name} has no \`error\` property: the envelope type cannot be derived`);
    }
  }
  const members = schemas.map((name) => `NonNullable<components["schemas"]["${name}"]["error"]>`);
  return [
    [
      "/** Every field of a union's members, each optional, with the union of its types. */",
      "type MergeFields<U> = {",
      "  [K in U extends unknown ? keyof U : never]?: U extends unknown",
      "    ? K extends keyof U",
      "      ? Exclude<U[K], undefined>",
      "      : never",
      "    : never;",
      "};",
      `/** The \`error\` object of every error body (${schemas.join(", ")}), as one type. */`,
      `export type ErrorEnvelopeDetail = MergeFields<${members.join(" | ")}>;`,
    ].join("\n"),
  ];
}

/** The text of generated/spec-facts.ts. */
export function generateSpecFacts(doc: JsonObject, header: string): string {
  const facts = [
    ...schemaFacts(componentSchemas(doc)),
    ...prefixFacts(doc),
    ...titleFacts(doc),
    ...routeFacts(doc),
    ...envelopeFacts(doc),
  ];
  return [header, 'import type { components } from "./schema.js";', ...facts, ""].join("\n");
}
