/**
 * compareSpecs on small documents built here: operation matching, the report's bookkeeping, and parameter identity.
 * Each rule's classification is proven by a fixture pair in test/drift/rules.test.ts.
 */
import { describe, expect, it } from "vitest";
import { DriftInputError } from "../../src/drift/findings.js";
import type { JsonObject, LoadedSpec } from "../../src/drift/load.js";
import { compareSpecs, listOperations, pathKey } from "../../src/drift/spec-diff.js";

const spec = (paths: JsonObject, extra: JsonObject = {}, source = "doc.yaml"): LoadedSpec => {
  const doc = { openapi: "3.1.0", info: { title: "t", version: "1" }, paths, ...extra };
  return { source, text: JSON.stringify(doc), raw: doc, resolved: doc };
};
const ok = { responses: { "200": { description: "ok" } } };
const op = (operationId: string, more: JsonObject = {}) => ({ operationId, ...ok, ...more });

describe("pathKey", () => {
  it.each([
    ["/v1/tasks/{task_id}", "/v1/tasks/{}"],
    ["/v1/tasks/{id}/", "/v1/tasks/{}"],
    ["/v1/a/{x}/b/{y}", "/v1/a/{}/b/{}"],
    ["/v1//", "/v1"],
    ["/", "/"],
  ])("%s -> %s", (given, want) => {
    expect(pathKey(given)).toBe(want);
  });
});

describe("listOperations", () => {
  it("lists methods in document order, skips path-item fields that are not operations, and names unnamed ones", () => {
    const doc = spec({
      "/a/{id}": { parameters: [], summary: "s", get: op("getA"), post: { ...ok } },
      "/b": { "x-extra": {}, delete: op("deleteB") },
      "/c": "not an object",
    }).resolved;
    expect(listOperations(doc).map((o) => [o.key, o.operationId])).toEqual([
      ["GET /a/{}", "getA"],
      ["POST /a/{}", "POST /a/{id}"],
      ["DELETE /b", "deleteB"],
    ]);
    expect(listOperations({})).toEqual([]);
  });
});

describe("compareSpecs", () => {
  const pinned = spec({ "/things/{id}": { get: op("getThing") }, "/things": { post: op("createThing") } });

  it("compares what a per-operation page has and lists the rest as absent, not removed", () => {
    const report = compareSpecs(pinned, [spec({ "/things/{thing_id}": { get: op("getThing") } }, {}, "page.yaml")]);
    expect(report.compared).toEqual(["getThing"]);
    expect(report.absentUpstream).toEqual([{ operationId: "createThing", method: "POST", path: "/things" }]);
    expect(report.findings).toEqual([]);
    expect(report.upstream).toEqual([{ source: "page.yaml", version: "1", operations: ["getThing"] }]);
    expect(report.complete).toBe(false);
  });

  it("matches an operation by operationId when its URL moved, and by URL when its id changed", () => {
    const upstream = spec({
      "/v2/things/{id}": { get: op("getThing") },
      "/things": { post: op("makeThing") },
    });
    const rules = compareSpecs(pinned, [upstream]).findings.map((f) => `${f.rule} ${f.operation}`);
    expect(rules).toContain("operation-moved getThing");
    expect(rules).toContain("operation-id-changed createThing");
    expect(rules.some((r) => r.startsWith("operation-added"))).toBe(false);
  });

  it("refuses a page that shares no operation with the pinned spec, naming what it has; --complete takes it as the API", () => {
    const stranger = spec({ "/pets": { get: op("listPets") } }, {}, "https://example.com/pets.yaml?token=x");
    expect(() => compareSpecs(pinned, [stranger])).toThrow(DriftInputError);
    expect(() => compareSpecs(pinned, [stranger])).toThrow(/\(it has: GET \/pets\)/);
    const report = compareSpecs(pinned, [stranger], { complete: true });
    expect(report.findings.map((f) => `${f.level} ${f.rule} ${f.operation}`).sort()).toEqual([
      "breaking operation-removed createThing",
      "breaking operation-removed getThing",
      "safe operation-added listPets",
    ]);
  });

  it("an operation repeated on a second page is compared once and is not new", () => {
    const page = spec({ "/things/{id}": { get: op("getThing") } });
    const report = compareSpecs(pinned, [page, page]);
    expect(report.compared).toEqual(["getThing"]);
    expect(report.findings.filter((f) => f.rule === "operation-added")).toEqual([]);
  });

  it("keeps the summary equal to the findings, sorted most severe first", () => {
    const upstream = spec(
      { "/things/{id}": { get: op("getThing", { deprecated: true }) }, "/things": { post: op("createThing") } },
      { info: { title: "t", version: "2" } },
    );
    const report = compareSpecs(pinned, [upstream]);
    const levels = report.findings.map((f) => f.level);
    expect(levels).toEqual(
      [...levels].sort((a, b) => ["breaking", "risky", "safe"].indexOf(a) - ["breaking", "risky", "safe"].indexOf(b)),
    );
    expect(report.summary).toEqual({
      breaking: levels.filter((l) => l === "breaking").length,
      risky: levels.filter((l) => l === "risky").length,
      safe: levels.filter((l) => l === "safe").length,
    });
    expect(report.findings.map((f) => f.rule)).toEqual(["deprecated", "version-changed"]);
  });
});

describe("parameter identity", () => {
  const withParams = (pathLevel: JsonObject[], opLevel: JsonObject[]) =>
    spec({ "/things": { parameters: pathLevel, get: op("listThings", { parameters: opLevel }) } });
  const rules = (a: LoadedSpec, b: LoadedSpec) => compareSpecs(a, [b]).findings.map((f) => `${f.rule} ${f.where}`);

  it("header names are case-insensitive", () => {
    const a = withParams([], [{ name: "X-Trace", in: "header", schema: { type: "string" } }]);
    const b = withParams([], [{ name: "x-trace", in: "header", schema: { type: "string" } }]);
    expect(rules(a, b)).toEqual([]);
  });

  it("a query name differing in case is another parameter", () => {
    const a = withParams([], [{ name: "Limit", in: "query" }]);
    const b = withParams([], [{ name: "limit", in: "query" }]);
    expect(rules(a, b).sort()).toEqual([
      "parameter-added parameter query limit",
      "parameter-removed parameter query Limit",
    ]);
  });

  it("an operation-level parameter overrides the path-level one of the same name and place", () => {
    const a = withParams(
      [{ name: "limit", in: "query", required: false }],
      [{ name: "limit", in: "query", required: true }],
    );
    const b = withParams([], [{ name: "limit", in: "query", required: true }]);
    expect(rules(a, b)).toEqual([]);
  });
});
