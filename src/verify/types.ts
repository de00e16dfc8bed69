/**
 * The checks' data: an exchange (one request and its response), a violation (one broken promise of the spec, named
 * by the check that found it), and a typed view of the generated operation table. Every check is a pure function
 * from exchanges to violations, so the same checks run against Prism, the mock, the live API, the recordings and the
 * drift corpus, from `kling-edit verify` and from the contract suite alike.
 */
import { operations } from "../../generated/operations.js";
import { CREATE_VIDEO_GENERATION_ROUTE, GET_TASK_DETAIL_ROUTE } from "../../generated/spec-facts.js";
import type { CheckName } from "./catalog.js";

/** Headers as plain lowercase-keyed strings (what `fetch`, node:http and the recordings all reduce to). */
export type Headers = Record<string, string>;

/** The request half of an exchange. */
export interface ExchangeRequest {
  /** Upper-case HTTP method. */
  method: string;
  /** Path and query below the base URL, e.g. `/v1/tasks/task-unified-1`. */
  path: string;
  /** Request headers, lowercase names, secrets removed. */
  headers: Headers;
  /** Parsed JSON, a string when the body is not JSON, `null` when there is none. */
  body: unknown;
}

/** The response half of an exchange. */
export interface ExchangeResponse {
  /** HTTP status code. */
  status: number;
  /** Response headers, lowercase names. */
  headers: Headers;
  /** Parsed JSON when the text parses and the content type says JSON, else the raw text (`""` when empty). */
  body: unknown;
}

/** One request/response pair, tagged with the spec operation it exercised. */
export interface Exchange {
  /** The operationId in `generated/operations.ts`. */
  operationId: string;
  request: ExchangeRequest;
  response: ExchangeResponse;
}

/** One broken promise of the spec, found by a check. */
export interface Violation {
  /** The named check that found it (`kling-edit verify --list`). */
  check: CheckName;
  /** The operationId (or callback operationId) the promise belongs to. */
  operation: string;
  /** The HTTP status of the response that broke it; `null` when there was none (a transport error, a callback). */
  status: number | null;
  /**
   * Where, as a JSON Pointer into the exchange's response: `/body/progress`, `/headers/content-type`, `/status`;
   * `""` for the exchange as a whole.
   */
  pointer: string;
  /** The rule's stable name, e.g. `status-documented`, `schema:enum`, `lifecycle:progress`. */
  rule: string;
  /** A sentence a person can act on. */
  message: string;
  /** The server's request id of the response (`x-request-id` or `request-id`), when it sent one. */
  requestId?: string;
  /** The exchange that shows it (a report prints one per check). */
  exchange?: Exchange;
}

/** A documented body: media type, the schema's name in components.schemas, and its examples. */
export interface BodyDef {
  contentType: string;
  schema: string;
  example?: unknown;
  examples?: Readonly<Record<string, unknown>>;
}

/** A documented response status. */
export interface ResponseDef {
  description: string;
  body?: BodyDef;
}

/** A documented callback of an operation. */
export interface CallbackDef {
  expression: string;
  method: string;
  operationId: string;
  body?: Omit<BodyDef, "example" | "examples">;
  responses: readonly string[];
}

/** One row of the generated operation table, as the checks read it. */
export interface OperationDef {
  method: string;
  path: string;
  parameters: readonly { name: string; in: string; required: boolean }[];
  requestBody: {
    required: boolean;
    contentType: string;
    schema: string;
    examples?: Readonly<Record<string, unknown>>;
  } | null;
  responses: Readonly<Record<string, ResponseDef>>;
  callbacks: Readonly<Record<string, CallbackDef>>;
}

/** The generated operation table, widened to {@link OperationDef} so checks can index it by any operationId. */
export const operationTable: Readonly<Record<string, OperationDef>> = Object.freeze(
  // No prototype: an id read from a recording (`constructor`, `toString`) must not find Object.prototype's keys.
  Object.assign(Object.create(null) as Record<string, OperationDef>, operations),
);

/** The operation id whose route codegen states (the table's key), found by path: ids are never retyped here. */
function operationIdOf(route: { method: string; path: string }): string {
  const id = Object.keys(operationTable).find(
    (key) => operationTable[key]?.path === route.path && operationTable[key]?.method === route.method,
  );
  if (!id) throw new Error(`no operation for ${route.method} ${route.path}`);
  return id;
}
/** The create operation's id. */
export const CREATE_OPERATION = operationIdOf(CREATE_VIDEO_GENERATION_ROUTE);
/** The task query's id. */
export const QUERY_OPERATION = operationIdOf(GET_TASK_DETAIL_ROUTE);

/** The documented statuses of an operation, in the spec's order (`["200", "400", ...]`). */
export function documentedStatuses(operationId: string): string[] {
  return Object.keys(operationTable[operationId]?.responses ?? {});
}

/** Fills `{name}` placeholders of an operation's path. */
export function pathFor(operationId: string, params: Record<string, string> = {}): string {
  const op = operationTable[operationId];
  if (!op) throw new Error(`unknown operation ${operationId}`);
  return op.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`${operationId}: missing path parameter ${name}`);
    return encodeURIComponent(value);
  });
}

/**
 * Finds the operation a method and path exercise, by matching the table's path templates (`{x}` matches one
 * segment). Returns `undefined` for a path the spec does not describe.
 */
export function matchOperation(
  method: string,
  path: string,
): { operationId: string; params: Record<string, string> } | undefined {
  const pathname = path.split("?")[0] ?? path;
  for (const [operationId, op] of Object.entries(operationTable)) {
    if (op.method.toUpperCase() !== method.toUpperCase()) continue;
    const names: string[] = [];
    const source = op.path.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{([^}]+)\}/g, (_, name: string) => {
      names.push(name);
      return "([^/]+)";
    });
    const match = new RegExp(`^${source}$`).exec(pathname);
    if (!match) continue;
    const params: Record<string, string> = {};
    names.forEach((name, i) => {
      params[name] = decodeURIComponent(match[i + 1] ?? "");
    });
    return { operationId, params };
  }
  return undefined;
}

/** Renders a violation on one line: `body-schema getTaskDetail 200 /body/status schema:enum: must be one of ...`. */
export function formatViolation(v: Violation): string {
  return `${v.check} ${v.operation} ${v.status ?? "-"} ${v.pointer || "(exchange)"} ${v.rule}: ${v.message}`;
}

/** The request id a response carries (`x-request-id`, else `request-id`), or `undefined`. */
export function requestIdOf(exchange: Exchange | undefined): string | undefined {
  const headers = exchange?.response.headers;
  return headers?.["x-request-id"] ?? headers?.["request-id"] ?? undefined;
}

/** Attaches the exchange (and its request id) to violations found in it. */
export function attach(exchange: Exchange, violations: Violation[]): Violation[] {
  const requestId = requestIdOf(exchange);
  return violations.map((v) => ({ ...v, exchange, ...(requestId && !v.requestId ? { requestId } : {}) }));
}
