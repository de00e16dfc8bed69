/**
 * Live drift: what the recorded exchanges (contract-tests/recordings/*.json) show the API really does, against what
 * the pinned spec documents. It reads the generated operation table (which status has which body schema), the
 * generated validators (everything the schema states, if/then rules included) and the resolved spec (to walk the
 * schema field by field): no schema is copied here.
 *
 * Per operation and status it reports fields, enum values and statuses seen on the wire that the spec does not
 * document, formats that values failed (a "uri" that is not one), responses the validators reject, and, as safe
 * coverage notes, what the spec documents that no recording showed.
 */
import { fullFormats } from "ajv-formats/dist/formats.js";
import type { Recording } from "../../src/verify/recordings.js";
import { operations } from "../../generated/operations.js";
import { type ValidationIssue, validators } from "../../generated/validators.js";
import { code, type Finding, type Level, sortFindings, summarize } from "./findings.js";
import { isObject, type JsonObject } from "./load.js";
import type { LIVE_RULES } from "./rules.js";
import { stableJson } from "./schema-diff.js";

interface BodyDef {
  contentType: string;
  schema: string | null;
}
interface OperationDef {
  method: string;
  path: string;
  responses: Record<string, { description: string; body?: BodyDef }>;
}
const table = operations as unknown as Record<string, OperationDef>;

/** The result of {@link analyzeRecordings}. */
export interface LiveDriftReport {
  kind: "live";
  spec: { source: string; version: string };
  recordings: {
    /** Where they were read from. */
    source: string;
    /** Which target's recordings count (`live` by default; `all` for every one). */
    target: string;
    /** Files read. */
    total: number;
    /** Recordings of the target, analysed. */
    used: number;
    /** Recordings of other targets, by target (not evidence of the live API). */
    skipped: Record<string, number>;
    /** Time of the first and last analysed recording. */
    from?: string;
    to?: string;
  };
  /** Per operationId: how many recordings, by status. */
  seen: Record<string, Record<string, number>>;
  summary: Record<Level, number>;
  findings: Finding[];
}

/** Up to this many example values are kept per finding. */
const MAX_EXAMPLES = 3;

