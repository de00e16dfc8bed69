import { describe, expect, it } from "vitest";
import { redactDeep, redactHeaders, redactText } from "../../src/internal/redact.js";

describe("redaction", () => {
  it("redacts credential headers from Headers and records", () => {
    expect(redactHeaders(new Headers({ Authorization: "Bearer k", "X-Api-Key": "k", Accept: "a" }))).toEqual({
      authorization: "[redacted]",
      "x-api-key": "[redacted]",
      accept: "a",
    });
    expect(redactHeaders({ Cookie: "c", "Proxy-Authorization": "p" })).toEqual({
      cookie: "[redacted]",
      "proxy-authorization": "[redacted]",
    });
  });

  const table: [string, { given: [string, (string | undefined)[]]; want: string }][] = [
    ["every occurrence", { given: ["a sk-123456 b sk-123456", ["sk-123456"]], want: "a [redacted] b [redacted]" }],
    ["no secret", { given: ["a b", [undefined]], want: "a b" }],
    ["too short to redact safely", { given: ["a b c", ["a"]], want: "a b c" }],
  ];
  it.each(table)("redactText: %s", (_name, { given, want }) => {
    expect(redactText(...given)).toBe(want);
  });

  it("redacts strings deep in a body", () => {
    expect(redactDeep({ error: { message: "bad key sk-123456", list: ["sk-123456", 1] } }, ["sk-123456"])).toEqual({
      error: { message: "bad key [redacted]", list: ["[redacted]", 1] },
    });
  });
});
