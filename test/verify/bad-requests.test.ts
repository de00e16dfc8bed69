/**
 * What may be sent for free: whyBodyCannotCreate and whyRequestCannotCreate judged on their own, and the example the
 * cases start from. That each case breaks the rule it names is in contract-tests/lib/recordings.test.ts.
 */
import { describe, expect, it } from "vitest";
import { checkCreateRequest } from "../../src/rules.js";
import {
  BAD_REQUESTS,
  exampleCreateBody,
  whyBodyCannotCreate,
  whyRequestCannotCreate,
} from "../../src/verify/bad-requests.js";
import { INVALID_TOKEN } from "../../src/verify/probes.js";

describe("exampleCreateBody", () => {
  it("is the spec's example, valid, and a fresh copy each time", () => {
    const body = exampleCreateBody();
    expect(checkCreateRequest(body)).toEqual([]);
    body.prompt = "changed";
    (body.video_urls as string[]).push("https://example.com/x.mp4");
    expect(exampleCreateBody().prompt).not.toBe("changed");
    expect(exampleCreateBody().video_urls).not.toContain("https://example.com/x.mp4");
  });
});

describe("BAD_REQUESTS", () => {
  it("has unique names, and a raw string body exactly for the syntax cases", () => {
    expect(new Set(BAD_REQUESTS.map((c) => c.name)).size).toBe(BAD_REQUESTS.length);
    for (const c of BAD_REQUESTS) expect([c.name, typeof c.body === "string"]).toEqual([c.name, c.kind === "syntax"]);
  });
});

describe("whyBodyCannotCreate", () => {
  const example = exampleCreateBody();
  const table: [string, unknown, RegExp | undefined][] = [
    ["the valid example", example, undefined],
    ["a JSON text sent raw", JSON.stringify(example), undefined],
    ["text that is not JSON", "{ prompt:", /^the body is not JSON/],
    ["an array", [example], /^the body is an array, not an object/],
    ["a number", 42, /^the body is number, not an object/],
    ["no video_urls", { prompt: "p" }, /^the required field video_urls is missing$/],
    ["video_urls a number", { ...example, video_urls: 5 }, /^video_urls is number \(wrong JSON type\)$/],
    ["video_urls null", { ...example, video_urls: null }, /^video_urls is null \(wrong JSON type\)$/],
    ["video_urls an object", { ...example, video_urls: { a: 1 } }, /^video_urls is object/],
    // A lenient server could read these as a source video and bill an edit: never free.
    ["video_urls a string", { ...example, video_urls: "https://example.com/a.mp4" }, undefined],
    ["video_urls empty", { ...example, video_urls: [] }, undefined],
    ["a prompt missing but a source present", { video_urls: example.video_urls }, undefined],
  ];
  it.each(table)("%s", (_name, body, want) => {
    const why = whyBodyCannotCreate(body);
    if (want === undefined) expect(why).toBeUndefined();
    else expect(why).toMatch(want);
  });
});

describe("whyRequestCannotCreate", () => {
  const body = JSON.stringify(exampleCreateBody());
  const create = { method: "POST", path: "/v1/videos/generations", authorization: "Bearer sk-real", body };
  const table: [string, Parameters<typeof whyRequestCannotCreate>[0], string | undefined][] = [
    ["a valid create", create, undefined],
    ["a valid create with a query string", { ...create, path: `${create.path}?x=1` }, undefined],
    ["a valid create below a base path (/apiv1)", { ...create, path: `/apiv1${create.path}` }, undefined],
    ["a lower-case bearer scheme", { ...create, authorization: "bearer sk-real" }, undefined],
    ["no Authorization", { ...create, authorization: undefined }, "no bearer token"],
    ["a Basic credential", { ...create, authorization: "Basic abc" }, "no bearer token"],
    ["the invalid token", { ...create, authorization: `Bearer ${INVALID_TOKEN}` }, "a token no server issued"],
    ["a GET", { ...create, method: "GET" }, "a GET creates nothing"],
    ["another path", { ...create, path: "/v1/videos/generations/extra" }, "not the create path"],
    [
      "a path that merely ends like the create's",
      { ...create, path: "/x/v2/videos/generations" },
      "not the create path",
    ],
    [
      "a body without a source video",
      { ...create, body: '{"prompt":"p"}' },
      "the required field video_urls is missing",
    ],
  ];
  it.each(table)("%s", (_name, request, want) => {
    expect(whyRequestCannotCreate(request, INVALID_TOKEN)).toBe(want);
  });
});
