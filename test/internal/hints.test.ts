import { describe, expect, it } from "vitest";
import { parseRetryAfter, parseRetrySuggestion, serverHintMs } from "../../src/internal/hints.js";

describe("parseRetryAfter", () => {
  const now = Date.parse("2025-01-01T00:00:00Z");
  const table: [string, { given: string | null; want: number | null }][] = [
    ["absent", { given: null, want: null }],
    ["empty", { given: "", want: null }],
    ["seconds", { given: "30", want: 30_000 }],
    ["zero", { given: "0", want: 0 }],
    ["fractional seconds", { given: "1.5", want: 1500 }],
    ["HTTP date in 2 minutes", { given: "Wed, 01 Jan 2025 00:02:00 GMT", want: 120_000 }],
    ["HTTP date in the past", { given: "Tue, 31 Dec 2024 23:59:00 GMT", want: 0 }],
    ["negative number", { given: "-5", want: null }],
    ["garbage", { given: "soon", want: null }],
  ];
  it.each(table)("%s", (_name, { given, want }) => {
    expect(parseRetryAfter(given, now)).toBe(want);
  });
});

describe("parseRetrySuggestion", () => {
  const table: [string, { given: string | undefined; want: number | null }][] = [
    ["the spec's 429 example", { given: "retry after 60 seconds", want: 60_000 }],
    ["the spec's 503 example", { given: "retry after 30 seconds", want: 30_000 }],
    ["capitalised, in a sentence", { given: "Please Retry after 5 second.", want: 5000 }],
    ["short unit", { given: "retry in 2s", want: 2000 }],
    ["minutes", { given: "retry after 1 minute", want: 60_000 }],
    ["milliseconds", { given: "retry after 250 ms", want: 250 }],
    ["no unit means seconds", { given: "retry after 7", want: 7000 }],
    // Read as seconds, "2 hours" made a 2 s wait out of a 2 h one (and a retry the server said not to make).
    ["hours", { given: "retry after 2 hours", want: 7_200_000 }],
    ["a unit it does not know is no hint", { given: "retry after 2 days", want: null }],
    ["other suggestions", { given: "try again later", want: null }],
    ["a billing URL", { given: "https://ai.odkkk.com/apiv1/dashboard/billing", want: null }],
    ["absent", { given: undefined, want: null }],
  ];
  it.each(table)("%s", (_name, { given, want }) => {
    expect(parseRetrySuggestion(given)).toBe(want);
  });

  it("prefers the Retry-After header to the suggestion", () => {
    expect(serverHintMs("2", "retry after 60 seconds", 0)).toBe(2000);
    expect(serverHintMs(null, "retry after 60 seconds", 0)).toBe(60_000);
  });
});

describe("parseRetryAfter edge cases", () => {
  const now = Date.parse("2025-01-01T00:00:00Z");
  const table: [string, { given: string | undefined; want: number | null }][] = [
    ["undefined", { given: undefined, want: null }],
    ["whitespace only", { given: "   ", want: null }],
    ["seconds with surrounding spaces", { given: " 12 ", want: 12_000 }],
    // Date.parse reads "2025" or "1/2" as dates: without a letter it is not an HTTP date.
    ["a bare year is not a date", { given: "2025", want: 2025_000 }],
    ["digits and slashes are not a date", { given: "1/2/2025", want: null }],
    ["an ISO date (letters present) is read", { given: "2025-01-01T00:00:10Z", want: 10_000 }],
    ["an unparseable word", { given: "tomorrow", want: null }],
  ];
  it.each(table)("%s", (_name, { given, want }) => {
    expect(parseRetryAfter(given, now)).toBe(want);
  });
});

describe("serverHintMs", () => {
  it("falls back to the suggestion when the header is unreadable, and is null when neither says anything", () => {
    expect(serverHintMs("soon", "retry after 3 seconds", 0)).toBe(3000);
    expect(serverHintMs(undefined, undefined, 0)).toBeNull();
    expect(serverHintMs("", "contact support", 0)).toBeNull();
  });

  it("takes a header of 0 (retry now) over a suggestion", () => {
    expect(serverHintMs("0", "retry after 60 seconds", 0)).toBe(0);
  });
});
