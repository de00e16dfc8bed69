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
 * Keywords it has no rule for are compared as JSON and reported as risky, never dropped. diffSchema reads both
 * schemas through schema-view.ts and hands each keyword family (type, format, enum, constraints, properties,
 * additionalProperties, items, oneOf/anyOf, if/then/else, annotations) to its own function.
 */
import type { Finding, Level } from "./findings.js";
import { isObject } from "./load.js";
import { covers, join, LOWER, list, same, sameDoc, show, UPPER, type View, view } from "./schema-view.js";

export { sameDoc, stableJson } from "./schema-view.js";

/** Who writes the data the schema describes. */
export type Direction = "request" | "response";

/** Where findings go, and the cycle guard. */
export interface SchemaDiffContext {
  direction: Direction;
  /** Adds a finding at `field` (the body itself when empty). */
  add(finding: Omit<Finding, "operation" | "where">): void;
}

/** Pairs already compared (or being compared): resolved documents can be cyclic. */
type Visited = WeakMap<object, WeakSet<object>>;

/** What each keyword family's comparison gets: where it is, how to report, and how to compare a sub-schema. */
interface Step {
  field: string;
  ctx: SchemaDiffContext;
  /** The client writes the data (a request). */
  req: boolean;
  /** Adds a finding at `field`. */
  add(level: Level, rule: string, message: string, extra?: { before?: unknown; after?: unknown }): void;
  /** Compares two sub-schemas at `path`. */
  recurse(before: unknown, after: unknown, path: string): void;
}

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
  const at = field ? { field } : {};
  const step: Step = {
    field,
    ctx,
    req: ctx.direction === "request",
    add: (level, rule, message, extra = {}) => ctx.add({ level, rule, ...at, message, ...extra }),
    recurse: (x, y, path) => diffSchema(x, y, path, ctx, visited),
  };
  if (!isObject(before) || !isObject(after)) {
    // Boolean schemas (`true`/`false`) or garbage: no finer rule applies.
    if (!same(before, after)) step.add("risky", "schema-changed", "schema changed", { before, after });
    return;
  }
  const seen = visited.get(before);
  if (seen?.has(after)) return;
  if (seen) seen.add(after);
  else visited.set(before, new WeakSet([after]));

  const a = view(before);
  const b = view(after);
  for (const family of FAMILIES) family(a, b, step);
}

function diffType(a: View, b: View, { req, add }: Step): void {
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
}

function diffFormat(a: View, b: View, { req, add }: Step): void {
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
}

function diffEnum(a: View, b: View, { req, add }: Step): void {
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
}

/** Numeric bounds, pattern, multipleOf, uniqueItems: narrowing breaks requests, widening is risky in responses. */
function diffConstraints(a: View, b: View, { req, add }: Step): void {
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
}

function diffProperties(a: View, b: View, { field, ctx, req, recurse }: Step): void {
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
    // A field still required on one side but described on one side only is compared with `{}` (any value): losing
    // its schema is a change too (never dropped silently).
    if (inA || inB) recurse(a.properties.get(name) ?? {}, b.properties.get(name) ?? {}, path);
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
}

function diffAdditionalProperties(a: View, b: View, { field, req, add, recurse }: Step): void {
  if (isObject(a.additionalProperties) && isObject(b.additionalProperties)) {
    recurse(a.additionalProperties, b.additionalProperties, join(field, "*"));
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
}

function diffItems(a: View, b: View, { field, req, add, recurse }: Step): void {
  if (a.items !== undefined && b.items !== undefined) {
    recurse(a.items, b.items, `${field}[]`);
  } else if (a.items !== undefined || b.items !== undefined) {
    const added = b.items !== undefined;
    add(
      added ? (req ? "breaking" : "safe") : req ? "safe" : "risky",
      added ? "constraint-narrowed" : "constraint-widened",
      added ? "array items now constrained" : "array items no longer constrained",
    );
  }
}

/** oneOf / anyOf: pairwise by position; a new alternative widens, a removed one narrows. */
function diffAlternatives(a: View, b: View, { field, req, add, recurse }: Step): void {
  for (const key of ["oneOf", "anyOf"] as const) {
    const xs = a[key] ?? [];
    const ys = b[key] ?? [];
    for (let i = 0; i < Math.min(xs.length, ys.length); i++) {
      recurse(xs[i], ys[i], `${field}(${key}[${i}])`);
    }
    if (ys.length > xs.length) {
      add(req ? "safe" : "risky", "alternative-added", `${key}: ${ys.length - xs.length} alternative(s) added`);
    } else if (xs.length > ys.length) {
      add(req ? "breaking" : "safe", "alternative-removed", `${key}: ${xs.length - ys.length} alternative(s) removed`);
    }
  }
}

/** if/then/else (TaskDetail: completed => results, failed => error). */
function diffConditionals(a: View, b: View, { field, req, add, recurse }: Step): void {
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
        if (isObject(x[branch]) || isObject(y[branch])) recurse(x[branch] ?? {}, y[branch] ?? {}, field);
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
}

/** deprecated, default, keywords without a rule (never silently safe), and documentation. */
function diffAnnotations(a: View, b: View, { req, add }: Step): void {
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

/** Every keyword family, in the order findings are reported. */
const FAMILIES: readonly ((a: View, b: View, step: Step) => void)[] = [
  diffType,
  diffFormat,
  diffEnum,
  diffConstraints,
  diffProperties,
  diffAdditionalProperties,
  diffItems,
  diffAlternatives,
  diffConditionals,
  diffAnnotations,
];
