/**
 * Compares the pinned spec with the provider's published document(s), operation by operation, from a client's
 * point of view (the rules are in schema-diff.ts and docs/drift-detection.md).
 *
 * The provider publishes one page per operation, so an upstream document usually holds only some operations.
 * An operation of the pinned spec that no upstream document contains is listed as "not in the upstream document"
 * and not compared; with `complete: true` the upstream documents are taken as the whole API and such an operation
 * is `operation-removed` (breaking).
 */
import { DriftInputError, type Finding, type Level, sortFindings, summarize } from "./findings.js";
import { isObject, type JsonObject, type LoadedSpec } from "./load.js";
import { SPEC_RULES } from "./rules.js";
import { type Direction, diffSchema, sameDoc, stableJson } from "./schema-diff.js";

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;

/** One operation of a resolved document. */
export interface OperationRef {
  /** `GET /v1/tasks/{}`: method and path with parameter names blanked, the identity used for matching. */
  key: string;
  method: string;
  path: string;
  operationId: string;
  operation: JsonObject;
  pathItem: JsonObject;
  /** The document it belongs to. */
  doc: JsonObject;
}

/** `/v1/tasks/{task_id}/` -> `/v1/tasks/{}`: a renamed path parameter is still the same URL. */
export function pathKey(path: string): string {
  return path.replace(/\{[^}]*\}/g, "{}").replace(/(.)\/+$/, "$1");
}

/** Every operation of a resolved document, in document order. */
export function listOperations(doc: JsonObject): OperationRef[] {
  const out: OperationRef[] = [];
  for (const [path, item] of Object.entries(isObject(doc.paths) ? doc.paths : {})) {
    if (!isObject(item)) continue;
    for (const method of METHODS) {
      const operation = item[method];
      if (!isObject(operation)) continue;
      const upper = method.toUpperCase();
      out.push({
        key: `${upper} ${pathKey(path)}`,
        method: upper,
        path,
        operationId: typeof operation.operationId === "string" ? operation.operationId : `${upper} ${path}`,
        operation,
        pathItem: item,
        doc,
      });
    }
  }
  return out;
}

/** The result of {@link compareSpecs}. */
export interface SpecDriftReport {
  kind: "spec";
  pinned: { source: string; version: string };
  upstream: { source: string; version: string; operations: string[] }[];
  /** Whether the upstream documents were taken as the whole API (`--complete`). */
  complete: boolean;
  /** Pinned operationIds that were compared. */
  compared: string[];
  /** Pinned operations no upstream document contains (not compared; `operation-removed` with `--complete`). */
  absentUpstream: { operationId: string; method: string; path: string }[];
  summary: Record<Level, number>;
  findings: Finding[];
}

/** Compares options. */
export interface CompareOptions {
  /** Take the upstream documents as the whole API: a pinned operation they lack is removed. @default false */
  complete?: boolean;
}

const version = (doc: JsonObject) => (isObject(doc.info) ? String(doc.info.version ?? "") : "");

/**
 * Compares the pinned spec with one or more upstream documents. Throws {@link DriftInputError} when one of them
 * shares no operation with the pinned spec (unless `complete`).
 */
