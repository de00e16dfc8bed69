/**
 * Spec facts come from codegen (issue 13): no string literal in src/ repeats a value that generated/ exports. One
 * test per source file, so a failure names the file (and so whose change it is), each offender as `file:line`.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { operations } from "../generated/operations.js";
import * as facts from "../generated/spec-facts.js";
import * as meta from "../generated/spec-meta.js";

const root = fileURLToPath(new URL("..", import.meta.url));

/**
 * Where each guarded value is exported from, and whether it is one member of a list or table (an enum, a set of
 * formats, the error titles or types by status); `list` names that list or table.
 */
interface Guarded {
  from: string;
  member: boolean;
  list: string;
}

/**
 * The values src/ must import rather than retype: everything spec-facts.ts and spec-meta.ts export (a route's method
 * aside), and what
 * operations.ts states about each operation that is not an example or protocol vocabulary (paths, the static part of
 * a templated path, operation ids, parameter names, schema names, callback expressions, response descriptions).
 *
 * Left out, on purpose: example values (illustrations, not rules: their `video` and `model` are also CLI flag names;
 * a fact only an example states, such as the task id prefix, is a constant in spec-facts.ts and guarded there), HTTP
 * methods and media types (protocol words that src/ also uses for traffic the spec does not describe: CORS lists,
 * 405 answers, the content type of its own replies).
 */
function guardedValues(): Map<string, Guarded> {
  const out = new Map<string, Guarded>();
  // A value some export states on its own (not only as one member of a list) is guarded on its own.
  const add = (value: string, from: string, list?: string) => {
    const known = out.get(value);
    if (value === "") return;
    if (!known || (known.member && list === undefined)) {
      const also = known ? `, ${known.from}` : "";
      out.set(value, { from: `${from}${also}`, member: list !== undefined, list: list ?? from });
    } else known.from = `${known.from}, ${from}`;
  };
  /** A table: an object keyed by status codes (`ERROR_TITLES`, `..._ERROR_TYPES`). */
  const isTable = (value: object) => Object.keys(value).every((key) => /^\d+$/.test(key));
  const walk = (value: unknown, from: string, list?: string): void => {
    if (typeof value === "string") add(value, from, list);
    else if (Array.isArray(value)) {
      for (const [i, v] of value.entries()) walk(v, `${from}[${i}]`, from);
    } else if (typeof value === "object" && value !== null) {
      for (const [key, v] of Object.entries(value)) {
        if (key !== "method") walk(v, `${from}.${key}`, isTable(value) ? from : list);
      }
    }
  };
  for (const [name, value] of Object.entries(facts)) walk(value, `spec-facts ${name}`);
  for (const [name, value] of Object.entries(meta)) walk(value, `spec-meta ${name}`);
  for (const [id, op] of Object.entries(operations)) {
    const at = `operations.${id}`;
    add(id, at);
    add(op.path, `${at}.path`);
    const staticPart = op.path.split("{")[0] ?? "";
    if (staticPart !== op.path && staticPart.length > 1) add(staticPart, `${at}.path (up to its first parameter)`);
    for (const p of op.parameters) add(p.name, `${at}.parameters`);
    if (op.requestBody?.schema) add(op.requestBody.schema, `${at}.requestBody.schema`);
    for (const [status, res] of Object.entries(op.responses)) {
      add(res.description, `${at}.responses.${status}.description`);
      if ("body" in res && res.body.schema) add(res.body.schema, `${at}.responses.${status}.body.schema`);
    }
    for (const [name, cb] of Object.entries(op.callbacks)) {
      add(cb.expression, `${at}.callbacks.${name}.expression`);
      add(cb.operationId, `${at}.callbacks.${name}.operationId`);
      if (cb.body.schema) add(cb.body.schema, `${at}.callbacks.${name}.body.schema`);
    }
  }
  return out;
}

/** Exceptions, each with its reason; keep this short. */
const ALLOWED: { file: string; value: string; why: string }[] = [
  {
    file: "src/cli/program.ts",
    value: "kling-o1-video-edit",
    why: "compared with package.json's name: the npm package is named after the model, it does not restate the default",
  },
];

