/**
 * Live drift: what the recorded exchanges (contract-tests/recordings/*.json) show the API really does, against what
 * the pinned spec documents. It reads the generated operation table (which status has which body schema), the
 * generated validators (everything the schema states, if/then rules included) and the resolved spec (to walk the
 * schema field by field): no schema is copied here.
 *
 * Per operation and status it reports fields, enum values and statuses seen on the wire that the spec does not
 * document, formats that values failed (a "uri" that is not one), responses the validators reject, and, as safe
 * coverage notes, what the spec documents that no recording showed. It works in phases: pick the recordings of the
 * target, tally each against its operation and documented response (walking and validating the bodies), then turn
 * the tallies into findings (transport, bodies, coverage).
 */
import { operations } from "../../generated/operations.js";
import { type ValidationIssue, validators } from "../../generated/validators.js";
import type { Recording } from "../verify/recordings.js";
import { code, type Finding, type Level, sortFindings, summarize } from "./findings.js";
import { isObject, type JsonObject } from "./load.js";
import type { LIVE_RULES } from "./rules.js";
import { stableJson } from "./schema-view.js";

export type { Recording };

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

/** What the walk of the bodies of one operation and status accumulates. */
interface Observed {
  count: number;
  fields: Set<string>;
  undocumented: Map<string, number>;
  enumValues: Map<string, { documented: unknown[]; seen: Map<string, { value: unknown; count: number }> }>;
  formats: Map<string, { format: string; ok: number; failed: number; examples: string[] }>;
  violations: Map<string, { keyword: string; path: string; message: string; count: number }>;
}

/** Where the walk is: the field path (`results[]`), the JSON pointer (`/results/0`), the schemas above. */
interface At {
  path: string;
  pointer: string;
  stack: unknown[];
  /** JSON pointers of the values the generated validator found breaking their format. */
  badFormats: ReadonlySet<string>;
}

