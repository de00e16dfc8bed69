import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { DriftInputError } from "../../src/drift/findings.js";
import { parseSpec } from "../../src/drift/load.js";
import { LIVE_RULES, SPEC_RULES } from "../../src/drift/rules.js";
import { compareSpecs } from "../../src/drift/spec-diff.js";

const fixtures = fileURLToPath(new URL("./fixtures/spec-cases/", import.meta.url));

type Patch = { set: (string | number)[]; value: unknown } | { remove: (string | number)[] };
interface Case {
  name: string;
  old?: Patch[];
  new?: Patch[];
  complete?: boolean;
  expect: string[][];
  absent?: string[];
}

/** Applies `{ set }` / `{ remove }` patches to a deep copy of `doc`. */
function patched(doc: unknown, patches: Patch[] = []): unknown {
  const copy = structuredClone(doc) as Record<string | number, unknown>;
  for (const patch of patches) {
    const path = "set" in patch ? patch.set : patch.remove;
    let node = copy as Record<string | number, unknown>;
    for (const key of path.slice(0, -1)) {
      node[key] ??= {};
      node = node[key] as Record<string | number, unknown>;
    }
    const last = path[path.length - 1] as string | number;
    if ("set" in patch) node[last] = patch.value;
    else if (Array.isArray(node)) node.splice(Number(last), 1);
    else if (last in node) delete node[last];
    else throw new Error(`patch removes a missing key: ${path.join(" / ")}`);
  }
  return copy;
}

const base = parse(await readFile(join(fixtures, "base.yaml"), "utf8"));
const cases = parse(await readFile(join(fixtures, "cases.yaml"), "utf8")) as Case[];
const row = (f: { level: string; rule: string; operation: string; where: string; field?: string }) =>
  [f.level, f.rule, f.operation, f.where, ...(f.field ? [f.field] : [])].join(" | ");

// Documents go to parseSpec as JSON, which its YAML parser reads too: writing and re-reading them as YAML was most of
// this file's CPU (67 cases, two documents each), and the rules see the same parsed objects either way.
async function compare(c: Case) {
  const pinned = await parseSpec(JSON.stringify(patched(base, c.old)), join(fixtures, "old.yaml"));
  const upstream = await parseSpec(JSON.stringify(patched(base, c.new)), join(fixtures, "new.yaml"));
  return compareSpecs(pinned, [upstream], { complete: c.complete === true });
}

describe("drift:spec classification, one fixture pair per rule (test/drift/fixtures/spec-cases)", () => {
  for (const c of cases) {
    it(c.name, async () => {
      const report = await compare(c);
      expect(report.findings.map(row).sort()).toEqual(c.expect.map((e) => e.join(" | ")).sort());
      expect(report.absentUpstream.map((o) => o.operationId)).toEqual(c.absent ?? []);
      expect(report.summary).toEqual({
        breaking: c.expect.filter((e) => e[0] === "breaking").length,
        risky: c.expect.filter((e) => e[0] === "risky").length,
        safe: c.expect.filter((e) => e[0] === "safe").length,
      });
    });
  }

  it("has a fixture pair for every rule, and emits no rule it does not document", () => {
    const proven = new Set(cases.flatMap((c) => c.expect.map((e) => String(e[1]))));
    expect(Object.keys(SPEC_RULES).filter((rule) => !proven.has(rule))).toEqual([]);
    expect([...proven].filter((rule) => !(rule in SPEC_RULES))).toEqual([]);
  });

  it("docs/drift-detection.md names every rule of both reports", async () => {
    const section = await readFile(new URL("../../docs/drift-detection.md", import.meta.url), "utf8");
    const missing = [...Object.keys(SPEC_RULES), ...Object.keys(LIVE_RULES)].filter(
      (r) => !section.includes(`\`${r}\``),
    );
    expect(missing).toEqual([]);
  });

  it("refuses an upstream document that shares no operation with the pinned spec, naming what it has", async () => {
    const pinned = await parseSpec(JSON.stringify(base), join(fixtures, "old.yaml"));
    const other = await parseSpec(
      JSON.stringify({
        openapi: "3.1.0",
        info: { title: "x", version: "1" },
        paths: { "/other": { get: { operationId: "other", responses: { "200": { description: "ok" } } } } },
      }),
      join(fixtures, "other.yaml"),
    );
    expect(() => compareSpecs(pinned, [other])).toThrow(DriftInputError);
    expect(() => compareSpecs(pinned, [other])).toThrow(/other\.yaml shares no operation .*GET \/other.*--complete/);
    // Also when it is one page among others that do match.
    expect(() => compareSpecs(pinned, [pinned, other])).toThrow(/other\.yaml shares no operation/);
    // The same page twice is no error and no "new operation".
    expect(compareSpecs(pinned, [pinned, pinned]).findings).toEqual([]);
    // With --complete the same document means: every pinned operation was removed.
    const report = compareSpecs(pinned, [other], { complete: true });
    expect(
      report.findings
        .filter((f) => f.rule === "operation-removed")
        .map((f) => f.operation)
        .sort(),
    ).toEqual(["cancelThing", "createThing", "getThing"]);
  });

  it("combines several per-operation pages, each resolved on its own", async () => {
    const pinned = await parseSpec(JSON.stringify(base), join(fixtures, "old.yaml"));
    const createPage = patched(base, [
      { remove: ["paths", "/things/{thing_id}"] },
      { remove: ["paths", "/things/{thing_id}/cancel"] },
      {
        set: ["components", "schemas", "Status", "enum"],
        value: ["pending", "processing", "completed", "failed", "cancelled"],
      },
    ]);
    const getPage = patched(base, [
      { remove: ["paths", "/things"] },
      { remove: ["paths", "/things/{thing_id}/cancel"] },
    ]);
    const report = compareSpecs(pinned, [
      await parseSpec(JSON.stringify(createPage), join(fixtures, "create.yaml")),
      await parseSpec(JSON.stringify(getPage), join(fixtures, "get.yaml")),
    ]);
    expect(report.compared.sort()).toEqual(["createThing", "getThing"]);
    expect(report.absentUpstream.map((o) => o.operationId)).toEqual(["cancelThing"]);
    // The create page's new status reaches its own operation only: the get page has its own Status.
    expect(report.findings.map(row).sort()).toEqual(
      [
        "risky | enum-value-added | createThing | callback thingFinished body | status",
        "risky | enum-value-added | createThing | response 200 | status",
      ].sort(),
    );
  });
});
