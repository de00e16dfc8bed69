/**
 * A schema as the drift rules read it: `allOf` folded in, OpenAPI 3.0 spellings (`nullable`, boolean exclusive
 * bounds, `example`) read as their 3.1 equivalents, keywords sorted into families (type, format, enum, bounds,
 * properties, items, alternatives, conditions, annotations, and the ones no rule knows). Plus the stable JSON used to
 * compare values.
 */
import { isObject, type JsonObject } from "./load.js";

/** Keywords that only document: a change to them is `doc-changed` (safe). */
const ANNOTATIONS = new Set([
  "description",
  "title",
  "summary",
  "example",
  "examples",
  "$comment",
  "externalDocs",
  "readOnly",
  "writeOnly",
  "xml",
  "$schema",
  "$id",
  "$anchor",
  "$defs",
  "definitions",
  "contentMediaType",
  "contentEncoding",
]);

/** Upper bounds: a lower value narrows. */
export const UPPER = ["maxLength", "maxItems", "maxProperties", "maximum", "exclusiveMaximum"] as const;
/** Lower bounds: a higher value narrows. */
export const LOWER = ["minLength", "minItems", "minProperties", "minimum", "exclusiveMinimum"] as const;

/** The keywords this module has a rule for; any other keyword is compared as JSON. */
const HANDLED = new Set<string>([
  "type",
  "nullable",
  "format",
  "enum",
  "const",
  ...UPPER,
  ...LOWER,
  "pattern",
  "multipleOf",
  "uniqueItems",
  "properties",
  "required",
  "additionalProperties",
  "items",
  "allOf",
  "oneOf",
  "anyOf",
  "if",
  "then",
  "else",
  "deprecated",
  "default",
]);

/** JSON with sorted keys; a cycle becomes `"[cycle]"` (resolved documents can be cyclic). */
export function stableJson(value: unknown, stack: object[] = []): string {
  if (typeof value !== "object" || value === null) return JSON.stringify(value) ?? "null";
  if (stack.includes(value)) return '"[cycle]"';
  stack.push(value);
  const out = Array.isArray(value)
    ? `[${value.map((v) => stableJson(v, stack)).join(",")}]`
    : `{${Object.keys(value)
        .sort()
        .map((k) => `${JSON.stringify(k)}:${stableJson((value as JsonObject)[k], stack)}`)
        .join(",")}}`;
  stack.pop();
  return out;
}

export const same = (a: unknown, b: unknown) => stableJson(a) === stableJson(b);

/** Documentation text with its whitespace collapsed: a re-wrapped or re-indented paragraph says the same. */
function normalizeDoc(value: unknown): unknown {
  if (typeof value === "string") return value.replace(/\s+/g, " ").trim();
  if (Array.isArray(value)) return value.map(normalizeDoc);
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalizeDoc(v)]));
  return value;
}

/** Whether two pieces of documentation say the same, whitespace aside. */
export const sameDoc = (a: unknown, b: unknown) => same(normalizeDoc(a), normalizeDoc(b));
export const show = (value: unknown) => (typeof value === "string" ? value : stableJson(value));
export const list = (values: unknown[]) => values.map(show).join(", ");

/** A schema with `allOf` folded in and 3.0 spellings (`nullable`, boolean exclusive bounds) made 3.1. */
export interface View {
  types: Set<string> | undefined;
  format: string | undefined;
  enum: unknown[] | undefined;
  bounds: Map<string, number>;
  pattern: string | undefined;
  multipleOf: number | undefined;
  uniqueItems: boolean;
  properties: Map<string, unknown>;
  required: Set<string>;
  additionalProperties: unknown;
  items: unknown;
  /** if/then/else rules; the branches are named so that the object is not a thenable. */
  conditionals: { condition: unknown; whenTrue: unknown; whenFalse: unknown }[];
  oneOf: unknown[] | undefined;
  anyOf: unknown[] | undefined;
  deprecated: boolean;
  default: unknown;
  annotations: JsonObject;
  other: JsonObject;
}

