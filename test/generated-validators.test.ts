/**
 * The precompiled validators are smaller than what ajv builds from the spec (annotations dropped, only the `uri`
 * format, no unevaluated-property tracking): they must still judge every value exactly as ajv compiling the spec at
 * run time with every format does, down to each error.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileAtRuntime, specDefs } from "../bench/lib/runtime-ajv.js";
import { operations } from "../generated/operations.js";
import { type SchemaName, validators } from "../generated/validators.js";

/** The spec's examples of each body schema: the starting points of the mutations. */
function examplesBySchema(): Map<SchemaName, unknown[]> {
  const out = new Map<SchemaName, unknown[]>();
  const add = (body: { schema: string | null; example?: unknown; examples?: Record<string, unknown> } | null) => {
    if (!body?.schema) return;
    const list = out.get(body.schema as SchemaName) ?? [];
    if (body.example !== undefined) list.push(body.example);
    list.push(...Object.values(body.examples ?? {}));
    out.set(body.schema as SchemaName, list);
  };
  for (const op of Object.values(operations)) {
    add(op.requestBody);
    for (const res of Object.values(op.responses)) if ("body" in res) add(res.body);
  }
  return out;
}

/** Values that sit on the edges of the spec's rules (formats, enums, limits, types). */
const edgy = fc.constantFrom<unknown>(
  "https://example.com/in.mp4",
  "http://[::1]:8080/a?b#c",
  "urn:isbn:0451450523",
  "example.com/in.mp4",
  "not a uri",
  "https://exa mple.com/x",
  "",
  "pending",
  "completed",
  "failed",
  "video.generation.task",
  "16:9",
  "4:3",
  "x".repeat(5001),
  `https://example.com/${"a".repeat(2040)}`,
  "😀".repeat(2500),
  -1,
  0,
  1.5,
  100,
  101,
  null,
  true,
  [],
  ["https://example.com/a.mp4"],
  ["https://example.com/a.mp4", "https://example.com/b.mp4"],
  ["nope"],
  {},
  { code: "video_download_failed", message: "x" },
  { code: 1 },
);

/** One change to a value: a key set to an edge value or any JSON, or removed; applied at any depth. */
function mutate(value: unknown, path: string[], replacement: unknown, remove: boolean): unknown {
  if (path.length === 0) return replacement;
  if (typeof value !== "object" || value === null) return value;
  const copy: Record<string, unknown> = Array.isArray(value) ? ([...value] as never) : { ...value };
  const [key, ...rest] = path as [string, ...string[]];
  if (rest.length === 0 && remove) delete copy[key];
  else copy[key] = mutate(copy[key], rest, replacement, remove);
  return copy;
}

const KEYS = ["model", "prompt", "video_urls", "image_urls", "aspect_ratio", "callback_url", "status", "results"];
const moreKeys = ["id", "progress", "error", "task_info", "usage", "object", "type", "code", "message", "0", "1"];
const path = fc.array(fc.constantFrom(...KEYS, ...moreKeys), { minLength: 0, maxLength: 3 });

describe("generated validators judge like ajv compiling the spec at run time", () => {
  const defs = specDefs();
  for (const [schema, examples] of examplesBySchema()) {
    it(`${schema}: same verdict and same errors on mutated spec examples`, () => {
      const reference = compileAtRuntime(defs, schema);
      const generated = validators[schema];
      const mutation = fc.record({
        start: fc.constantFrom(...examples),
        changes: fc.array(
          fc.record({ path, value: fc.oneof(edgy, fc.jsonValue({ maxDepth: 2 })), remove: fc.boolean() }),
          { minLength: 1, maxLength: 4 },
        ),
      });
      fc.assert(
        fc.property(mutation, ({ start, changes }) => {
          const value = changes.reduce((v, c) => mutate(v, c.path, c.value, c.remove), structuredClone(start));
          const want = reference(value);
          const wantErrors = structuredClone(reference.errors ?? null);
          expect(generated(value)).toBe(want);
          expect(structuredClone(generated.errors ?? null)).toEqual(wantErrors);
        }),
        { numRuns: 300 },
      );
    });
  }
});
