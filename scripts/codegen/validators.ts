/**
 * Validators: one precompiled ajv standalone module per body schema (generated/validators/NAME.ts), so an entry
 * point ships only the validators it imports, plus generated/validators/runtime.ts with the few run-time helpers they
 * share (the `uri` format check and ajv's `ucs2length`) and generated/validators.ts re-exporting them all.
 *
 * Why per schema rather than per operation: `TaskDetail` is both getTaskDetail's 200 body and the callback's body,
 * and `ErrorResponse` belongs to both operations; a file per operation would ship those twice.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import ajv2020Module from "ajv/dist/2020.js";
import { _ } from "ajv/dist/compile/codegen/index.js";
import * as ucs2lengthModule from "ajv/dist/runtime/ucs2length.js";
import standaloneModule from "ajv/dist/standalone/index.js";
import ajvFormatsModule, { type FormatName } from "ajv-formats";
import { transform } from "esbuild";
import { componentSchemas, isObject, type Json, type JsonObject } from "./json.js";

// ajv and ajv-formats are CommonJS: under NodeNext their default import is `module.exports`.
const Ajv2020 = ajv2020Module.default;
const standaloneCode = standaloneModule.default;
const addFormats = ajvFormatsModule.default;
// Node's CommonJS interop puts `exports` under `default`; vitest's gives `exports.default` itself.
const ucs2lengthExport: unknown = ucs2lengthModule.default;
const ucs2length = (
  typeof ucs2lengthExport === "function" ? ucs2lengthExport : (ucs2lengthExport as { default: unknown }).default
) as (str: string) => number;

/** The id the components are registered under in ajv. */
export const SCHEMA_ID = "kling.json";
/** OpenAPI keywords that are not JSON Schema; declared so ajv's strict mode still catches typos. */
export const OPENAPI_KEYWORDS = ["example", "discriminator", "xml", "externalDocs"];
/** Keywords that only annotate: dropped before compiling, so the emitted schema constants stay small. */
const ANNOTATIONS = new Set(["description", "examples", "example", "default", "title", "$comment", "deprecated"]);
/** Keywords whose value maps names to schemas (the names are data, not keywords). */
const SCHEMA_MAPS = new Set(["properties", "patternProperties", "$defs", "definitions", "dependentSchemas"]);
/** Keywords whose value is data, never a schema. */
const DATA_KEYWORDS = new Set(["enum", "const", "required"]);

/** Rewrites `#/components/schemas/X` into `kling.json#/$defs/X`, the one document ajv compiles. */
function toJsonSchema(value: Json): Json {
  if (Array.isArray(value)) return value.map(toJsonSchema);
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const [key, child] of Object.entries(value)) {
    if (key === "$ref" && typeof child === "string" && child.startsWith("#/components/schemas/")) {
      out[key] = `${SCHEMA_ID}#/$defs/${child.slice("#/components/schemas/".length)}`;
    } else {
      out[key] = toJsonSchema(child);
    }
  }
  return out;
}

/** A schema without its annotation keywords (validation is unchanged: ajv does not apply `default` here). */
function stripAnnotations(schema: Json): Json {
  if (Array.isArray(schema)) return schema.map(stripAnnotations);
  if (!isObject(schema)) return schema;
  const out: JsonObject = {};
  for (const [key, child] of Object.entries(schema)) {
    if (ANNOTATIONS.has(key)) continue;
    if (DATA_KEYWORDS.has(key)) out[key] = child;
    else if (SCHEMA_MAPS.has(key) && isObject(child)) {
      out[key] = Object.fromEntries(Object.entries(child).map(([name, sub]) => [name, stripAnnotations(sub)]));
    } else out[key] = stripAnnotations(child);
  }
  return out;
}

/** Every `format` the spec's schemas use. */
function formatsUsed(value: Json, found = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const item of value) formatsUsed(item, found);
  else if (isObject(value)) {
    for (const [key, child] of Object.entries(value)) {
      if (key === "format" && typeof child === "string") found.add(child);
      else formatsUsed(child, found);
    }
  }
  return found;
}