export function compareSpecs(
  pinned: LoadedSpec,
  upstreams: LoadedSpec[],
  options: CompareOptions = {},
): SpecDriftReport {
  const complete = options.complete === true;
  const findings: Finding[] = [];
  const pinnedOps = listOperations(pinned.resolved);
  const upstreamOps = upstreams.map((u) => listOperations(u.resolved));
  const allUpstream = upstreamOps.flat();
  const matched = new Set<OperationRef>();
  const compared: string[] = [];
  const absentUpstream: SpecDriftReport["absentUpstream"] = [];

  for (const op of pinnedOps) {
    let other = allUpstream.find((u) => u.key === op.key && !matched.has(u));
    if (!other) {
      other = allUpstream.find((u) => u.operationId === op.operationId && !matched.has(u));
      if (other) {
        findings.push({
          level: "breaking",
          rule: "operation-moved",
          operation: op.operationId,
          where: "operation",
          message: `${op.method} ${op.path} moved to ${other.method} ${other.path}: requests to the old URL fail`,
          before: `${op.method} ${op.path}`,
          after: `${other.method} ${other.path}`,
        });
      }
    }
    if (!other) {
      if (complete) {
        findings.push({
          level: "breaking",
          rule: "operation-removed",
          operation: op.operationId,
          where: "operation",
          message: `${op.method} ${op.path} is not in the upstream API any more`,
        });
      } else {
        absentUpstream.push({ operationId: op.operationId, method: op.method, path: op.path });
      }
      continue;
    }
    matched.add(other);
    compared.push(op.operationId);
    compareOperation(op, other, findings);
  }

  // A page that shares nothing is most likely the wrong URL: say so instead of reporting "new operations".
  const pinnedKeys = new Set(pinnedOps.flatMap((o) => [o.key, `id ${o.operationId}`]));
  const known = (u: OperationRef) => pinnedKeys.has(u.key) || pinnedKeys.has(`id ${u.operationId}`);
  upstreamOps.forEach((ops, i) => {
    if (complete || ops.some(known)) return;
    const theirs = ops.map((u) => `${u.method} ${u.path}`).join(", ") || "none";
    throw new DriftInputError(
      `${upstreams[i]?.source} shares no operation with the pinned spec (it has: ${theirs}). ` +
        "Check the URL, or pass --complete to take the upstream document(s) as the whole API.",
    );
  });

  for (const u of allUpstream) {
    // A second page that repeats an operation is not a new one.
    if (matched.has(u) || known(u)) continue;
    findings.push({
      level: "safe",
      rule: "operation-added",
      operation: u.operationId,
      where: "operation",
      message: `new operation ${u.method} ${u.path}`,
    });
  }

  // Document level: the default server is what the client calls when no baseUrl is given.
  const pinnedServer = firstServer(pinned.resolved);
  for (const upstream of upstreams) {
    const servers = Array.isArray(upstream.resolved.servers)
      ? upstream.resolved.servers.filter(isObject).map((s) => String(s.url).replace(/\/+$/, ""))
      : [];
    if (pinnedServer && servers.length > 0 && !servers.includes(pinnedServer)) {
      findings.push({
        level: "risky",
        rule: "server-changed",
        operation: "(document)",
        where: "servers",
        message: `the pinned default server ${pinnedServer} is not listed upstream (${servers.join(", ")}): the client's default base URL may be stale`,
        before: pinnedServer,
        after: servers,
      });
    }
    if (version(upstream.resolved) && version(upstream.resolved) !== version(pinned.resolved)) {
      findings.push({
        level: "safe",
        rule: "version-changed",
        operation: "(document)",
        where: "info.version",
        message: `info.version ${version(pinned.resolved)} -> ${version(upstream.resolved)}`,
        before: version(pinned.resolved),
        after: version(upstream.resolved),
      });
    }
  }

  const final = sortFindings(dedupe(findings));
  const unknown = final.find((f) => !(f.rule in SPEC_RULES));
  if (unknown) throw new Error(`drift:spec emitted an undocumented rule: ${unknown.rule}`);
  return {
    kind: "spec",
    pinned: { source: pinned.source, version: version(pinned.resolved) },
    upstream: upstreams.map((u, i) => ({
      source: u.source,
      version: version(u.resolved),
      operations: (upstreamOps[i] ?? []).map((o) => o.operationId),
    })),
    complete,
    compared,
    absentUpstream,
    summary: summarize(final),
    findings: final,
  };
}

function firstServer(doc: JsonObject): string | undefined {
  const server = Array.isArray(doc.servers) ? doc.servers.find(isObject) : undefined;
  return server ? String(server.url).replace(/\/+$/, "") : undefined;
}

