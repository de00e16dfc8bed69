/**
 * Compares two resolved JSON Schemas (OpenAPI 3.0 or 3.1) from a client's point of view.
 *
 * The direction decides what breaks a client:
 * - `request` (the client writes, the server reads): anything the new schema rejects that the old one accepted is
 *   breaking (a new required field, a lower maxLength, a removed enum value, a new format); widening is safe.
 * - `response` (the server writes, the client reads; callback bodies too): a value the client cannot handle is
 *   breaking (a removed field, a field that became optional, a changed type or format, a removed enum value the
 *   client waits for); a new enum value is risky (exhaustive switches); a widened constraint is risky because the
 *   client validates responses against the pinned spec (`validateResponses`) and would reject the new values;
 *   narrowing is safe.
 * Keywords it has no rule for are compared as JSON and reported as risky, never dropped.
 */
import type { Finding, Level } from "./findings.js";
import { isObject, type JsonObject } from "./load.js";

/** Who writes the data the schema describes. */
export type Direction = "request" | "response";

/** Where findings go, and the cycle guard. */
export interface SchemaDiffContext {
  direction: Direction;
  /** Adds a finding at `field` (the body itself when empty). */
  add(finding: Omit<Finding, "operation" | "where">): void;
}

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
const UPPER = ["maxLength", "maxItems", "maxProperties", "maximum", "exclusiveMaximum"] as const;
/** Lower bounds: a higher value narrows. */
const LOWER = ["minLength", "minItems", "minProperties", "minimum", "exclusiveMinimum"] as const;

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

const same = (a: unknown, b: unknown) => stableJson(a) === stableJson(b);

/** Documentation text with its whitespace collapsed: a re-wrapped or re-indented paragraph says the same. */
function normalizeDoc(value: unknown): unknown {
  if (typeof value === "string") return value.replace(/\s+/g, " ").trim();
  if (Array.isArray(value)) return value.map(normalizeDoc);
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalizeDoc(v)]));
  return value;
}

/** Whether two pieces of documentation say the same, whitespace aside. */
export const sameDoc = (a: unknown, b: unknown) => same(normalizeDoc(a), normalizeDoc(b));
const show = (value: unknown) => (typeof value === "string" ? value : stableJson(value));
const list = (values: unknown[]) => values.map(show).join(", ");

