/** How the drift rules read a schema: 3.0 spellings as 3.1, allOf folded in, keywords by family; stable JSON. */
import { describe, expect, it } from "vitest";
import { covers, join, list, same, sameDoc, show, stableJson, view } from "../../src/drift/schema-view.js";

describe("stableJson", () => {
  it("sorts keys at every depth, so key order never counts as a change", () => {
    expect(stableJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[2,{"e":0,"f":1}]},"b":1}',
    );
    expect(same({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(true);
    expect(same([1, 2], [2, 1])).toBe(false);
  });

  it("writes a cycle as [cycle] instead of recursing, but a shared (acyclic) object in full each time", () => {
    const node: Record<string, unknown> = { type: "object" };
    node.next = node;
    expect(stableJson(node)).toBe('{"next":"[cycle]","type":"object"}');
    const shared = { x: 1 };
    expect(stableJson({ a: shared, b: shared })).toBe('{"a":{"x":1},"b":{"x":1}}');
  });

  it("writes undefined as null", () => {
    expect(stableJson(undefined)).toBe("null");
  });
});

describe("documentation comparison", () => {
  it("ignores re-wrapping and indentation, not wording", () => {
    expect(sameDoc({ description: "The task\n  status." }, { description: " The task status. " })).toBe(true);
    expect(sameDoc({ description: "The task status." }, { description: "The job status." })).toBe(false);
  });

  it("shows strings as they are and anything else as stable JSON", () => {
    expect(show("pending")).toBe("pending");
    expect(list(["a", 1, { b: 2, a: 1 }])).toBe('a, 1, {"a":1,"b":2}');
  });
});

describe("view", () => {
  it("reads OpenAPI 3.0 nullable and boolean exclusive bounds as 3.1 says them", () => {
    const v = view({ type: "integer", nullable: true, maximum: 10, exclusiveMaximum: true, minimum: 0 });
    expect([...(v.types ?? [])].sort()).toEqual(["integer", "null"]);
    expect(Object.fromEntries(v.bounds)).toEqual({ exclusiveMaximum: 10, minimum: 0 });
    expect(view({ type: ["string", "null"] }).types).toEqual(new Set(["string", "null"]));
  });

  it("reads const as a one-value enum, and 3.0 example as 3.1 examples", () => {
    expect(view({ const: "x" }).enum).toEqual(["x"]);
    expect(view({ const: null }).enum).toEqual([null]);
    expect(view({ example: 5 }).annotations).toEqual({ examples: [5] });
    expect(view({ example: 5, examples: [6] }).annotations).toEqual({ example: 5, examples: [6] });
  });

  it("sorts keywords into families: annotations (x- included), handled ones, and the rest as other", () => {
    const v = view({ type: "string", description: "d", "x-internal": true, contentEncoding: "base64", foo: 1 });
    expect(v.annotations).toEqual({ description: "d", "x-internal": true, contentEncoding: "base64" });
    expect(v.other).toEqual({ foo: 1 });
  });

  it("folds allOf members in: properties, required names and conditions add up; the schema's own win", () => {
    const v = view({
      type: "object",
      properties: { a: { type: "string" } },
      allOf: [
        { type: "array", properties: { a: { type: "number" }, b: {} }, required: ["b"], if: { x: 1 }, else: {} },
        { required: ["a"], deprecated: true },
      ],
    });
    expect(v.types).toEqual(new Set(["object"]));
    expect(Object.fromEntries(v.properties)).toEqual({ a: { type: "string" }, b: {} });
    expect([...v.required].sort()).toEqual(["a", "b"]);
    expect(v.conditionals).toHaveLength(1);
    expect(v.deprecated).toBe(true);
  });

  it("takes the tightest bound when allOf members bound the same keyword (every member applies)", () => {
    const v = view({ maxLength: 20, minItems: 1, allOf: [{ maxLength: 10, minItems: 3 }, { maxLength: 15 }] });
    expect(v.bounds.get("maxLength")).toBe(10);
    expect(v.bounds.get("minItems")).toBe(3);
  });

  it("stops folding allOf at a depth that only a cycle reaches", () => {
    const loop: Record<string, unknown> = { properties: { p: {} } };
    loop.allOf = [loop];
    expect(Object.fromEntries(view(loop).properties)).toEqual({ p: {} });
  });
});

describe("helpers", () => {
  it("an integer is covered by number, not the other way round", () => {
    expect(covers(new Set(["number"]), "integer")).toBe(true);
    expect(covers(new Set(["integer"]), "number")).toBe(false);
    expect(covers(new Set(["string"]), "string")).toBe(true);
  });

  it("joins field paths with dots, the root being empty", () => {
    expect(join("", "a")).toBe("a");
    expect(join("a", "b")).toBe("a.b");
  });
});