/**
 * ajv-formats' full `uri` check, taken from its source: the module exports the check but not the two regular
 * expressions it closes over, and importing it would ship every other format too (about 5 kB gzip in a browser).
 * Checked against the library's own function on a set of samples, so a changed ajv-formats fails codegen.
 */
function uriFormatSource(): string {
  const require = createRequire(import.meta.url);
  const source = readFileSync(require.resolve("ajv-formats/dist/formats"), "utf8");
  const regex = (name: string): string => {
    const match = new RegExp(`^const ${name} = (/.+/[a-z]*);$`, "m").exec(source);
    if (!match?.[1]) throw new Error(`ajv-formats: no \`const ${name} = /.../\` in dist/formats.js`);
    return match[1];
  };
  const fragment = regex("NOT_URI_FRAGMENT");
  const uri = regex("URI");
  const library = addFormats.get("uri", "full");
  if (
    typeof library !== "function" ||
    !/return NOT_URI_FRAGMENT\.test\(str\) && URI\.test\(str\);/.test(`${library}`)
  ) {
    throw new Error("ajv-formats: its uri check is no longer NOT_URI_FRAGMENT.test(str) && URI.test(str)");
  }
  // Build-time only: compiles the extracted literals to compare them with the library's function.
  const copy = new Function("str", `return ${fragment}.test(str) && ${uri}.test(str);`) as (s: string) => boolean;
  const samples = [
    "https://example.com/video.mp4",
    "http://a.b/c?d=e#f",
    "urn:isbn:0451450523",
    "mailto:someone@example.com",
    "https://[::1]:8080/x",
    "example.com/video.mp4",
    "not a uri",
    "https://exa mple.com/",
    "http://",
    "//example.com/x",
    "",
    "https://example.com/%zz",
  ];
  for (const sample of samples) {
    if (copy(sample) !== library(sample)) throw new Error(`uri check copied from ajv-formats differs on ${sample}`);
  }
  return [
    `const NOT_URI_FRAGMENT = ${fragment};`,
    `const URI = ${uri};`,
    "/** ajv-formats' full `uri` format: an absolute URI (RFC 3986). */",
    "function uri(str: string): boolean {",
    "  return NOT_URI_FRAGMENT.test(str) && URI.test(str);",
    "}",
  ].join("\n");
}

/** generated/validators/runtime.ts: what the precompiled validators share, and their types. */
function runtimeModule(header: string, formats: string[]): string {
  const unsupported = formats.filter((f) => f !== "uri");
  if (unsupported.length > 0) {
    throw new Error(`format ${unsupported.join(", ")}: add its check to scripts/codegen/validators.ts (only uri is)`);
  }
  return [
    header,
    "// @ts-nocheck -- ajv's ucs2length, copied from its run-time module as it is.",
    "/** One error of a failed validation, as ajv reports it (JSON Pointer in `instancePath`). */",
    "export interface ValidationIssue {",
    "  instancePath: string;",
    "  schemaPath: string;",
    "  keyword: string;",
    "  params: Record<string, unknown>;",
    "  message?: string;",
    "}",
    "/** A precompiled validator: a type guard that leaves the reasons of a failure in `errors`. */",
    "export interface Validator<T> {",
    "  (data: unknown): data is T;",
    "  errors?: ValidationIssue[] | null;",
    "}",
    ...(formats.includes("uri") ? [uriFormatSource()] : []),
    "/** The formats the spec's schemas use, and only those. */",
    `export const formats = { ${formats.join(", ")} };`,
    "/** ajv's string length in code points (`maxLength` counts a surrogate pair as one). */",
    `export ${ucs2length.toString()}`,
    "",
  ].join("\n");
}

/** The run-time helpers ajv's standalone code asks for with `require(...)`, and the runtime.ts export for each. */
const RUNTIME_REQUIRES: Record<string, string> = {
  'require("ajv/dist/runtime/ucs2length").default': "ucs2length",
};