/** A schema with `allOf` folded in and 3.0 spellings (`nullable`, boolean exclusive bounds) made 3.1. */
interface View {
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

function view(schema: JsonObject, depth = 0): View {
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
      for (const [k, b] of m.bounds) if (!v.bounds.has(k)) v.bounds.set(k, b);
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
const covers = (set: Set<string>, t: string) => set.has(t) || (t === "integer" && set.has("number"));

const join = (field: string, key: string) => (field ? `${field}.${key}` : key);

/** Pairs already compared (or being compared): resolved documents can be cyclic. */
type Visited = WeakMap<object, WeakSet<object>>;

/**
 * Compares `before` (pinned) with `after` (upstream) and adds a finding per difference.
 * `field` is the path of the schema inside the body (empty for the body itself).
 */
export function diffSchema(
  before: unknown,
  after: unknown,
  field: string,
  ctx: SchemaDiffContext,
  visited: Visited = new WeakMap(),
): void {
  if (before === after) return;
  const req = ctx.direction === "request";
  const at = field ? { field } : {};
  const add = (level: Level, rule: string, message: string, extra: { before?: unknown; after?: unknown } = {}) =>
    ctx.add({ level, rule, ...at, message, ...extra });

  if (!isObject(before) || !isObject(after)) {
    // Boolean schemas (`true`/`false`) or garbage: no finer rule applies.
    if (!same(before, after)) {
      add("risky", "schema-changed", "schema changed", { before, after });
    }
    return;
  }
  const seen = visited.get(before);
  if (seen?.has(after)) return;
  if (seen) seen.add(after);
  else visited.set(before, new WeakSet([after]));

  const a = view(before);
  const b = view(after);

  // type
  if (a.types && b.types && !same([...a.types].sort(), [...b.types].sort())) {
    const widened = [...b.types].filter((t) => !covers(a.types as Set<string>, t));
    const narrowed = [...a.types].filter((t) => !covers(b.types as Set<string>, t));
    const from = { before: [...a.types], after: [...b.types] };
    const text = `type ${list([...a.types])} -> ${list([...b.types])}`;
    if (req ? narrowed.length > 0 : widened.length > 0) {
      add(
        "breaking",
        "type-changed",
        req
          ? `${text}: requests with a ${list(narrowed)} are now rejected`
          : `${text}: the client now receives a ${list(widened)} it does not expect`,
        from,
      );
    } else {
      add(
        "safe",
        req ? "type-widened" : "type-narrowed",
        req ? `${text}: more values accepted` : `${text}: fewer kinds of values sent`,
        from,
      );
    }
  } else if (a.types && !b.types) {
    add(
      req ? "safe" : "risky",
      "type-removed",
      req ? `type ${list([...a.types])} no longer enforced` : `type ${list([...a.types])} no longer promised`,
      { before: [...a.types] },
    );
  } else if (!a.types && b.types) {
    add(
      req ? "breaking" : "safe",
      "type-added",
      req ? `now must be ${list([...b.types])}: other values are rejected` : `now always ${list([...b.types])}`,
      { after: [...b.types] },
    );
  }

  // format
  if (a.format !== b.format) {
    const from = { before: a.format, after: b.format };
    if (a.format && b.format) {
      add("breaking", "format-changed", `format ${a.format} -> ${b.format}`, from);
    } else if (b.format) {
      add(
        req ? "breaking" : "safe",
        "format-added",
        req ? `format ${b.format} now required: other strings are rejected` : `now promised to be a ${b.format}`,
        from,
      );
    } else {
      add(
        req ? "safe" : "risky",
        "format-removed",
        req ? `format ${a.format} no longer enforced` : `no longer promised to be a ${a.format}`,
        from,
      );
    }
  }

  // enum / const
  if (a.enum && b.enum) {
    const removed = a.enum.filter((x) => !b.enum?.some((y) => same(x, y)));
    const added = b.enum.filter((x) => !a.enum?.some((y) => same(x, y)));
    if (removed.length > 0) {
      add(
        "breaking",
        "enum-value-removed",
        req
          ? `enum value(s) ${list(removed)} removed: requests sending them are now rejected`
          : `enum value(s) ${list(removed)} removed: a client waiting for them never sees them`,
        { before: removed },
      );
    }
    if (added.length > 0) {
      add(
        req ? "safe" : "risky",
        "enum-value-added",
        req
          ? `enum value(s) ${list(added)} added`
          : `new enum value(s) ${list(added)}: exhaustive switches and strict validators of the pinned spec reject them`,
        { after: added },
      );
    }
  } else if (!a.enum && b.enum) {
    add(
      req ? "breaking" : "safe",
      "enum-added",
      req ? `now limited to ${list(b.enum)}: other values are rejected` : `now limited to ${list(b.enum)}`,
      { after: b.enum },
    );
  } else if (a.enum && !b.enum) {
    add(
      req ? "safe" : "risky",
      "enum-removed",
      req ? `no longer limited to ${list(a.enum)}` : `no longer limited to ${list(a.enum)}: any value may arrive`,
      { before: a.enum },
    );
  }

  // numeric bounds
  for (const key of [...UPPER, ...LOWER]) {
    const x = a.bounds.get(key);
    const y = b.bounds.get(key);
    if (x === y) continue;
    const upper = (UPPER as readonly string[]).includes(key);
    const narrowed = x === undefined ? true : y === undefined ? false : upper ? y < x : y > x;
    const text =
      x === undefined ? `${key} ${y} added` : y === undefined ? `${key} ${x} removed` : `${key} ${x} -> ${y}`;
    constraint(narrowed, text, { before: x, after: y });
  }
  if (a.pattern !== b.pattern) {
    const text =
      a.pattern === undefined
        ? `pattern ${b.pattern} added`
        : b.pattern === undefined
          ? `pattern ${a.pattern} removed`
          : `pattern ${a.pattern} -> ${b.pattern}`;
    if (a.pattern !== undefined && b.pattern !== undefined) {
      // Two regular expressions cannot be ordered: assume the worst for the direction that can break.
      add(
        req ? "breaking" : "risky",
        "constraint-changed",
        `${text}: ${req ? "requests" : "responses"} the pinned spec allows may not match`,
        { before: a.pattern, after: b.pattern },
      );
    } else {
      constraint(b.pattern !== undefined, text, { before: a.pattern, after: b.pattern });
    }
  }
  if (a.multipleOf !== b.multipleOf) {
    // Every multiple of a is a multiple of b exactly when a / b is an integer.
    const narrowed =
      b.multipleOf !== undefined && (a.multipleOf === undefined || !Number.isInteger(a.multipleOf / b.multipleOf));
    constraint(narrowed, `multipleOf ${a.multipleOf ?? "none"} -> ${b.multipleOf ?? "none"}`, {
      before: a.multipleOf,
      after: b.multipleOf,
    });
  }
  if (a.uniqueItems !== b.uniqueItems) {
    constraint(b.uniqueItems, `uniqueItems ${a.uniqueItems} -> ${b.uniqueItems}`, {});
  }

  function constraint(narrowed: boolean, text: string, values: { before?: unknown; after?: unknown }) {
    if (narrowed) {
      add(
        req ? "breaking" : "safe",
        "constraint-narrowed",
        req ? `${text}: requests the pinned spec allows are now rejected` : text,
        values,
      );
    } else {
      add(
        req ? "safe" : "risky",
        "constraint-widened",
        req ? text : `${text}: responses the pinned validators reject can now arrive`,
        values,
      );
    }
  }

  // properties and required
  const names = new Set([...a.properties.keys(), ...b.properties.keys(), ...a.required, ...b.required]);
  for (const name of names) {
    const path = join(field, name);
    const inA = a.properties.has(name);
    const inB = b.properties.has(name);
    const reqA = a.required.has(name);
    const reqB = b.required.has(name);
    const sub = { field: path };
    if (inA && !inB && !reqB) {
      ctx.add({
        level: "breaking",
        rule: req ? "request-field-removed" : "response-field-removed",
        ...sub,
        message: req
          ? "field removed: the server no longer takes it (typed code that sets it no longer compiles)"
          : "field removed: code that reads it gets undefined",
      });
      continue;
    }
    if (!inA && inB && !reqA) {
      if (req) {
        ctx.add(
          reqB
            ? {
                level: "breaking",
                rule: "request-field-added-required",
                ...sub,
                message: "new required field: requests without it are rejected",
              }
            : { level: "safe", rule: "request-field-added", ...sub, message: "new optional field" },
        );
      } else {
        ctx.add({ level: "safe", rule: "response-field-added", ...sub, message: "new field (ignored by older code)" });
      }
      continue;
    }
    if (inA && inB) diffSchema(a.properties.get(name), b.properties.get(name), path, ctx, visited);
    if (reqA !== reqB) {
      if (req) {
        ctx.add(
          reqB
            ? {
                level: "breaking",
                rule: "request-field-now-required",
                ...sub,
                message: "now required: requests without it are rejected",
              }
            : { level: "safe", rule: "request-field-now-optional", ...sub, message: "no longer required" },
        );
      } else {
        ctx.add(
          reqB
            ? { level: "safe", rule: "response-field-now-required", ...sub, message: "now always present" }
            : {
                level: "breaking",
                rule: "response-field-now-optional",
                ...sub,
                message: "no longer always present: code that reads it may get undefined",
              },
        );
      }
    }
  }

  // additionalProperties
  if (isObject(a.additionalProperties) && isObject(b.additionalProperties)) {
    diffSchema(a.additionalProperties, b.additionalProperties, join(field, "*"), ctx, visited);
  } else if (!same(a.additionalProperties, b.additionalProperties)) {
    const closedA = a.additionalProperties === false;
    const closedB = b.additionalProperties === false;
    if (!closedA && closedB) {
      add(
        req ? "breaking" : "safe",
        "constraint-narrowed",
        "additionalProperties now false: only the listed fields are allowed",
      );
    } else if (closedA && !closedB) {
      add(
        req ? "safe" : "risky",
        "constraint-widened",
        "additionalProperties no longer false: unlisted fields may appear",
      );
    } else {
      add("risky", "schema-changed", "additionalProperties changed", {
        before: a.additionalProperties,
        after: b.additionalProperties,
      });
    }
  }

  // items
  if (a.items !== undefined && b.items !== undefined) {
    diffSchema(a.items, b.items, `${field}[]`, ctx, visited);
  } else if (a.items !== undefined || b.items !== undefined) {
    const added = b.items !== undefined;
    add(
      added ? (req ? "breaking" : "safe") : req ? "safe" : "risky",
      added ? "constraint-narrowed" : "constraint-widened",
      added ? "array items now constrained" : "array items no longer constrained",
    );
  }

  // oneOf / anyOf: pairwise by position; a new alternative widens, a removed one narrows
  for (const key of ["oneOf", "anyOf"] as const) {
    const xs = a[key] ?? [];
    const ys = b[key] ?? [];
    for (let i = 0; i < Math.min(xs.length, ys.length); i++) {
      diffSchema(xs[i], ys[i], `${field}(${key}[${i}])`, ctx, visited);
    }
    if (ys.length > xs.length) {
      add(req ? "safe" : "risky", "alternative-added", `${key}: ${ys.length - xs.length} alternative(s) added`);
    } else if (xs.length > ys.length) {
      add(req ? "breaking" : "safe", "alternative-removed", `${key}: ${xs.length - ys.length} alternative(s) removed`);
    }
  }

  // if/then/else (TaskDetail: completed => results, failed => error)
  for (let i = 0; i < Math.max(a.conditionals.length, b.conditionals.length); i++) {
    const x = a.conditionals[i];
    const y = b.conditionals[i];
    if (x && y) {
      if (!same(x.condition, y.condition)) {
        add(
          "risky",
          "condition-changed",
          `the condition of a rule changed (if ${show(x.condition)} -> ${show(y.condition)})`,
        );
      }
      for (const branch of ["whenTrue", "whenFalse"] as const) {
        if (isObject(x[branch]) || isObject(y[branch]))
          diffSchema(x[branch] ?? {}, y[branch] ?? {}, field, ctx, visited);
      }
    } else if (y) {
      add(
        req ? "breaking" : "safe",
        "condition-added",
        `new conditional rule (if ${show(y.condition)}): ${req ? "some requests are now rejected" : "responses are more constrained"}`,
      );
    } else if (x) {
      add(
        req ? "safe" : "risky",
        "condition-removed",
        `conditional rule removed (if ${show(x.condition)})${req ? "" : ": the client can no longer rely on it"}`,
      );
    }
  }

  // deprecated, default
  if (!a.deprecated && b.deprecated) add("risky", "deprecated", "deprecated: expect it to be removed");
  if (a.deprecated && !b.deprecated) add("safe", "doc-changed", "no longer deprecated");
  if (!same(a.default, b.default)) {
    add(
      req ? "risky" : "safe",
      req ? "default-changed" : "doc-changed",
      req
        ? `default ${show(a.default)} -> ${show(b.default)}: requests that omit it now behave differently`
        : `default ${show(a.default)} -> ${show(b.default)}`,
      { before: a.default, after: b.default },
    );
  }

  // anything else: no rule, so never silently safe
  for (const key of new Set([...Object.keys(a.other), ...Object.keys(b.other)])) {
    if (!same(a.other[key], b.other[key])) {
      add("risky", "schema-changed", `${key} changed (no finer rule for this keyword)`, {
        before: a.other[key],
        after: b.other[key],
      });
    }
  }

  // documentation
  const docKeys = [...new Set([...Object.keys(a.annotations), ...Object.keys(b.annotations)])].filter(
    (key) => !sameDoc(a.annotations[key], b.annotations[key]),
  );
  if (docKeys.length > 0) add("safe", "doc-changed", `documentation changed: ${docKeys.sort().join(", ")}`);
}
