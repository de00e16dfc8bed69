/** Telling Prism's own answers from the API's: its problem types, its HTTP layer's invalid_json, its sl-violations. */
import { describe, expect, it } from "vitest";
import {
  mediaType,
  PRISM_INVENTION_MEANING,
  prismViolations,
  recognisePrism,
} from "../../src/verify/prism-inventions.js";

const PROBLEM = { "content-type": "application/problem+json; charset=utf-8" };
const problem = (kind: string, extra: object = {}) => ({ type: `https://stoplight.io/prism/errors#${kind}`, ...extra });

describe("recognisePrism", () => {
  it("reads the kind, the detail (else the title) and, for VIOLATIONS, each upstream violation", () => {
    expect(
      recognisePrism({ status: 404, headers: PROBLEM, body: problem("NOT_FOUND", { detail: "no example" }) }),
    ).toEqual({
      kind: "NOT_FOUND",
      detail: "no example",
      validation: [],
    });
    expect(
      recognisePrism({ status: 401, headers: PROBLEM, body: problem("UNAUTHORIZED", { title: "Invalid security" }) })
        ?.detail,
    ).toBe("Invalid security");
    const violations = problem("VIOLATIONS", {
      validation: [
        { location: ["response", "body", "status"], message: "must be equal to one of the allowed values" },
        "odd",
      ],
    });
    expect(recognisePrism({ status: 500, headers: PROBLEM, body: violations })?.validation).toEqual([
      "response.body.status: must be equal to one of the allowed values",
      ": ",
    ]);
  });

  it("recognises Prism's HTTP layer's invalid_json only in its exact shape", () => {
    const exact = { error: { code: "invalid_json", message: "Invalid JSON" } };
    expect(recognisePrism({ status: 400, headers: {}, body: exact })?.kind).toBe("INVALID_JSON");
    // The API's own envelope has a type (and may carry more): that is the API speaking, not Prism.
    const api = { error: { code: "invalid_json", message: "Invalid JSON", type: "invalid_request_error" } };
    expect(recognisePrism({ status: 400, headers: {}, body: api })).toBeUndefined();
    expect(recognisePrism({ status: 422, headers: {}, body: exact })).toBeUndefined();
  });

  it.each([
    ["another problem type", { status: 404, headers: PROBLEM, body: { type: "about:blank" } }],
    [
      "Prism's type under another media type",
      { status: 404, headers: { "content-type": "application/json" }, body: problem("NOT_FOUND") },
    ],
    ["a body that is text", { status: 404, headers: PROBLEM, body: "https://stoplight.io/prism/errors#NOT_FOUND" }],
    ["no body", { status: 404, headers: PROBLEM, body: null }],
  ])("is not fooled by %s", (_name, response) => {
    expect(recognisePrism(response)).toBeUndefined();
  });

  it("has a meaning for every kind its header comment lists", () => {
    for (const kind of [
      "NOT_FOUND",
      "NO_PATH_MATCHED_ERROR",
      "UNPROCESSABLE_ENTITY",
      "UNAUTHORIZED",
      "VIOLATIONS",
      "UNKNOWN",
      "INVALID_JSON",
    ]) {
      expect(PRISM_INVENTION_MEANING[kind], kind).toBeTruthy();
    }
  });
});

describe("prismViolations", () => {
  it("parses the sl-violations header, keeping a string or numeric code and dropping entries that are not objects", () => {
    const header = JSON.stringify([
      { location: ["request", "body", "prompt"], severity: "Error", code: "required", message: "must have prompt" },
      { location: "nope", severity: "Warning", code: { x: 1 }, message: 5 },
      "junk",
    ]);
    expect(prismViolations({ "sl-violations": header })).toEqual([
      { location: ["request", "body", "prompt"], severity: "Error", code: "required", message: "must have prompt" },
      { location: [], severity: "Warning", message: "5" },
    ]);
  });

  it.each([[{}], [{ "sl-violations": "not json" }], [{ "sl-violations": '{"a":1}' }]])("is [] for %j", (headers) => {
    expect(prismViolations(headers)).toEqual([]);
  });
});

describe("mediaType", () => {
  it("lowercases and drops parameters", () => {
    expect(mediaType("Application/Problem+JSON; charset=UTF-8")).toBe("application/problem+json");
    expect(mediaType(undefined)).toBe("");
  });
});
