/**
 * The per-exchange checks: is the status documented for the operation, is the content type the documented one, does
 * the body validate against the documented schema (the generated ajv validators: strict, formats on), do error
 * bodies carry the error envelope, and does an integer `error.code` equal the HTTP status. Everything is read from
 * `generated/operations.ts` and `generated/validators.ts`; nothing here restates the spec.
 */
import { type ValidationIssue, validators } from "../../generated/validators.js";
import type { CheckName } from "./catalog.js";
import { mediaType, PRISM_INVENTION_MEANING, recognisePrism } from "./prism-inventions.js";
import { attach, type Exchange, operationTable, type ResponseDef, type Violation } from "./types.js";

type Validate = ((data: unknown) => boolean) & { errors?: ValidationIssue[] | null };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function escapePointer(token: string): string {
  return token.replace(/~/g, "~0").replace(/\//g, "~1");
}

/** The value at a JSON Pointer (`/a/0/b`), or `undefined`. */
export function valueAt(root: unknown, pointer: string): unknown {
  if (pointer === "") return root;
  let node: unknown = root;
  for (const raw of pointer.split("/").slice(1)) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (Array.isArray(node)) node = node[Number(key)];
    else if (isRecord(node)) node = node[key];
    else return undefined;
  }
  return node;
}

function show(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) return String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Turns ajv's issues into violations with pointers under `prefix` (e.g. `/body`). */
export function schemaViolations(
  data: unknown,
  issues: readonly ValidationIssue[],
  context: { operation: string; status: number | null; prefix: string; rulePrefix?: string; check?: CheckName },
): Violation[] {
  // ajv reports a failed `if/then` twice: the real cause and a summary "must match then schema"; keep the cause.
  const useful = issues.some((i) => i.keyword !== "if") ? issues.filter((i) => i.keyword !== "if") : issues;
  return useful.map((issue) => {
    let pointer = issue.instancePath;
    if (issue.keyword === "required" && typeof issue.params.missingProperty === "string") {
      pointer += `/${escapePointer(issue.params.missingProperty)}`;
    }
    let message = issue.message ?? `breaks ${issue.keyword}`;
    if (issue.keyword === "enum" && Array.isArray(issue.params.allowedValues)) {
      message = `must be one of ${issue.params.allowedValues.map(show).join(", ")}`;
    }
    if (issue.keyword !== "required") message += ` (got ${show(valueAt(data, issue.instancePath))})`;
    return {
      check: context.check ?? "body-schema",
      operation: context.operation,
      status: context.status,
      pointer: `${context.prefix}${pointer}`,
      rule: `${context.rulePrefix ?? ""}schema:${issue.keyword}`,
      message,
    };
  });
}

/** Validates `data` with the generated validator of `schema`; `[]` when it passes. */
export function validateAgainst(
  schema: string,
  data: unknown,
  context: { operation: string; status: number | null; prefix: string; rulePrefix?: string; check?: CheckName },
): Violation[] {
  const validate = (validators as Readonly<Record<string, Validate>>)[schema];
  if (!validate) {
    const { operation, status, prefix } = context;
    const check = context.check ?? "body-schema";
    return [
      { check, operation, status, pointer: prefix, rule: "schema:unknown", message: `no validator for ${schema}` },
    ];
  }
  if (validate(data)) return [];
  return schemaViolations(data, validate.errors ?? [], context);
}

/** The documented response for a status: the exact code, else `4XX`-style ranges, else `default`. */
export function documentedResponse(operationId: string, status: number): ResponseDef | undefined {
  const responses = operationTable[operationId]?.responses;
  if (!responses) return undefined;
  return responses[String(status)] ?? responses[`${String(status)[0]}XX`] ?? responses.default;
}

/**
 * Parses a body kept as text when the documented type is JSON. Returns `{ ok: false }` when it is not JSON (an
 * empty body, HTML, a truncated document).
 */
export function jsonBody(body: unknown): { ok: true; value: unknown } | { ok: false } {
  if (typeof body !== "string") return { ok: true, value: body };
  try {
    return { ok: true, value: JSON.parse(body) };
  } catch {
    return { ok: false };
  }
}

/** Options of {@link checkExchange}. */
export interface CheckOptions {
  /**
   * Whether a response Prism made up is itself a violation. The proxy and the live target say yes (a Prism answer
   * there means the API's answer never arrived); tests that ask Prism for a missing example may say no.
   * @default true
   */
  reportPrismInventions?: boolean;
}