/** One schema's validator module: ajv standalone code for it and the schemas it references, typed at the end. */
async function validatorModule(header: string, defs: JsonObject, name: string, formats: string[]): Promise<string> {
  const ajv = new Ajv2020({
    strict: true,
    // OpenAPI 3.1 writes "integer or string" as `type: [integer, string]` (TaskQueryErrorResponse).
    allowUnionTypes: true,
    allErrors: true,
    // A shared sub-schema becomes one function instead of a copy per use.
    inlineRefs: false,
    // Format checks come from runtime.ts's `formats`, not from ajv-formats' table of every format.
    code: { source: true, esm: true, formats: _`formats` },
  });
  // Ajv2020 always tracks which properties each subschema evaluated, for `unevaluatedProperties`/`unevaluatedItems`;
  // the spec uses neither (generateValidators checks), and the tracking code is 10% of the validators' size.
  (ajv.opts as { unevaluated: boolean }).unevaluated = false;
  addFormats(ajv, { formats: formats as FormatName[] });
  ajv.addVocabulary(OPENAPI_KEYWORDS);
  ajv.addSchema({ $id: SCHEMA_ID, $defs: defs } as never);
  let source = standaloneCode(ajv, { [`v_${name}`]: `${SCHEMA_ID}#/$defs/${name}` });
  const imports = new Set<string>(["type Validator"]);
  if (/\bformats\.\w/.test(source)) imports.add("formats");
  for (const [call, local] of Object.entries(RUNTIME_REQUIRES)) {
    if (source.includes(call)) {
      source = source.replaceAll(call, local);
      imports.add(local);
    }
  }
  const { code } = await transform(source, { loader: "js", format: "esm", legalComments: "none" });
  if (/(?<!['"\w.])require\(|new Function|(?<![\w.])eval\(/.test(code)) {
    throw new Error(`${name}: the validator needs require/eval/new Function; map it in RUNTIME_REQUIRES`);
  }
  return [
    header,
    "// @ts-nocheck -- precompiled ajv standalone code; the typed export is at the end of the file.",
    'import type { components } from "../schema.js";',
    `import { ${[...imports].sort().join(", ")} } from "./runtime.js";`,
    code.replace(/^"use strict";\n/, "").replace(`export const v_${name} =`, `const v_${name} =`),
    `/** Validates a \`${name}\` (components.schemas.${name}); errors are left in \`.errors\`. */`,
    `export const validate${name}: Validator<components["schemas"]["${name}"]> = v_${name};`,
    "",
  ].join("\n");
}

/** generated/validators.ts: every validator by name, for code that needs them all (contract tests, drift checks). */
function indexModule(header: string, names: string[]): string {
  return [
    header,
    'export type { ValidationIssue, Validator } from "./validators/runtime.js";',
    ...names.map((name) => `import { validate${name} } from "./validators/${name}.js";`),
    `export { ${names.map((name) => `validate${name}`).join(", ")} };`,
    "/** Every validator by its schema name in components.schemas. */",
    "export const validators = {",
    ...names.map((name) => `  ${name}: validate${name},`),
    "} as const;",
    "/** A name of components.schemas that has a validator. */",
    "export type SchemaName = keyof typeof validators;",
    "",
  ].join("\n");
}

/** Every validator file, by its path under generated/. */
export async function generateValidators(
  doc: JsonObject,
  schemaNames: string[],
  header: string,
): Promise<Record<string, string>> {
  const defs = stripAnnotations(toJsonSchema(componentSchemas(doc))) as JsonObject;
  const unevaluated = JSON.stringify(defs).match(/"unevaluated(Properties|Items)"/);
  if (unevaluated) {
    throw new Error(`the spec uses ${unevaluated[0]}: remove the \`unevaluated = false\` shortcut in validatorModule`);
  }
  const formats = [...formatsUsed(defs)].sort();
  const files: Record<string, string> = {
    "validators.ts": indexModule(header, schemaNames),
    "validators/runtime.ts": runtimeModule(header, formats),
  };
  for (const name of schemaNames) {
    files[`validators/${name}.ts`] = await validatorModule(header, defs, name, formats);
  }
  return files;
}