/** A value from the wire, safe and short enough for a public issue: signed-URL query values are blanked. */
function example(value: unknown): string {
  const text = typeof value === "string" ? value : stableJson(value);
  const blanked = text.replace(
    /([?&][^=&#]*(?:sig|token|key|secret|auth|credential|expires|policy)[^=&#]*=)[^&#\s"]*/gi,
    "$1***",
  );
  return blanked.length > 80 ? `${blanked.slice(0, 77)}...` : blanked;
}

/** What a schema documents at one place, `allOf`, `if/then/else` and `oneOf/anyOf` branches folded in. */
interface Documented {
  properties: Map<string, unknown>;
  additionalProperties: unknown;
  items: unknown;
  enum: unknown[] | undefined;
  format: string | undefined;
}

function documented(schema: unknown, depth = 0): Documented {
  const d: Documented = {
    properties: new Map(),
    additionalProperties: undefined,
    items: undefined,
    enum: undefined,
    format: undefined,
  };
  if (!isObject(schema) || depth > 16) return d;
  if (isObject(schema.properties)) for (const [k, s] of Object.entries(schema.properties)) d.properties.set(k, s);
  d.additionalProperties = schema.additionalProperties;
  d.items = schema.items;
  if (Array.isArray(schema.enum)) d.enum = schema.enum;
  else if ("const" in schema) d.enum = [schema.const];
  if (typeof schema.format === "string") d.format = schema.format;
  const branches = [
    ...(Array.isArray(schema.allOf) ? schema.allOf : []),
    ...(Array.isArray(schema.oneOf) ? schema.oneOf : []),
    ...(Array.isArray(schema.anyOf) ? schema.anyOf : []),
    schema.then,
    schema.else,
  ];
  for (const branch of branches) {
    if (!isObject(branch)) continue;
    const b = documented(branch, depth + 1);
    for (const [k, s] of b.properties) if (!d.properties.has(k)) d.properties.set(k, s);
    d.additionalProperties ??= b.additionalProperties;
    d.items ??= b.items;
    // An enum inside an allOf member constrains; one in a oneOf branch is one of several: keep the first found.
    d.enum ??= b.enum;
    d.format ??= b.format;
  }
  return d;
}

const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

/** Every field path a schema documents (`task_info.can_cancel`, `items[].id`), for the never-seen notes. */
function documentedFields(schema: unknown, path = "", out = new Set<string>(), stack: unknown[] = []): Set<string> {
  if (stack.includes(schema) || stack.length > 8) return out;
  const d = documented(schema);
  for (const [name, sub] of d.properties) {
    const p = join(path, name);
    out.add(p);
    documentedFields(sub, p, out, [...stack, schema]);
  }
  if (isObject(d.items)) documentedFields(d.items, `${path}[]`, out, [...stack, schema]);
  return out;
}

/** Runs an ajv-formats format on a value; undefined when the format is unknown. */
function matchesFormat(format: string, value: string): boolean | undefined {
  const f = (fullFormats as Record<string, unknown>)[format];
  if (f === undefined) return undefined;
  const check = isObject(f) && "validate" in f ? f.validate : f;
  if (check instanceof RegExp) return check.test(value);
  if (typeof check === "function") return Boolean(check(value));
  return undefined;
}

/** What the walk of the bodies of one operation and status accumulates. */
interface Observed {
  count: number;
  fields: Set<string>;
  undocumented: Map<string, number>;
  enumValues: Map<string, { documented: unknown[]; seen: Map<string, { value: unknown; count: number }> }>;
  formats: Map<string, { format: string; ok: number; failed: number; examples: string[] }>;
  violations: Map<string, { keyword: string; path: string; message: string; count: number }>;
}

function walk(value: unknown, schema: unknown, path: string, seen: Observed, stack: unknown[] = []): void {
  if (stack.length > 32) return;
  const d = documented(schema);
  if (Array.isArray(value)) {
    if (d.items !== undefined) for (const item of value) walk(item, d.items, `${path}[]`, seen, [...stack, schema]);
    return;
  }
  if (isObject(value)) {
    for (const [key, child] of Object.entries(value)) {
      const p = join(path, key);
      if (d.properties.has(key)) {
        seen.fields.add(p);
        walk(child, d.properties.get(key), p, seen, [...stack, schema]);
      } else if (isObject(d.additionalProperties)) {
        walk(child, d.additionalProperties, join(path, "*"), seen, [...stack, schema]);
      } else if (d.additionalProperties !== false) {
        // additionalProperties: false would make it a validator error instead (reported as a violation).
        seen.undocumented.set(p, (seen.undocumented.get(p) ?? 0) + 1);
      }
    }
    return;
  }
  if (d.enum) {
    const entry = seen.enumValues.get(path) ?? { documented: d.enum, seen: new Map() };
    seen.enumValues.set(path, entry);
    const key = stableJson(value);
    const hit = entry.seen.get(key) ?? { value, count: 0 };
    hit.count++;
    entry.seen.set(key, hit);
  }
  if (d.format && typeof value === "string") {
    const ok = matchesFormat(d.format, value);
    if (ok === undefined) return;
    const key = `${path} ${d.format}`;
    const entry = seen.formats.get(key) ?? { format: d.format, ok: 0, failed: 0, examples: [] };
    seen.formats.set(key, entry);
    if (ok) entry.ok++;
    else {
      entry.failed++;
      if (entry.examples.length < MAX_EXAMPLES) entry.examples.push(example(value));
    }
  }
}

/** `/results/0/url` -> `results[].url`: ajv's instancePath in the report's field notation. */
function fieldOf(instancePath: string): string {
  return instancePath
    .split("/")
    .slice(1)
    .map((part) => part.replaceAll("~1", "/").replaceAll("~0", "~"))
    .reduce((acc, part) => (/^\d+$/.test(part) ? `${acc}[]` : join(acc, part)), "");
}

/** The documented response for a status: exact, then `4XX`-style ranges, then `default`. */
function responseFor(op: OperationDef, status: number): { key: string; body?: BodyDef } | undefined {
  for (const key of [String(status), `${String(status)[0]}XX`, "default"]) {
    const response = op.responses[key];
    if (response) return { key, ...(response.body ? { body: response.body } : {}) };
  }
  return undefined;
}

/** Finds the operation of a recording: its operationId, else its method and path against the table's templates. */
function operationOf(recording: Recording): string | undefined {
  if (recording.operationId in table) return recording.operationId;
  const path = recording.request.path.split("?")[0] ?? "";
  for (const [id, op] of Object.entries(table)) {
    const template = op.path.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\\?\{[^}]*\\?\}/g, "[^/]+");
    // A suffix match: a recorder may have kept the base path (`/apiv1/v1/tasks/...`).
    if (op.method === recording.request.method.toUpperCase() && new RegExp(`${template}$`).test(path)) return id;
  }
  return undefined;
}