/** The same finding can arise twice (a schema shared by two places of one operation): keep one. */
function dedupe(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = stableJson(f);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function compareOperation(a: OperationRef, b: OperationRef, findings: Finding[]): void {
  const operation = a.operationId;
  const push = (where: string, f: Omit<Finding, "operation" | "where">) => findings.push({ operation, where, ...f });
  const schemas = (direction: Direction, where: string, before: unknown, after: unknown) =>
    diffSchema(before, after, "", { direction, add: (f) => push(where, f) });

  if (a.operationId !== b.operationId && b.operation.operationId !== undefined) {
    push("operation", {
      level: "risky",
      rule: "operation-id-changed",
      message: `operationId ${a.operationId} -> ${b.operationId}: generated names change`,
      before: a.operationId,
      after: b.operationId,
    });
  }
  if (a.operation.deprecated !== true && b.operation.deprecated === true) {
    push("operation", { level: "risky", rule: "deprecated", message: "operation deprecated: expect it to be removed" });
  }
  const docKeys = ["summary", "description", "tags", "externalDocs"].filter(
    (k) => !sameDoc(a.operation[k], b.operation[k]),
  );
  if (docKeys.length > 0) {
    push("operation", { level: "safe", rule: "doc-changed", message: `documentation changed: ${docKeys.join(", ")}` });
  }
  const security = (op: OperationRef) => op.operation.security ?? op.doc.security ?? [];
  if (stableJson(security(a)) !== stableJson(security(b))) {
    push("operation", {
      level: "risky",
      rule: "security-changed",
      message: "authentication requirements changed",
      before: security(a),
      after: security(b),
    });
  }

  compareParameters(a, b, push, schemas);
  compareRequestBody(a.operation.requestBody, b.operation.requestBody, push, schemas);
  compareResponses(a.operation.responses, b.operation.responses, push, schemas);
  compareCallbacks(a.operation.callbacks, b.operation.callbacks, push, schemas);
}

type Push = (where: string, f: Omit<Finding, "operation" | "where">) => void;
type Schemas = (direction: Direction, where: string, before: unknown, after: unknown) => void;

function parameters(op: OperationRef): Map<string, JsonObject> {
  const out = new Map<string, JsonObject>();
  // Operation-level parameters override path-level ones of the same name and location (OpenAPI 3.x, 4.8.9).
  for (const list of [op.pathItem.parameters, op.operation.parameters]) {
    if (!Array.isArray(list)) continue;
    for (const p of list) {
      if (!isObject(p)) continue;
      const place = String(p.in);
      // Header names are case-insensitive; a path parameter is positional, so its name does not identify it.
      const name = place === "header" ? String(p.name).toLowerCase() : String(p.name);
      out.set(`${place} ${name}`, p);
    }
  }
  return out;
}

function compareParameters(a: OperationRef, b: OperationRef, push: Push, schemas: Schemas): void {
  const pa = parameters(a);
  const pb = parameters(b);
  for (const [key, p] of pa) {
    const where = `parameter ${key}`;
    const q = pb.get(key);
    if (!q) {
      push(where, {
        level: "breaking",
        rule: "parameter-removed",
        message:
          p.in === "path"
            ? "path parameter removed or renamed: typed calls that pass it no longer compile"
            : "parameter removed: the server no longer takes it",
      });
      continue;
    }
    const reqA = p.required === true;
    const reqB = q.required === true;
    if (!reqA && reqB) {
      push(where, {
        level: "breaking",
        rule: "parameter-now-required",
        message: "now required: requests without it are rejected",
      });
    }
    if (reqA && !reqB) push(where, { level: "safe", rule: "parameter-now-optional", message: "no longer required" });
    if (p.deprecated !== true && q.deprecated === true) {
      push(where, { level: "risky", rule: "deprecated", message: "parameter deprecated: expect it to be removed" });
    }
    const serialization = ["style", "explode", "allowReserved", "allowEmptyValue"].filter(
      (k) => stableJson(p[k]) !== stableJson(q[k]),
    );
    if (serialization.length > 0) {
      push(where, {
        level: "risky",
        rule: "parameter-serialization-changed",
        message: `serialization changed: ${serialization.join(", ")}`,
      });
    }
    const docKeys = ["description", "example", "examples"].filter((k) => !sameDoc(p[k], q[k]));
    if (docKeys.length > 0) {
      push(where, { level: "safe", rule: "doc-changed", message: `documentation changed: ${docKeys.join(", ")}` });
    }
    schemas("request", where, p.schema ?? {}, q.schema ?? {});
  }
  for (const [key, q] of pb) {
    if (pa.has(key)) continue;
    push(
      `parameter ${key}`,
      q.required === true
        ? {
            level: "breaking",
            rule: "parameter-added-required",
            message: "new required parameter: requests without it are rejected",
          }
        : { level: "safe", rule: "parameter-added", message: "new optional parameter" },
    );
  }
}

function content(body: unknown): Map<string, JsonObject> {
  const media = isObject(body) && isObject(body.content) ? body.content : {};
  return new Map(Object.entries(media).filter((e): e is [string, JsonObject] => isObject(e[1])));
}

/** `response 200`, plus the media type when it is not JSON or there are several. */
function mediaWhere(base: string, type: string, count: number): string {
  return count > 1 || type !== "application/json" ? `${base} (${type})` : base;
}

function compareRequestBody(a: unknown, b: unknown, push: Push, schemas: Schemas): void {
  const where = "request body";
  if (!isObject(a) && !isObject(b)) return;
  if (isObject(a) && !isObject(b)) {
    push(where, {
      level: "breaking",
      rule: "request-body-removed",
      message: "the operation no longer takes a body",
    });
    return;
  }
  if (!isObject(a) && isObject(b)) {
    push(
      where,
      b.required === true
        ? {
            level: "breaking",
            rule: "request-body-added-required",
            message: "a body is now required: requests without one are rejected",
          }
        : { level: "safe", rule: "request-body-added", message: "the operation now takes an optional body" },
    );
    return;
  }
  if (!isObject(a) || !isObject(b)) return;
  if (a.required !== true && b.required === true) {
    push(where, {
      level: "breaking",
      rule: "request-body-now-required",
      message: "the body is now required: requests without one are rejected",
    });
  }
  if (!sameDoc(a.description, b.description)) {
    push(where, { level: "safe", rule: "doc-changed", message: "documentation changed: description" });
  }
  const ma = content(a);
  const mb = content(b);
  compareMediaTypes(ma, mb, where, "request", push, schemas, (type) => ({
    level: "breaking",
    rule: "request-content-type-removed",
    message: `${type} bodies are no longer accepted`,
  }));
  for (const type of mb.keys()) {
    if (!ma.has(type)) {
      push(mediaWhere(where, type, mb.size), {
        level: "safe",
        rule: "request-content-type-added",
        message: `${type} bodies are now accepted too`,
      });
    }
  }
}

/**
 * The media types of a body before (`ma`) and after (`mb`): each type both have is compared (examples, schema); a type
 * only `ma` has is reported as `removed` says. Types only `mb` has are the caller's (their levels differ).
 */
function compareMediaTypes(
  ma: Map<string, JsonObject>,
  mb: Map<string, JsonObject>,
  where: string,
  direction: Direction,
  push: Push,
  schemas: Schemas,
  removed: (type: string) => Omit<Finding, "operation" | "where">,
): void {
  for (const [type, media] of ma) {
    const other = mb.get(type);
    const at = mediaWhere(where, type, Math.max(ma.size, mb.size));
    if (!other) {
      push(at, removed(type));
      continue;
    }
    compareExamples(media, other, at, push);
    schemas(direction, at, media.schema ?? {}, other.schema ?? {});
  }
}

function compareExamples(a: JsonObject, b: JsonObject, where: string, push: Push): void {
  const keys = ["example", "examples"].filter((k) => stableJson(a[k]) !== stableJson(b[k]));
  if (keys.length > 0) {
    push(where, { level: "safe", rule: "doc-changed", message: `documentation changed: media ${keys.join(", ")}` });
  }
}

const isError = (status: string) => /^[45]/.test(status) || status === "default";

/** What {@link diffKeys} reports about each key of two keyed objects (statuses, callbacks). */
interface KeyVisit {
  /** A key of `a` whose value in `b` is missing (or not an object). */
  removed(key: string): void;
  /** A key of `a` that `b` has too. */
  kept(key: string, before: unknown, after: JsonObject): void;
  /** A key only `b` has. */
  added(key: string, after: unknown): void;
}

/** Visits the keys of `a` (removed or kept, in `a`'s order), then the keys only `b` has. */
function diffKeys(a: unknown, b: unknown, visit: KeyVisit): void {
  const ka = isObject(a) ? a : {};
  const kb = isObject(b) ? b : {};
  for (const [key, before] of Object.entries(ka)) {
    const after = kb[key];
    if (isObject(after)) visit.kept(key, before, after);
    else visit.removed(key);
  }
  for (const [key, after] of Object.entries(kb)) if (!(key in ka)) visit.added(key, after);
}

function compareResponses(a: unknown, b: unknown, push: Push, schemas: Schemas): void {
  diffKeys(a, b, {
    removed: (status) =>
      push(`response ${status}`, {
        level: "breaking",
        rule: "status-removed",
        message: isError(status)
          ? `status ${status} is no longer documented: code handling it (and the mock and contract tests) drift from the API`
          : `status ${status} is no longer returned`,
      }),
    kept: (status, response, other) => compareResponse(response, other, `response ${status}`, push, schemas),
    added: (status, response) => {
      const description = isObject(response) && response.description ? ` (${String(response.description)})` : "";
      push(`response ${status}`, {
        level: "risky",
        rule: "status-added",
        message: isError(status)
          ? `new error status ${status}${description}: the client has no dedicated error class or retry rule for it`
          : `new status ${status}${description}: code that expects only the documented statuses may mishandle it`,
      });
    },
  });
}

function compareResponse(a: unknown, b: unknown, where: string, push: Push, schemas: Schemas): void {
  if (!isObject(a) || !isObject(b)) return;
  if (!sameDoc(a.description, b.description)) {
    push(where, { level: "safe", rule: "doc-changed", message: "documentation changed: description" });
  }
  const ma = content(a);
  const mb = content(b);
  if (ma.size > 0 && mb.size === 0) {
    push(where, {
      level: "breaking",
      rule: "response-body-removed",
      message: "the response no longer has a body",
    });
    return;
  }
  compareMediaTypes(ma, mb, where, "response", push, schemas, (type) => ({
    level: "breaking",
    rule: "response-content-type-removed",
    message: `${type} is no longer returned: a client parsing it fails`,
  }));
  for (const type of mb.keys()) {
    if (ma.has(type)) continue;
    push(mediaWhere(where, type, mb.size), {
      level: ma.size === 0 ? "safe" : "risky",
      rule: "response-content-type-added",
      message:
        ma.size === 0
          ? `the response now has a ${type} body`
          : `${type} may now be returned: a client that parses only the documented types fails`,
    });
  }
  const headersA = isObject(a.headers) ? a.headers : {};
  const headersB = isObject(b.headers) ? b.headers : {};
  const lower = (o: JsonObject) => new Map(Object.entries(o).map(([k, v]) => [k.toLowerCase(), v]));
  const ha = lower(headersA);
  const hb = lower(headersB);
  for (const [name, header] of ha) {
    const at = `${where} header ${name}`;
    if (!hb.has(name)) {
      push(at, { level: "breaking", rule: "response-header-removed", message: "header no longer sent" });
    } else {
      schemas(
        "response",
        at,
        isObject(header) ? (header.schema ?? {}) : {},
        (hb.get(name) as JsonObject)?.schema ?? {},
      );
    }
  }
  for (const name of hb.keys()) {
    if (!ha.has(name))
      push(`${where} header ${name}`, { level: "safe", rule: "response-header-added", message: "new header" });
  }
}

function compareCallbacks(a: unknown, b: unknown, push: Push, schemas: Schemas): void {
  diffKeys(a, b, {
    removed: (name) =>
      push(`callback ${name}`, {
        level: "breaking",
        rule: "callback-removed",
        message: "callback no longer documented: a webhook receiver built on it may never be called",
      }),
    kept: (name, callback, other) => compareCallbackBody(`callback ${name}`, callback, other, push, schemas),
    added: (name) => push(`callback ${name}`, { level: "safe", rule: "callback-added", message: "new callback" }),
  });
}

/** A callback's request is written by the provider and read by the client's receiver: compared as a response. */
function compareCallbackBody(where: string, callback: unknown, other: unknown, push: Push, schemas: Schemas): void {
  const ops = (cbk: unknown) =>
    Object.values(isObject(cbk) ? cbk : {}).flatMap((item) =>
      isObject(item) ? METHODS.filter((m) => isObject(item[m])).map((m) => item[m] as JsonObject) : [],
    );
  const [x] = ops(callback);
  const [y] = ops(other);
  if (!x || !y) return;
  const bx = content(x.requestBody);
  const by = content(y.requestBody);
  for (const [type, media] of bx) {
    const at = mediaWhere(`${where} body`, type, Math.max(bx.size, by.size));
    const m = by.get(type);
    if (!m) {
      push(at, {
        level: "breaking",
        rule: "callback-content-type-removed",
        message: `callbacks no longer send ${type}`,
      });
      continue;
    }
    schemas("response", at, media.schema ?? {}, m.schema ?? {});
  }
}