export function view(schema: JsonObject, depth = 0): View {
  const v: View = {
    types: undefined,
    format: undefined,
    enum: undefined,
    bounds: new Map(),
    pattern: undefined,
    multipleOf: undefined,
    uniqueItems: false,
    properties: new Map(),
    required: new Set(),
    additionalProperties: undefined,
    items: undefined,
    conditionals: [],
    oneOf: undefined,
    anyOf: undefined,
    deprecated: false,
    default: undefined,
    annotations: {},
    other: {},
  };
  if (schema.type !== undefined) {
    v.types = new Set((Array.isArray(schema.type) ? schema.type : [schema.type]).map(String));
    if (schema.nullable === true) v.types.add("null");
  }
  if (typeof schema.format === "string") v.format = schema.format;
  if (Array.isArray(schema.enum)) v.enum = schema.enum;
  else if ("const" in schema) v.enum = [schema.const];
  for (const key of [...UPPER, ...LOWER]) {
    if (typeof schema[key] === "number") v.bounds.set(key, schema[key]);
  }
  // OpenAPI 3.0: `exclusiveMaximum: true` makes `maximum` exclusive.
  for (const [flag, bound] of [
    ["exclusiveMaximum", "maximum"],
    ["exclusiveMinimum", "minimum"],
  ] as const) {
    if (schema[flag] === true && typeof schema[bound] === "number") {
      v.bounds.set(flag, schema[bound]);
      v.bounds.delete(bound);
    }
  }
  if (typeof schema.pattern === "string") v.pattern = schema.pattern;
  if (typeof schema.multipleOf === "number") v.multipleOf = schema.multipleOf;
  v.uniqueItems = schema.uniqueItems === true;
  if (isObject(schema.properties)) for (const [k, s] of Object.entries(schema.properties)) v.properties.set(k, s);
  if (Array.isArray(schema.required)) for (const name of schema.required) v.required.add(String(name));
  v.additionalProperties = schema.additionalProperties;
  v.items = schema.items;
  if ("if" in schema || "then" in schema || "else" in schema) {
    v.conditionals.push({ condition: schema.if, whenTrue: schema.then, whenFalse: schema.else });
  }
  if (Array.isArray(schema.oneOf)) v.oneOf = schema.oneOf;
  if (Array.isArray(schema.anyOf)) v.anyOf = schema.anyOf;
  v.deprecated = schema.deprecated === true;
  v.default = schema.default;
  for (const [key, value] of Object.entries(schema)) {
    if (ANNOTATIONS.has(key) || key.startsWith("x-")) v.annotations[key] = value;
    else if (!HANDLED.has(key)) v.other[key] = value;
  }
  // OpenAPI 3.0's `example: X` is 3.1's `examples: [X]`: the same documentation, not a change.
  if ("example" in v.annotations && !("examples" in v.annotations)) {
    v.annotations.examples = [v.annotations.example];
    delete v.annotations.example;
  }
  // allOf: every member applies, so its properties, required names and conditions are the schema's own.
  if (Array.isArray(schema.allOf) && depth < 16) {
    for (const member of schema.allOf) {
      if (!isObject(member)) continue;
      const m = view(member, depth + 1);
      v.types ??= m.types;
      v.format ??= m.format;
      v.enum ??= m.enum;
      // Every member applies, so the tightest bound is the schema's: the lowest upper bound, the highest lower one.
      for (const [k, b] of m.bounds) {
        const own = v.bounds.get(k);
        const tighter = (UPPER as readonly string[]).includes(k) ? Math.min : Math.max;
        v.bounds.set(k, own === undefined ? b : tighter(own, b));
      }
      v.pattern ??= m.pattern;
      v.multipleOf ??= m.multipleOf;
      v.uniqueItems ||= m.uniqueItems;
      for (const [k, s] of m.properties) if (!v.properties.has(k)) v.properties.set(k, s);
      for (const name of m.required) v.required.add(name);
      v.additionalProperties ??= m.additionalProperties;
      v.items ??= m.items;
      v.conditionals.push(...m.conditionals);
      v.oneOf ??= m.oneOf;
      v.anyOf ??= m.anyOf;
      v.deprecated ||= m.deprecated;
      v.default ??= m.default;
      for (const [k, value] of Object.entries(m.annotations)) if (!(k in v.annotations)) v.annotations[k] = value;
      for (const [k, value] of Object.entries(m.other)) if (!(k in v.other)) v.other[k] = value;
    }
  }
  return v;
}

/** `integer` is a `number`: a type set covers `t` if it has `t` or, for integers, `number`. */
export const covers = (set: Set<string>, t: string) => set.has(t) || (t === "integer" && set.has("number"));

export const join = (field: string, key: string) => (field ? `${field}.${key}` : key);