const mediaType = (headers: Record<string, string>) =>
  (headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
const isJsonType = (type: string) => type === "application/json" || /\+json$/.test(type);

/** Options of {@link analyzeRecordings}. */
export interface AnalyzeOptions {
  /** Only recordings of this target count; `all` for every one. @default "live" */
  target?: string;
  /** Names the recordings in the report. @default "contract-tests/recordings" */
  source?: string;
  /** Names the spec in the report. */
  specSource?: string;
}

/** Default for {@link AnalyzeOptions.target}: only the live API is evidence of live drift. */
export const DEFAULT_TARGET = "live";

/** Analyses recordings against the resolved pinned spec. */
export function analyzeRecordings(
  recordings: readonly Recording[],
  spec: JsonObject,
  options: AnalyzeOptions = {},
): LiveDriftReport {
  const target = options.target ?? DEFAULT_TARGET;
  const schemas = isObject(spec.components) && isObject(spec.components.schemas) ? spec.components.schemas : {};
  const used = recordings.filter((r) => target === "all" || r.target === target);
  const skipped: Record<string, number> = {};
  for (const r of recordings) if (!used.includes(r)) skipped[r.target] = (skipped[r.target] ?? 0) + 1;

  const findings: Finding[] = [];
  const seen: Record<string, Record<string, number>> = {};
  const observed = new Map<string, Observed>();
  const undocumentedOps = new Map<string, number>();
  const undocumentedStatuses = new Map<string, { operation: string; status: number; count: number }>();
  const mediaMismatch = new Map<
    string,
    { operation: string; where: string; got: string; want: string; count: number }
  >();
  const notJson = new Map<string, { operation: string; where: string; count: number; example: string }>();

  for (const recording of used) {
    const id = operationOf(recording);
    if (!id) {
      const key = `${recording.request.method.toUpperCase()} ${recording.request.path.split("?")[0]}`;
      undocumentedOps.set(key, (undocumentedOps.get(key) ?? 0) + 1);
      continue;
    }
    const op = table[id] as OperationDef;
    const status = recording.response.status;
    seen[id] ??= {};
    (seen[id] as Record<string, number>)[String(status)] =
      ((seen[id] as Record<string, number>)[String(status)] ?? 0) + 1;
    const response = responseFor(op, status);
    if (!response) {
      const key = `${id} ${status}`;
      const entry = undocumentedStatuses.get(key) ?? { operation: id, status, count: 0 };
      entry.count++;
      undocumentedStatuses.set(key, entry);
      continue;
    }
    const where = `response ${response.key}`;
    const body = response.body;
    if (!body?.schema) continue;
    const got = mediaType(recording.response.headers);
    if (got && got !== body.contentType) {
      const key = `${id} ${where} ${got}`;
      const entry = mediaMismatch.get(key) ?? { operation: id, where, got, want: body.contentType, count: 0 };
      entry.count++;
      mediaMismatch.set(key, entry);
    }
    const value = recording.response.body;
    if (isJsonType(body.contentType) && typeof value === "string") {
      const key = `${id} ${where}`;
      const entry = notJson.get(key) ?? { operation: id, where, count: 0, example: example(value) };
      entry.count++;
      notJson.set(key, entry);
      continue;
    }
    const key = `${id}\u0000${where}`;
    const obs: Observed = observed.get(key) ?? {
      count: 0,
      fields: new Set(),
      undocumented: new Map(),
      enumValues: new Map(),
      formats: new Map(),
      violations: new Map(),
    };
    observed.set(key, obs);
    obs.count++;
    const schema = schemas[body.schema];
    walk(value, schema, "", obs);
    const validate = (
      validators as Record<string, ((data: unknown) => boolean) & { errors?: ValidationIssue[] | null }>
    )[body.schema];
    if (validate && !validate(value)) {
      for (const issue of validate.errors ?? []) {
        // enum and format failures are reported per field by the walk; `if` only wraps its `then` errors.
        if (["enum", "const", "format", "if"].includes(issue.keyword)) continue;
        const field = fieldOf(issue.instancePath);
        const vkey = `${issue.keyword} ${field} ${issue.message ?? ""}`;
        const v = obs.violations.get(vkey) ?? {
          keyword: issue.keyword,
          path: field,
          message: issue.message ?? issue.keyword,
          count: 0,
        };
        v.count++;
        obs.violations.set(vkey, v);
      }
    }
  }

  for (const [key, count] of undocumentedOps) {
    findings.push({
      level: "risky",
      rule: "undocumented-operation",
      operation: key,
      where: "operation",
      message: `${key} was called ${count} time(s) but matches no operation of the spec`,
    });
  }
  for (const { operation, status, count } of undocumentedStatuses.values()) {
    findings.push({
      level: "risky",
      rule: "undocumented-status",
      operation,
      where: `response ${status}`,
      message: `status ${status} seen ${count} time(s) but not documented: the client maps it to a generic error`,
      after: status,
    });
  }
  for (const m of mediaMismatch.values()) {
    findings.push({
      level: "risky",
      rule: "content-type-mismatch",
      operation: m.operation,
      where: m.where,
      message: `came as ${m.got} ${m.count} time(s); the spec documents ${m.want}`,
      before: m.want,
      after: m.got,
    });
  }
  for (const n of notJson.values()) {
    findings.push({
      level: "breaking",
      rule: "non-json-body",
      operation: n.operation,
      where: n.where,
      message: `the documented JSON body was not JSON ${n.count} time(s), e.g. ${code(n.example)}`,
    });
  }

  for (const [key, obs] of observed) {
    const [operation = "", where = ""] = key.split("\u0000");
    const at = (level: Level, rule: keyof typeof LIVE_RULES, message: string, extra: Partial<Finding> = {}) =>
      findings.push({ level, rule, operation, where, message, ...extra });
    for (const [field, count] of obs.undocumented) {
      at("risky", "undocumented-field", `seen in ${count} of ${obs.count} response(s), not in the spec`, { field });
    }
    for (const [field, entry] of obs.enumValues) {
      const extra = [...entry.seen.values()].filter(
        (s) => !entry.documented.some((d) => stableJson(d) === stableJson(s.value)),
      );
      if (extra.length > 0) {
        at(
          "breaking",
          "undocumented-enum-value",
          `${extra.map((s) => `${code(example(s.value))} (${s.count}x)`).join(", ")} seen; the spec lists ${entry.documented.map((d) => code(example(d))).join(", ")}: the pinned validators reject it and exhaustive switches miss it`,
          { field, after: extra.map((s) => s.value) },
        );
      }
      const never = entry.documented.filter((d) => !entry.seen.has(stableJson(d)));
      if (never.length > 0) {
        at("safe", "enum-value-never-seen", `documented value(s) never seen: ${never.map(example).join(", ")}`, {
          field,
          after: never,
        });
      }
    }
    for (const [formatKey, f] of obs.formats) {
      if (f.failed === 0) continue;
      const field = formatKey.slice(0, formatKey.lastIndexOf(" "));
      const total = f.ok + f.failed;
      at(
        "breaking",
        f.ok === 0 ? "format-never-matched" : "format-mismatch",
        `${f.ok === 0 ? `none of ${total} value(s) matched` : `${f.failed} of ${total} value(s) did not match`} format ${f.format}, e.g. ${f.examples.map(code).join(", ")}`,
        { field, after: f.examples },
      );
    }
    for (const v of obs.violations.values()) {
      at("breaking", "schema-violation", `${v.count} of ${obs.count} response(s): ${v.keyword}: ${v.message}`, {
        ...(v.path ? { field: v.path } : {}),
      });
    }
    const schemaName = (() => {
      const op = table[operation];
      const status = where.replace(/^response /, "");
      return op?.responses[status]?.body?.schema ?? null;
    })();
    if (schemaName) {
      const never = [...documentedFields(schemas[schemaName])].filter((f) => !obs.fields.has(f));
      if (never.length > 0) {
        at(
          "safe",
          "field-never-seen",
          `documented field(s) never seen in ${obs.count} response(s): ${never.join(", ")}`,
          {
            after: never,
          },
        );
      }
    }
  }

  for (const [id, op] of Object.entries(table)) {
    const statuses = seen[id];
    if (!statuses) {
      findings.push({
        level: "safe",
        rule: "operation-never-seen",
        operation: id,
        where: "operation",
        message: `${op.method} ${op.path}: no recording exercises it`,
      });
      continue;
    }
    const covered = new Set(Object.keys(statuses).map((s) => responseFor(op, Number(s))?.key));
    const never = Object.keys(op.responses).filter((s) => !covered.has(s));
    if (never.length > 0) {
      findings.push({
        level: "safe",
        rule: "status-never-seen",
        operation: id,
        where: "responses",
        message: `documented status(es) never seen: ${never.join(", ")}`,
        after: never,
      });
    }
  }

  const times = used.map((r) => r.recordedAt).sort();
  const final = sortFindings(findings);
  return {
    kind: "live",
    spec: { source: options.specSource ?? "spec", version: isObject(spec.info) ? String(spec.info.version ?? "") : "" },
    recordings: {
      source: options.source ?? "contract-tests/recordings",
      target,
      total: recordings.length,
      used: used.length,
      skipped,
      ...(times.length ? { from: times[0] as string, to: times[times.length - 1] as string } : {}),
    },
    seen,
    summary: summarize(final),
    findings: final,
  };
}
