import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { createScrubber, redactDeep, redactHeaders, redactText } from "../../src/internal/redact.js";

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

describe("createScrubber", () => {
  const KEY = "sk-live-0123456789abcdef";
  const table: [string, { secret: string; given: string; want: string }][] = [
    ["the key as given", { secret: KEY, given: `a ${KEY} b`, want: "a [redacted] b" }],
    [
      "CRLF .env key, echoed as Headers sent it",
      { secret: `${KEY}\r\n`, given: `Bearer ${KEY}.`, want: "Bearer [redacted]." },
    ],
    ["CR-only key", { secret: `${KEY}\r`, given: `x${KEY}x`, want: "x[redacted]x" }],
    ["tabs and spaces around", { secret: `\t ${KEY} \t`, given: KEY, want: "[redacted]" }],
    ["the untrimmed key itself", { secret: `${KEY}\r`, given: `k=${KEY}\r;`, want: "k=[redacted];" }],
    [
      "JSON-escaped echo",
      { secret: 'sk/"quoted"\\x', given: '{"k":"sk/\\"quoted\\"\\\\x"}', want: '{"k":"[redacted]"}' },
    ],
    ["URL-encoded echo", { secret: "sk key+/=", given: "?k=sk%20key%2B%2F%3D&x=1", want: "?k=[redacted]&x=1" }],
    ["too short", { secret: "abc", given: "abc abc", want: "abc abc" }],
  ];
  it.each(table)("text: %s", (_name, { secret, given, want }) => {
    expect(createScrubber([secret]).text(given)).toBe(want);
  });

  it("scrubs values and keys deep in JSON data, and errors inside it", () => {
    const scrubber = createScrubber([KEY]);
    const out = scrubber.value({ [KEY]: [KEY, 1, { k: `x${KEY}` }], e: new Error(`echo ${KEY}`) });
    expect(JSON.stringify(out)).not.toContain(KEY);
    expect(out).toMatchObject({
      "[redacted]": ["[redacted]", 1, { k: "x[redacted]" }],
      e: { message: "echo [redacted]" },
    });
  });

  it("returns clean data as the same object, and copies only what it changes", () => {
    const scrubber = createScrubber([KEY]);
    const clean = { id: "task-1", results: ["https://a/b.mp4"], error: { message: "no" } };
    expect(scrubber.value(clean)).toBe(clean);
    const dirty = { ...clean, error: { message: `echo ${KEY}` } };
    const out = scrubber.value(dirty);
    expect(out).not.toBe(dirty);
    expect(out.results).toBe(dirty.results);
    expect(dirty.error.message).toContain(KEY);
  });

  it("scrubs every header value and redacts credential headers", () => {
    const scrubber = createScrubber([KEY]);
    expect(scrubber.headers(new Headers({ "X-Request-Id": `r-${KEY}`, Cookie: "c", Accept: "a" }))).toEqual({
      "x-request-id": "r-[redacted]",
      cookie: "[redacted]",
      accept: "a",
    });
  });

  it("finds the key in a cause chain and replaces that error", () => {
    const scrubber = createScrubber([KEY]);
    const leaky = Object.assign(new Error("outer", { cause: { headers: new Headers({ authorization: KEY }) } }), {
      code: "ECONNRESET",
    });
    expect(scrubber.finds(leaky)).toBe(true);
    const safe = scrubber.error(leaky) as Error & { code: string };
    expect(safe).not.toBe(leaky);
    expect(safe).toMatchObject({ message: "outer", code: "ECONNRESET" });
    expect(safe.cause).toBeUndefined();
    const clean = new Error("fine");
    expect(scrubber.error(clean)).toBe(clean);
  });

  it("shows no secret when printed, and takes a secret learnt later", () => {
    const scrubber = createScrubber([KEY]);
    expect(inspect(scrubber, { showHidden: true, depth: 5 })).not.toContain(KEY);
    expect(JSON.stringify(scrubber)).not.toContain(KEY);
    expect(scrubber.text("later-secret")).toBe("later-secret");
    scrubber.add("later-secret");
    expect(scrubber.text("later-secret")).toBe("[redacted]");
    expect(createScrubber([KEY], { placeholder: "***" }).text(KEY)).toBe("***");
    expect(createScrubber([undefined]).active).toBe(false);
  });
});
