/**
 * diffSchema called directly: the field paths findings carry, cyclic schemas, boolean schemas, and rules the
 * per-rule fixtures (test/drift/rules.test.ts, through whole documents) do not reach: multipleOf, integer vs
 * number, 3.0 and 3.1 spellings of one bound.
 */
import { describe, expect, it } from "vitest";
import type { Finding } from "../../src/drift/findings.js";
import { type Direction, diffSchema } from "../../src/drift/schema-diff.js";

type Found = Omit<Finding, "operation" | "where">;

function diff(before: unknown, after: unknown, direction: Direction): string[] {
  const found: Found[] = [];
  diffSchema(before, after, "", { direction, add: (f) => found.push(f) });
  return found.map((f) => `${f.level} ${f.rule}${f.field ? ` @${f.field}` : ""}`);
}

describe("diffSchema", () => {
  it("finds nothing between a schema and itself, or the same schema spelled in 3.0 and 3.1", () => {
    const schema = { type: "object", properties: { a: { type: "string" } } };
    expect(diff(schema, schema, "request")).toEqual([]);
    expect(
      diff(
        { type: "integer", nullable: true, maximum: 5, exclusiveMaximum: true, example: 1 },
        { type: ["integer", "null"], exclusiveMaximum: 5, examples: [1] },
        "response",
      ),
    ).toEqual([]);
  });

  it("names the field of a nested finding: properties by dots, array items by [], map values by *, alternatives by position", () => {
    const before = {
      type: "object",
      properties: {
        task: { type: "object", properties: { results: { type: "array", items: { type: "string", format: "uri" } } } },
        meta: { type: "object", additionalProperties: { type: "string" } },
        pick: { oneOf: [{ type: "string" }] },
      },
    };
    const after = structuredClone(before);
    after.properties.task.properties.results.items.format = "uri-reference";
    after.properties.meta.additionalProperties.type = "number";
    after.properties.pick.oneOf[0] = { type: "integer" };
    expect(diff(before, after, "response").sort()).toEqual([
      "breaking format-changed @task.results[]",
      "breaking type-changed @meta.*",
      "breaking type-changed @pick(oneOf[0])",
    ]);
  });

  it("an integer that becomes a number widens a request (safe) and breaks a response", () => {
    expect(diff({ type: "integer" }, { type: "number" }, "request")).toEqual(["safe type-widened"]);
    expect(diff({ type: "integer" }, { type: "number" }, "response")).toEqual(["breaking type-changed"]);
    expect(diff({ type: "number" }, { type: "integer" }, "response")).toEqual(["safe type-narrowed"]);
  });

  const multipleOf: [string, { before: number | undefined; after: number | undefined; want: string }][] = [
    [
      "2 -> 4 narrows (odd multiples of 2 are no longer allowed)",
      { before: 2, after: 4, want: "breaking constraint-narrowed" },
    ],
    ["4 -> 2 widens", { before: 4, after: 2, want: "safe constraint-widened" }],
    ["none -> 3 narrows", { before: undefined, after: 3, want: "breaking constraint-narrowed" }],
    ["3 -> none widens", { before: 3, after: undefined, want: "safe constraint-widened" }],
    ["2 -> 3 narrows (neither divides the other)", { before: 2, after: 3, want: "breaking constraint-narrowed" }],
  ];
  it.each(multipleOf)("multipleOf in a request: %s", (_name, { before, after, want }) => {
    const schema = (m: number | undefined) => ({ type: "integer", ...(m === undefined ? {} : { multipleOf: m }) });
    expect(diff(schema(before), schema(after), "request")).toEqual([want]);
  });

  it("compares boolean schemas as a whole", () => {
    expect(diff(true, false, "request")).toEqual(["risky schema-changed"]);
    expect(diff(false, false, "request")).toEqual([]);
  });

  it("ends on cyclic schemas (resolved documents can be cyclic) and still finds the change", () => {
    const node = (extra: object) => {
      const n: Record<string, unknown> = { type: "object", ...extra };
      n.properties = { next: n, label: { type: "string" } };
      return n;
    };
    expect(diff(node({}), node({ description: "a list" }), "response")).toEqual(["safe doc-changed"]);
    expect(diff(node({}), node({ maxProperties: 3 }), "request")).toContain("breaking constraint-narrowed");
  });

  it("a required field whose schema disappears (or appears) is compared with the unconstrained schema, not dropped", () => {
    const typed = { type: "object", properties: { a: { type: "string" } }, required: ["a"] };
    const untyped = { type: "object", required: ["a"] };
    expect(diff(typed, untyped, "response")).toEqual(["risky type-removed @a"]);
    expect(diff(typed, untyped, "request")).toEqual(["safe type-removed @a"]);
    expect(diff(untyped, typed, "request")).toEqual(["breaking type-added @a"]);
  });

  it("a bound stated through allOf compares equal to the same bound stated directly", () => {
    expect(diff({ maxLength: 20, allOf: [{ maxLength: 10 }] }, { maxLength: 10 }, "request")).toEqual([]);
  });
});
