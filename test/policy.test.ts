/**
 * The policy table: every kind of outcome against every decision. One row per outcome; a change to any decision
 * shows up here as a changed row, in one place.
 */
import { describe, expect, it } from "vitest";
import {
  APIConnectionError,
  APIError,
  APITimeoutError,
  APIUserAbortError,
  ContractViolationError,
  MissingApiKeyError,
  makeAPIError,
  RequestValidationError,
} from "../src/errors.js";
import {
  type AttemptOutcome,
  documentedErrorType,
  endsWait,
  isRetryable,
  isTransient,
  mayHaveBilled,
  outcomeOf,
} from "../src/policy.js";

const status = (s: number, errorType?: string): AttemptOutcome => ({ kind: "status", status: s, errorType });
const conn = (code?: string, afterResponse?: boolean): AttemptOutcome => ({ kind: "connection", code, afterResponse });

/** billed: a create may have created a task; getRetry / createRetry / unsafeRetry: the request loop sends it again. */
interface Row {
  billed: boolean;
  transient: boolean;
  getRetry: boolean;
  createRetry: boolean;
  unsafeRetry: boolean;
  endsWait: boolean;
}
const row = (b: 0 | 1, t: 0 | 1, g: 0 | 1, c: 0 | 1, u: 0 | 1, e: 0 | 1): Row => ({
  billed: b === 1,
  transient: t === 1,
  getRetry: g === 1,
  createRetry: c === 1,
  unsafeRetry: u === 1,
  endsWait: e === 1,
});

//                                                         billed transient GET create unsafe endsWait
const table: [string, AttemptOutcome, Row][] = [
  ["2xx, valid body", { kind: "ok" }, row(1, 0, 0, 0, 0, 1)],
  ["2xx, not JSON / empty", { kind: "malformed" }, row(1, 1, 0, 0, 0, 0)],
  ["2xx, breaks the schema", { kind: "invalid" }, row(1, 1, 0, 0, 0, 0)],
  ["400 invalid_request_error", status(400, "invalid_request_error"), row(0, 0, 0, 0, 0, 1)],
  ["401", status(401, "authentication_error"), row(0, 0, 0, 0, 0, 1)],
  ["402", status(402, "insufficient_quota_error"), row(0, 0, 0, 0, 0, 1)],
  ["403", status(403, "permission_error"), row(0, 0, 0, 0, 0, 1)],
  ["404", status(404, "not_found_error"), row(0, 0, 0, 0, 0, 1)],
  ["405 (undocumented)", status(405), row(0, 0, 0, 0, 0, 1)],
  ["408 (a gateway may send it after forwarding)", status(408), row(1, 1, 1, 0, 1, 0)],
  ["409 (undocumented)", status(409), row(0, 0, 0, 0, 0, 1)],
  ["429 from the API (rate_limit_error)", status(429, "rate_limit_error"), row(0, 1, 1, 1, 1, 0)],
  ["429 without the envelope", status(429), row(1, 1, 1, 0, 1, 0)],
  ["429 with another error.type", status(429, "internal_server_error"), row(1, 1, 1, 0, 1, 0)],
  ["500", status(500, "internal_server_error"), row(1, 1, 1, 0, 1, 0)],
  ["501 (undocumented)", status(501), row(1, 0, 0, 0, 0, 1)],
  ["502", status(502, "upstream_error"), row(1, 1, 1, 0, 1, 0)],
  ["503 from the API (service_unavailable_error)", status(503, "service_unavailable_error"), row(0, 1, 1, 1, 1, 0)],
  ["503 from a gateway (HTML, empty, other shape)", status(503), row(1, 1, 1, 0, 1, 0)],
  ["504", status(504), row(1, 1, 1, 0, 1, 0)],
  ["connection refused", conn("ECONNREFUSED"), row(0, 1, 1, 1, 1, 0)],
  ["unknown host", conn("ENOTFOUND"), row(0, 1, 1, 1, 1, 0)],
  ["DNS try again", conn("EAI_AGAIN"), row(0, 1, 1, 1, 1, 0)],
  ["reset", conn("ECONNRESET"), row(1, 1, 1, 0, 1, 0)],
  ["socket closed", conn("UND_ERR_SOCKET"), row(1, 1, 1, 0, 1, 0)],
  ["network error without a code", conn(), row(1, 1, 1, 0, 1, 0)],
  ["body cut off after the headers", conn("ECONNREFUSED", true), row(1, 1, 1, 0, 1, 0)],
  ["timeout (the deadline passed)", { kind: "timeout" }, row(1, 1, 0, 0, 0, 0)],
  ["aborted by the caller", { kind: "aborted" }, row(1, 0, 0, 0, 0, 1)],
  ["not sent (validation, no key)", { kind: "not-sent" }, row(0, 0, 0, 0, 0, 1)],
];

describe("policy", () => {
  it.each(table)("%s", (_name, outcome, want) => {
    expect({
      billed: mayHaveBilled(outcome),
      transient: isTransient(outcome),
      getRetry: isRetryable(outcome, { idempotent: true }),
      createRetry: isRetryable(outcome, { idempotent: false }),
      unsafeRetry: isRetryable(outcome, { idempotent: false, retryUnsafe: true }),
      endsWait: endsWait(outcome),
    }).toEqual(want);
  });

  it("takes the refusal types from the spec's own examples", () => {
    expect(documentedErrorType(429)).toBe("rate_limit_error");
    expect(documentedErrorType(503)).toBe("service_unavailable_error");
    expect(documentedErrorType(418)).toBeUndefined();
  });
});

describe("outcomeOf", () => {
  const req = { method: "POST", path: "/v1/videos/generations" };
  const table: [string, unknown, AttemptOutcome][] = [
    [
      "API 503 envelope",
      makeAPIError({ ...req, status: 503, body: { error: { type: "service_unavailable_error" } } }),
      status(503, "service_unavailable_error"),
    ],
    ["gateway 503", makeAPIError({ ...req, status: 503, body: "<html>" }), status(503, undefined)],
    ["408", new APIError({ ...req, status: 408, body: "" }), status(408, undefined)],
    [
      "refused connection",
      new APIConnectionError("x", { code: "ECONNREFUSED" }),
      { kind: "connection", code: "ECONNREFUSED", afterResponse: false },
    ],
    [
      "cut-off body",
      new APIConnectionError("x", { code: "ECONNRESET", afterResponse: true }),
      { kind: "connection", code: "ECONNRESET", afterResponse: true },
    ],
    ["timeout", new APITimeoutError("x"), { kind: "timeout" }],
    ["abort", new APIUserAbortError("x"), { kind: "aborted" }],
    ["malformed 2xx", new ContractViolationError("x", { status: 200 }), { kind: "malformed" }],
    [
      "schema-breaking 2xx",
      new ContractViolationError("x", { status: 200, issues: [{ instancePath: "/id" } as never] }),
      { kind: "invalid" },
    ],
    ["validation", new RequestValidationError([]), { kind: "not-sent" }],
    ["no key", new MissingApiKeyError(), { kind: "not-sent" }],
    ["a bug", new TypeError("x is undefined"), { kind: "connection" }],
  ];
  it.each(table)("%s", (_name, error, want) => {
    expect(outcomeOf(error)).toEqual(want);
  });
});