/**
 * Whether a literal repeats a guarded value in a way that can drift. Not counted:
 * - a literal in a type (`components["schemas"]["TaskDetail"]`): the compiler checks it against generated/;
 * - one member of a generated list or table used alone (`task.status === "failed"`, `{ type: "not_found_error" }`):
 *   a use of the value, checked by the compiler wherever it is typed by the generated union. An array or object
 *   literal made only of members of one list, two or more, does count: it restates the list and can silently miss a
 *   member (issue 13's KNOWN_STATUSES, DEFAULT_TITLES). A literal that mixes in other values is another vocabulary
 *   that shares words with the spec (BullMQ's job states include `completed` and `failed`).
 */
function repeats(
  node: ts.StringLiteralLike | ts.TemplateLiteralToken,
  guarded: Guarded,
  siblings: (Guarded | undefined)[],
): boolean {
  const parent = node.parent;
  if (ts.isLiteralTypeNode(parent)) return false;
  if (!guarded.member) return true;
  return siblings.length >= 2 && siblings.every((s) => s?.member && s.list === guarded.list);
}

/** Each offending literal of one file, as `file:line "value" (where generated/ exports it)`. */
function offenders(rel: string, text: string, guarded: Map<string, Guarded>): string[] {
  const source = ts.createSourceFile(rel, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const guardedOf = (n: ts.Node): Guarded | undefined =>
    ts.isStringLiteralLike(n) || ts.isTemplateLiteralToken(n) ? guarded.get(n.text) : undefined;
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node) || ts.isImportTypeNode(node)) return;
    const hit = guardedOf(node);
    if (hit && (ts.isStringLiteralLike(node) || ts.isTemplateLiteralToken(node))) {
      const parent = node.parent;
      const around = ts.isArrayLiteralExpression(parent)
        ? parent.elements
        : ts.isPropertyAssignment(parent) && ts.isObjectLiteralExpression(parent.parent)
          ? parent.parent.properties.flatMap((p) => (ts.isPropertyAssignment(p) ? [p.initializer] : []))
          : [];
      const siblings = around.map(guardedOf);
      const allowed = ALLOWED.some((a) => a.file === rel && a.value === node.text);
      if (!allowed && repeats(node, hit, siblings)) {
        const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
        found.push(`${rel}:${line} ${JSON.stringify(node.text)} (generated: ${hit.from})`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function sourceFiles(): string[] {
  return readdirSync(join(root, "src"), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith(".ts"))
    .map((e) => relative(root, join(e.parentPath, e.name)))
    .sort();
}

describe("no string literal in src/ repeats a value generated/ exports (import it from generated/ instead)", () => {
  const guarded = guardedValues();

  it("guards the facts issue 13 names", () => {
    for (const value of [
      "kling-o1-video-edit",
      "task-unified-",
      "pending",
      "/v1/videos/generations",
      "/v1/tasks/",
      "Rate limit exceeded",
    ]) {
      expect(guarded.has(value), value).toBe(true);
    }
    expect(guarded.has("GET")).toBe(false);
  });

  it("finds a retyped fact in each form it takes, and lets a checked use pass", () => {
    const fixture = `import type { components } from "../generated/schema.js";
export const model = "kling-o1-video-edit";
export const id = \`task-unified-\${Date.now()}\`;
export const statuses = ["pending", "processing"];
export const path = \`/v1/tasks/\${id}\`;
export const titles = { 403: "Access denied", 429: "Rate limit exceeded" };
export const reply = { error: { code: 400, type: "invalid_request_error" } };
export type Detail = components["schemas"]["TaskDetail"];
export const done = (s: string) => s === "completed";
export const keys = ["video", "prompt"];
export const states = ["waiting", "active", "completed", "failed"];`;
    const found = offenders("fixture.ts", fixture, guarded).map((o) => o.replace(/ \(generated: .*\)$/, ""));
    expect(found).toEqual([
      'fixture.ts:2 "kling-o1-video-edit"',
      'fixture.ts:3 "task-unified-"',
      'fixture.ts:4 "pending"',
      'fixture.ts:4 "processing"',
      'fixture.ts:5 "/v1/tasks/"',
      'fixture.ts:6 "Access denied"',
      'fixture.ts:6 "Rate limit exceeded"',
    ]);
  });

  it.each(sourceFiles())("%s", (file) => {
    expect(offenders(file, readFileSync(join(root, file), "utf8"), guarded)).toEqual([]);
  });
});