/**
 * Checks one exchange against the spec: documented status, documented content type, body against the documented
 * schema, the error envelope, and `error.code` equal to an integer status. Returns every violation (empty: it
 * conforms). A response Prism invented is reported as such (rule `prism-invention:KIND`) and not checked further.
 */
export function checkExchange(exchange: Exchange, options: CheckOptions = {}): Violation[] {
  return attach(exchange, exchangeViolations(exchange, options));
}

function exchangeViolations(exchange: Exchange, options: CheckOptions): Violation[] {
  const { operationId, response } = exchange;
  const status = response.status;
  const base = { operation: operationId, status };
  const op = operationTable[operationId];
  if (!op) {
    const message = `the spec has no ${operationId}`;
    return [{ check: "status-documented", ...base, pointer: "", rule: "unknown-operation", message }];
  }

  const invention = recognisePrism(response);
  if (invention) {
    if (options.reportPrismInventions === false) return [];
    const meaning = PRISM_INVENTION_MEANING[invention.kind] ?? "Prism answered with its own error";
    const found = invention.validation.length ? ` [${invention.validation.join("; ")}]` : "";
    return [
      {
        check: "server-answers",
        ...base,
        pointer: "",
        rule: `prism-invention:${invention.kind}`,
        message: `not the API's answer: ${meaning}: ${invention.detail}${found}`,
      },
    ];
  }

  const def = documentedResponse(operationId, status);
  if (!def) {
    const documented = Object.keys(op.responses).join(", ");
    return [
      {
        check: "status-documented",
        ...base,
        pointer: "/status",
        rule: "status-documented",
        message: `${status} is not documented (${documented})`,
      },
    ];
  }
  if (!def.body) return [];

  const out: Violation[] = [];
  const got = mediaType(response.headers["content-type"]);
  if (got !== def.body.contentType) {
    out.push({
      check: "content-type",
      ...base,
      pointer: "/headers/content-type",
      rule: "content-type",
      message: `is ${got ? JSON.stringify(got) : "missing"}, the spec documents ${def.body.contentType} for ${status}`,
    });
  }
  const parsed = jsonBody(response.body);
  if (!parsed.ok) {
    const text = String(response.body);
    out.push({
      check: "body-schema",
      ...base,
      pointer: "/body",
      rule: "json-body",
      message: `is not JSON (${text.length} characters${text ? `: ${show(text.slice(0, 60))}` : ", empty"})`,
    });
    return out;
  }
  const body = parsed.value;
  out.push(...validateAgainst(def.body.schema, body, { ...base, prefix: "/body" }));

  if (status >= 400) {
    if (!isRecord(body) || !("error" in body)) {
      // The error schemas declare only `error` and require nothing, so a body of another shape validates; the
      // client would find no code, type or message in it. Every documented error example carries the envelope.
      out.push({
        check: "error-envelope",
        ...base,
        pointer: "/body/error",
        rule: "error-envelope",
        message: `an error body must carry the "error" object (got ${show(body)})`,
      });
    } else if (isRecord(body.error) && typeof body.error.code === "number" && body.error.code !== status) {
      out.push({
        check: "error-code-matches-status",
        ...base,
        pointer: "/body/error/code",
        rule: "error-code-matches-status",
        message: `is ${body.error.code} but the HTTP status is ${status}`,
      });
    }
  }
  return out;
}

/**
 * The expectation of a probe: the response status is one of `allowed`. A different documented status still breaks
 * the probe's promise (an unknown task answered 200, a missing token accepted).
 */
export function expectStatus(
  exchange: Exchange,
  allowed: readonly number[],
  why: string,
  check: CheckName = "status-documented",
): Violation[] {
  if (allowed.includes(exchange.response.status)) return [];
  return attach(exchange, [
    {
      check,
      operation: exchange.operationId,
      status: exchange.response.status,
      pointer: "/status",
      rule: "expected-status",
      message: `${why}: expected ${allowed.join(" or ")}, got ${exchange.response.status}`,
    },
  ]);
}

/**
 * The checks an exchange gave evidence for (whether or not it broke them): every answer is judged for its status,
 * a documented body for its content type and schema, an error body for its envelope and code.
 */
export function evaluatedBy(exchange: Exchange): CheckName[] {
  const out: CheckName[] = ["server-answers"];
  if (recognisePrism(exchange.response)) return out;
  out.push("status-documented");
  const def = documentedResponse(exchange.operationId, exchange.response.status);
  if (!def?.body) return out;
  out.push("content-type", "body-schema");
  if (exchange.response.status >= 400) out.push("error-envelope", "error-code-matches-status");
  return out;
}
