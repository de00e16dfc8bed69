/**
 * Every rule id the two drift reports can emit, with its level(s). docs/drift-detection.md documents them;
 * the tests check that each spec rule is proven by a fixture pair and that docs/drift-detection.md names each one.
 * Where a level depends on who writes the data, it reads "request / response": a request is written by the client
 * and read by the server, a response (and a callback body) the other way round.
 */

/** Rules of `drift:spec`: id -> level(s) and what it means. */
export const SPEC_RULES = {
  "operation-removed": "breaking: a pinned operation is not in the upstream API (only with --complete)",
  "operation-moved": "breaking: the operationId now lives at another method or path",
  "operation-added": "safe: a new operation",
  "operation-id-changed": "risky: same method and path, new operationId (generated names change)",
  deprecated: "risky: an operation, parameter or field became deprecated",
  "doc-changed": "safe: descriptions, summaries, examples, titles, response defaults",
  "security-changed": "risky: the operation's authentication requirements changed",
  "server-changed": "risky: the pinned default server is not listed upstream",
  "version-changed": "safe: info.version changed",
  "parameter-removed": "breaking: a parameter (a path parameter also when renamed) is gone",
  "parameter-added-required": "breaking: a new required parameter",
  "parameter-added": "safe: a new optional parameter",
  "parameter-now-required": "breaking: an optional parameter became required",
  "parameter-now-optional": "safe: a required parameter became optional",
  "parameter-serialization-changed": "risky: style, explode, allowReserved or allowEmptyValue changed",
  "request-body-removed": "breaking: the operation no longer takes a body",
  "request-body-added-required": "breaking: a required body where there was none",
  "request-body-added": "safe: an optional body where there was none",
  "request-body-now-required": "breaking: the body became required",
  "request-content-type-removed": "breaking: a request media type is no longer accepted",
  "request-content-type-added": "safe: a new request media type",
  "request-field-removed": "breaking: a request field is gone (typed code that sets it no longer compiles)",
  "request-field-added-required": "breaking: a new required request field",
  "request-field-added": "safe: a new optional request field",
  "request-field-now-required": "breaking: an optional request field became required",
  "request-field-now-optional": "safe: a required request field became optional",
  "response-field-removed": "breaking: a response field the client reads is gone",
  "response-field-added": "safe: a new response field",
  "response-field-now-optional": "breaking: a response field is no longer always present",
  "response-field-now-required": "safe: a response field is now always present",
  "status-removed": "breaking: a documented status code is gone",
  "status-added": "risky: a new status code (a new error status has no error class or retry rule)",
  "response-body-removed": "breaking: a response no longer has a body",
  "response-content-type-removed": "breaking: a response media type is gone",
  "response-content-type-added": "risky / safe: a response may come in a new media type (safe where it had no body)",
  "response-header-removed": "breaking: a documented response header is gone",
  "response-header-added": "safe: a new response header",
  "callback-removed": "breaking: a callback (webhook) is gone",
  "callback-added": "safe: a new callback",
  "callback-content-type-removed": "breaking: a callback no longer sends a media type",
  "type-changed": "breaking: a type the other side cannot handle (request narrowed, response widened or changed)",
  "type-widened": "safe: a request type accepts more (integer -> number)",
  "type-narrowed": "safe: a response type is sent in fewer kinds",
  "type-removed": "safe / risky: the type is no longer stated",
  "type-added": "breaking / safe: a type is now stated where any value was allowed",
  "format-changed": "breaking: one format replaced by another (uri -> email)",
  "format-added": "breaking / safe: a format is now enforced (request) or promised (response)",
  "format-removed": "safe / risky: a format is no longer enforced (request) or promised (response)",
  "enum-value-removed":
    "breaking: an enum value is gone (requests sending it fail; a client waiting for it waits forever)",
  "enum-value-added":
    "safe / risky: a new enum value (in a response it breaks exhaustive switches and strict validators)",
  "enum-added": "breaking / safe: a free value became an enum",
  "enum-removed": "safe / risky: an enum became a free value",
  "constraint-narrowed":
    "breaking / safe: lower maxLength, maxItems or maximum, higher minLength, minItems or minimum, a new pattern, uniqueItems, additionalProperties: false",
  "constraint-widened":
    "safe / risky: the reverse; risky in a response because the client validates responses against the pinned spec",
  "constraint-changed": "breaking / risky: a pattern replaced by another (regular expressions cannot be ordered)",
  "alternative-added": "safe / risky: a new oneOf/anyOf alternative",
  "alternative-removed": "breaking / safe: a oneOf/anyOf alternative is gone",
  "condition-added": "breaking / safe: a new if/then rule",
  "condition-removed": "safe / risky: an if/then rule is gone",
  "condition-changed": "risky: the if of an if/then rule changed",
  "default-changed": "risky: a request default changed (requests that omit the field behave differently)",
  "schema-changed": "risky: any other schema keyword changed (no finer rule: never silently safe)",
} as const;

/** A rule id of `drift:spec`. */
export type SpecRule = keyof typeof SPEC_RULES;

/** Rules of `drift:live`: id -> level and what it means. */
export const LIVE_RULES = {
  "undocumented-operation": "risky: a recorded request matches no operation of the spec",
  "undocumented-status": "risky: a status code seen on the wire that the operation does not document",
  "undocumented-field": "risky: a response field seen on the wire that the schema does not list",
  "undocumented-enum-value": "breaking: an enum value seen on the wire that the spec does not list",
  "format-never-matched": "breaking: every value seen for a field with a format failed it (a uri that is not one)",
  "format-mismatch": "breaking: some values seen for a field with a format failed it",
  "schema-violation": "breaking: the generated validator rejects a response (type, required, bounds, if/then rules)",
  "content-type-mismatch": "risky: a response came in a media type the spec does not document for it",
  "non-json-body": "breaking: a documented JSON body was not JSON",
  "operation-never-seen": "safe: a documented operation no recording exercises",
  "status-never-seen": "safe: a documented status of a recorded operation never seen",
  "field-never-seen": "safe: a documented field of a recorded status never seen",
  "enum-value-never-seen": "safe: a documented enum value of a recorded field never seen",
} as const;

/** A rule id of `drift:live`. */
export type LiveRule = keyof typeof LIVE_RULES;
