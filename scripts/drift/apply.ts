/**
 * `drift:spec --apply`: writes the upstream document into spec/ and regenerates generated/ from it (what
 * `npm run generate` does), so that the pull request's diff of generated/ shows what the change does to the client.
 *
 * - Replace: one upstream document that holds every pinned operation (or `--complete`) becomes the spec as it is,
 *   written as YAML. It keeps the pinned `jsonSchemaDialect` when upstream states none: that line is a tooling
 *   setting of this repository (Prism validates 3.1 schemas as draft-07 without it, see PITFALLS.md), not part of the
 *   API contract; an upstream dialect wins.
 * - Merge: a partial document (the provider publishes one page per operation) replaces only the operations it holds,
 *   and its components replace pinned components of the same name. Everything else in the pinned spec (other
 *   operations, comments, top-level fields) stays, so applying the create page does not delete the task query.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { isMap, isScalar, parseDocument, stringify } from "yaml";
import { isObject, type JsonObject, type LoadedSpec } from "../../src/drift/load.js";
import { stableJson } from "../../src/drift/schema-view.js";
import { listOperations } from "../../src/drift/spec-diff.js";

/** What {@link planApply} will write. */
export interface ApplyPlan {
  /** `replace`: the upstream document as it is; `merge`: the pinned spec with upstream's operations and components. */
  mode: "replace" | "merge";
  /** The new spec text (YAML). */
  text: string;
  /** Operations taken from upstream, as `METHOD /path`. */
  operations: string[];
  /** Pinned operations dropped (`--complete`, or moved upstream). */
  removed: string[];
  /** Pinned components that upstream replaced with a different definition (`schemas.ErrorResponse`). */
  replacedComponents: string[];
  /** Whether the pinned `jsonSchemaDialect` was carried over. */
  keptDialect: boolean;
}

const YAML_OPTIONS = { lineWidth: 0 } as const;
const METHOD_KEYS = new Set(["get", "put", "post", "delete", "options", "head", "patch", "trace"]);

/** Plans the new spec text without writing anything. */
export function planApply(pinned: LoadedSpec, upstreams: LoadedSpec[], complete: boolean): ApplyPlan {
  const pinnedOps = listOperations(pinned.raw);
  const first = upstreams[0];
  if (!first) throw new Error("planApply needs an upstream document");
  const firstKeys = new Set(listOperations(first.raw).map((o) => o.key));
  if (upstreams.length === 1 && (complete || pinnedOps.every((o) => firstKeys.has(o.key)))) {
    let doc: JsonObject = first.raw;
    const keptDialect = doc.jsonSchemaDialect === undefined && typeof pinned.raw.jsonSchemaDialect === "string";
    if (keptDialect) {
      const { openapi, ...rest } = doc;
      doc = { openapi, jsonSchemaDialect: pinned.raw.jsonSchemaDialect, ...rest };
    }
    const upstreamOps = listOperations(first.raw);
    return {
      mode: "replace",
      text: stringify(doc, YAML_OPTIONS),
      operations: upstreamOps.map((o) => `${o.method} ${o.path}`),
      removed: pinnedOps.filter((o) => !firstKeys.has(o.key)).map((o) => `${o.method} ${o.path}`),
      replacedComponents: [],
      keptDialect,
    };
  }

  const doc = parseDocument(pinned.text);
  const operations: string[] = [];
  const removed: string[] = [];
  const replacedComponents = new Set<string>();
  const taken = new Set<string>();
  const dropOperation = (path: string, method: string) => {
    doc.deleteIn(["paths", path, method.toLowerCase()]);
    const item = doc.getIn(["paths", path]);
    const hasOperation =
      isMap(item) && item.items.some((pair) => METHOD_KEYS.has(String(isScalar(pair.key) ? pair.key.value : pair.key)));
    if (!hasOperation) doc.deleteIn(["paths", path]);
  };
  for (const upstream of upstreams) {
    for (const op of listOperations(upstream.raw)) {
      const mine = pinnedOps.find((p) => p.key === op.key) ?? pinnedOps.find((p) => p.operationId === op.operationId);
      if (mine && (mine.path !== op.path || mine.method !== op.method)) {
        dropOperation(mine.path, mine.method);
        removed.push(`${mine.method} ${mine.path}`);
      }
      if (mine) taken.add(mine.key);
      if (Array.isArray(op.pathItem.parameters)) {
        doc.setIn(["paths", op.path, "parameters"], doc.createNode(op.pathItem.parameters));
      }
      // An unchanged operation or component is left as written (its comments stay).
      const unchanged = mine && mine.path === op.path && stableJson(mine.operation) === stableJson(op.operation);
      if (!unchanged) doc.setIn(["paths", op.path, op.method.toLowerCase()], doc.createNode(op.operation));
      operations.push(`${op.method} ${op.path}`);
    }
    const components = isObject(upstream.raw.components) ? upstream.raw.components : {};
    const mineComponents = isObject(pinned.raw.components) ? pinned.raw.components : {};
    for (const [section, entries] of Object.entries(components)) {
      if (!isObject(entries)) continue;
      for (const [name, value] of Object.entries(entries)) {
        const current = isObject(mineComponents[section]) ? mineComponents[section][name] : undefined;
        if (current !== undefined && stableJson(current) === stableJson(value)) continue;
        if (current !== undefined) replacedComponents.add(`${section}.${name}`);
        doc.setIn(["components", section, name], doc.createNode(value));
      }
    }
  }
  if (complete) {
    for (const op of pinnedOps) {
      if (taken.has(op.key)) continue;
      dropOperation(op.path, op.method);
      removed.push(`${op.method} ${op.path}`);
    }
  }
  return {
    mode: "merge",
    text: doc.toString(YAML_OPTIONS),
    operations,
    removed,
    replacedComponents: [...replacedComponents].sort(),
    keptDialect: false,
  };
}

/** `--apply` wrote the spec but could not regenerate from it. */
export class ApplyError extends Error {
  override name = "ApplyError";
}

/**
 * Writes the planned spec to `specFile` and regenerates `root`/generated/ from it; returns what `npm run generate`
 * prints. The generator runs in this process (scripts/generate.ts, loaded only here: it brings in TypeScript), so
 * `root` must be the repository these scripts belong to, or a copy of its spec/ and generated/ (tests).
 */
export async function applyPlan(plan: ApplyPlan, specFile: string, root: string): Promise<string> {
  await writeFile(specFile, plan.text);
  try {
    const { describeGenerated, generate } = await import("../generate.js");
    const outDir = join(root, "generated");
    return describeGenerated(outDir, await generate(outDir, specFile));
  } catch (error) {
    throw new ApplyError(
      `spec written, but \`npm run generate\` failed (fix the spec, or \`git checkout spec/\` to undo):\n${error}`,
      { cause: error },
    );
  }
}