function walk(value: unknown, schema: unknown, seen: Observed, at: At): void {
  const { path, pointer, stack } = at;
  if (stack.length > 32) return;
  const d = documented(schema);
  const below = (p: string, ptr: string): At => ({ ...at, path: p, pointer: ptr, stack: [...stack, schema] });
  if (Array.isArray(value)) {
    if (d.items === undefined) return;
    for (const [i, item] of value.entries()) walk(item, d.items, seen, below(`${path}[]`, `${pointer}/${i}`));
    return;
  }
  if (isObject(value)) {
    for (const [key, child] of Object.entries(value)) {
      const p = join(path, key);
      const ptr = `${pointer}/${key.replaceAll("~", "~0").replaceAll("/", "~1")}`;
      if (d.properties.has(key)) {
        seen.fields.add(p);
        walk(child, d.properties.get(key), seen, below(p, ptr));
      } else if (isObject(d.additionalProperties)) {
        walk(child, d.additionalProperties, seen, below(join(path, "*"), ptr));
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
    // The generated validator (formats on) is the one judge of formats: it found this value bad, or it did not.
    const ok = !at.badFormats.has(pointer);
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
  // Own keys only: `in` also finds Object.prototype's (`constructor`, `toString`), which are no operation.
  if (Object.hasOwn(table, recording.operationId)) return recording.operationId;
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

/** What tallying the recordings of one run found, before it becomes findings. */
interface Tally {
  seen: Record<string, Record<string, number>>;
  observed: Map<string, Observed>;
  undocumentedOps: Map<string, number>;
  undocumentedStatuses: Map<string, { operation: string; status: number; count: number }>;
  mediaMismatch: Map<string, { operation: string; where: string; got: string; want: string; count: number }>;
  notJson: Map<string, { operation: string; where: string; count: number; example: string }>;
}

type Schemas = Record<string, unknown>;
type Validate = ((data: unknown) => boolean) & { errors?: ValidationIssue[] | null };

const bump = <K>(map: Map<K, number>, key: K) => map.set(key, (map.get(key) ?? 0) + 1);

/** Phase 1: which recordings are evidence (those of the target), and how many of the others were skipped. */
function select(recordings: readonly Recording[], target: string) {
  const used = recordings.filter((r) => target === "all" || r.target === target);
  const skipped: Record<string, number> = {};
  for (const r of recordings) if (!used.includes(r)) skipped[r.target] = (skipped[r.target] ?? 0) + 1;
  return { used, skipped };
}

/** Phase 2: each recording against its operation and documented response; bodies walked and validated. */
function tally(used: readonly Recording[], schemas: Schemas): Tally {
  const t: Tally = {
    seen: {},
    observed: new Map(),
    undocumentedOps: new Map(),
    undocumentedStatuses: new Map(),
    mediaMismatch: new Map(),
    notJson: new Map(),
  };
  for (const recording of used) {
    const id = operationOf(recording);
    if (!id) {
      bump(t.undocumentedOps, `${recording.request.method.toUpperCase()} ${recording.request.path.split("?")[0]}`);
      continue;
    }
    const status = recording.response.status;
    t.seen[id] ??= {};
    const statuses = t.seen[id];
    statuses[String(status)] = (statuses[String(status)] ?? 0) + 1;
    const response = responseFor(table[id] as OperationDef, status);
    if (!response) {
      const entry = t.undocumentedStatuses.get(`${id} ${status}`) ?? { operation: id, status, count: 0 };
      entry.count++;
      t.undocumentedStatuses.set(`${id} ${status}`, entry);
      continue;
    }
    const where = `response ${response.key}`;
    const body = response.body;
    if (!body?.schema) continue;
    const got = mediaType(recording.response.headers);
    if (got && got !== body.contentType) {
      const key = `${id} ${where} ${got}`;
      const entry = t.mediaMismatch.get(key) ?? { operation: id, where, got, want: body.contentType, count: 0 };
      entry.count++;
      t.mediaMismatch.set(key, entry);
    }
    const value = recording.response.body;
    if (isJsonType(body.contentType) && typeof value === "string") {
      const entry = t.notJson.get(`${id} ${where}`) ?? { operation: id, where, count: 0, example: example(value) };
      entry.count++;
      t.notJson.set(`${id} ${where}`, entry);
      continue;
    }
    const key = `${id}\u0000${where}`;
    const obs = t.observed.get(key) ?? newObserved();
    t.observed.set(key, obs);
    observe(obs, value, body.schema, schemas);
  }
  return t;
}

function newObserved(): Observed {
  return {
    count: 0,
    fields: new Set(),
    undocumented: new Map(),
    enumValues: new Map(),
    formats: new Map(),
    violations: new Map(),
  };
}

/** Validates one body with the generated validator, then walks it field by field. */
function observe(obs: Observed, value: unknown, schemaName: string, schemas: Schemas): void {
  obs.count++;
  const validate = (validators as Record<string, Validate>)[schemaName];
  const issues = validate && !validate(value) ? (validate.errors ?? []) : [];
  const badFormats = new Set(issues.filter((i) => i.keyword === "format").map((i) => i.instancePath));
  walk(value, schemas[schemaName], obs, { path: "", pointer: "", stack: [], badFormats });
  for (const issue of issues) {
    // enum and format failures are reported per field by the walk; `if` only wraps its `then` errors.
    if (["enum", "const", "format", "if"].includes(issue.keyword)) continue;
    const field = fieldOf(issue.instancePath);
    const key = `${issue.keyword} ${field} ${issue.message ?? ""}`;
    const v = obs.violations.get(key) ?? {
      keyword: issue.keyword,
      path: field,
      message: issue.message ?? issue.keyword,
      count: 0,
    };
    v.count++;
    obs.violations.set(key, v);
  }
}

/** Phase 3a: what the wire showed about operations, statuses, media types and JSON. */
function transportFindings(t: Tally): Finding[] {
  const findings: Finding[] = [];
  for (const [key, count] of t.undocumentedOps) {
    findings.push({
      level: "risky",
      rule: "undocumented-operation",
      operation: key,
      where: "operation",
      message: `${key} was called ${count} time(s) but matches no operation of the spec`,
    });
  }
  for (const { operation, status, count } of t.undocumentedStatuses.values()) {
    findings.push({
      level: "risky",
      rule: "undocumented-status",
      operation,
      where: `response ${status}`,
      message: `status ${status} seen ${count} time(s) but not documented: the client maps it to a generic error`,
      after: status,
    });
  }
  for (const m of t.mediaMismatch.values()) {
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
  for (const n of t.notJson.values()) {
    findings.push({
      level: "breaking",
      rule: "non-json-body",
      operation: n.operation,
      where: n.where,
      message: `the documented JSON body was not JSON ${n.count} time(s), e.g. ${code(n.example)}`,
    });
  }
  return findings;
}

/** Phase 3b: what the bodies of one operation and status showed, field by field. */
function bodyFindings(operation: string, where: string, obs: Observed, schemas: Schemas): Finding[] {
  const findings: Finding[] = [];
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
  const schemaName = table[operation]?.responses[where.replace(/^response /, "")]?.body?.schema ?? null;
  if (schemaName) {
    const never = [...documentedFields(schemas[schemaName])].filter((f) => !obs.fields.has(f));
    if (never.length > 0) {
      const message = `documented field(s) never seen in ${obs.count} response(s): ${never.join(", ")}`;
      at("safe", "field-never-seen", message, { after: never });
    }
  }
  return findings;
}

/** Phase 3c: what the spec documents that no recording exercised. */
function coverageFindings(seen: Tally["seen"]): Finding[] {
  const findings: Finding[] = [];
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
  return findings;
}

/** Analyses recordings against the resolved pinned spec. */
export function analyzeRecordings(
  recordings: readonly Recording[],
  spec: JsonObject,
  options: AnalyzeOptions = {},
): LiveDriftReport {
  const target = options.target ?? DEFAULT_TARGET;
  const schemas = isObject(spec.components) && isObject(spec.components.schemas) ? spec.components.schemas : {};
  const { used, skipped } = select(recordings, target);
  const t = tally(used, schemas);
  const findings = [
    ...transportFindings(t),
    ...[...t.observed].flatMap(([key, obs]) => {
      const [operation = "", where = ""] = key.split("\u0000");
      return bodyFindings(operation, where, obs, schemas);
    }),
    ...coverageFindings(t.seen),
  ];
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
    seen: t.seen,
    summary: summarize(final),
    findings: final,
  };
}
