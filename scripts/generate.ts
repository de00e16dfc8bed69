/**
 * Codegen: spec/kling-o1-video-edit.yaml -> generated/.
 *
 *   generated/schema.ts      types (openapi-typescript)
 *   generated/validators.ts  precompiled ajv standalone validators, bundled by esbuild into plain ESM
 *                            (no require, no eval / new Function at run time)
 *   generated/operations.ts  the operation table: methods, paths, statuses, content types, schemas, examples
 *   generated/spec-meta.ts   the spec's sha256, version and default server
 *
 * Usage: tsx scripts/generate.ts [--out DIR]   (default: generated/)
 */
import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import ajv2020Module from "ajv/dist/2020.js";
import standaloneModule from "ajv/dist/standalone/index.js";
import ajvFormatsModule from "ajv-formats";
import { build } from "esbuild";
import openapiTS, { astToString } from "openapi-typescript";
import { parse } from "yaml";
import { ROOT, SPEC_PATH } from "./paths.js";

const HEADER = `// generated from ${SPEC_PATH} by scripts/generate.ts - do not edit`;
const SCHEMA_ID = "kling.json";
/** OpenAPI keywords that are not JSON Schema; declared so ajv's strict mode still catches typos. */
const OPENAPI_KEYWORDS = ["example", "discriminator", "xml", "externalDocs"];
// ajv and ajv-formats are CommonJS: under NodeNext their default import is `module.exports`.
const Ajv2020 = ajv2020Module.default;
const standaloneCode = standaloneModule.default;
const addFormats = ajvFormatsModule.default;
const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

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

/** Follows a local `$ref` (`#/components/...`) in the OpenAPI document. */
function deref(doc: JsonObject, node: Json | undefined): JsonObject {
  let current = node;
  for (let hops = 0; isObject(current) && typeof current.$ref === "string"; hops++) {
    if (hops > 16) throw new Error(`$ref cycle at ${current.$ref}`);
    let target: Json | undefined = doc;
    for (const part of current.$ref.replace(/^#\//, "").split("/")) {
      target = isObject(target) ? target[part.replaceAll("~1", "/").replaceAll("~0", "~")] : undefined;
    }
    if (target === undefined) throw new Error(`Unresolved $ref ${current.$ref}`);
    current = target;
  }
  if (!isObject(current)) throw new Error("Expected an object in the spec");
  return current;
}

function schemaName(mediaType: JsonObject | undefined, where: string): string | null {
  const schema = mediaType?.schema;
  if (schema === undefined) return null;
  if (isObject(schema) && typeof schema.$ref === "string" && schema.$ref.startsWith("#/components/schemas/")) {
    return schema.$ref.slice("#/components/schemas/".length);
  }
  // Every body schema is a named component, so validators and types share one name.
  throw new Error(`${where}: body schema must be a $ref to #/components/schemas (got ${JSON.stringify(schema)})`);
}

interface BodyEntry {
  contentType: string;
  schema: string | null;
  example?: Json;
  examples?: Record<string, Json>;
}

function bodyEntry(doc: JsonObject, content: Json | undefined, where: string): BodyEntry | null {
  if (!isObject(content)) return null;
  const [contentType, media] = Object.entries(content)[0] ?? [];
  if (contentType === undefined || !isObject(media)) return null;
  const entry: BodyEntry = { contentType, schema: schemaName(media, where) };
  if (media.example !== undefined) entry.example = media.example;
  if (isObject(media.examples)) {
    entry.examples = Object.fromEntries(
      Object.entries(media.examples).map(([name, ex]) => [name, deref(doc, ex).value ?? null]),
    );
  }
  return entry;
}

/** The operation table: everything a client, mock or contract test needs to know per operation. */
export function operationTable(doc: JsonObject): JsonObject {
  const table: JsonObject = {};
  const paths = isObject(doc.paths) ? doc.paths : {};
  for (const [path, item] of Object.entries(paths)) {
    for (const method of METHODS) {
      const op = isObject(item) ? item[method] : undefined;
      if (!isObject(op)) continue;
      const id = String(op.operationId);
      const responses: JsonObject = {};
      for (const [status, response] of Object.entries(isObject(op.responses) ? op.responses : {})) {
        const res = deref(doc, response);
        const body = bodyEntry(doc, res.content, `${id} ${status}`);
        responses[status] = {
          description: String(res.description ?? ""),
          ...(body ? { body } : {}),
        } as unknown as Json;
      }
      const callbacks: JsonObject = {};
      for (const [name, callback] of Object.entries(isObject(op.callbacks) ? op.callbacks : {})) {
        for (const [expression, cbItem] of Object.entries(deref(doc, callback))) {
          for (const cbMethod of METHODS) {
            const cbOp = isObject(cbItem) ? cbItem[cbMethod] : undefined;
            if (!isObject(cbOp)) continue;
            const body = bodyEntry(doc, deref(doc, cbOp.requestBody).content, `${id} callback ${name}`);
            callbacks[name] = {
              expression,
              method: cbMethod.toUpperCase(),
              operationId: String(cbOp.operationId),
              body: body as unknown as Json,
              responses: Object.keys(isObject(cbOp.responses) ? cbOp.responses : {}),
            };
          }
        }
      }
      const requestBody = isObject(op.requestBody) ? deref(doc, op.requestBody) : undefined;
      const parameters = (Array.isArray(op.parameters) ? op.parameters : []).map((p) => {
        const param = deref(doc, p);
        return { name: param.name ?? null, in: param.in ?? null, required: param.required === true };
      });
      table[id] = {
        method: method.toUpperCase(),
        path,
        parameters,
        requestBody: requestBody
          ? ({
              required: requestBody.required === true,
              ...bodyEntry(doc, requestBody.content, `${id} request`),
            } as Json)
          : null,
        responses,
        callbacks,
      };
    }
  }
  return table;
}

async function generateTypes(doc: JsonObject): Promise<string> {
  const ast = await openapiTS(doc as never, { alphabetize: false });
  return `${HEADER}\n${astToString(ast)}`;
}

async function generateValidators(doc: JsonObject, schemaNames: string[]): Promise<string> {
  const components = isObject(doc.components) && isObject(doc.components.schemas) ? doc.components.schemas : {};
  const ajv = new Ajv2020({
    strict: true,
    // OpenAPI 3.1 writes "integer or string" as `type: [integer, string]` (TaskQueryErrorResponse).
    allowUnionTypes: true,
    allErrors: true,
    // Shared sub-schemas become one function each instead of a copy per use: a smaller browser bundle.
    inlineRefs: false,
    code: { source: true, esm: true },
  });
  addFormats(ajv);
  ajv.addVocabulary(OPENAPI_KEYWORDS);
  ajv.addSchema({ $id: SCHEMA_ID, $defs: toJsonSchema(components) } as never);
  const exportsMap = Object.fromEntries(schemaNames.map((name) => [`v_${name}`, `${SCHEMA_ID}#/$defs/${name}`]));
  const source = standaloneCode(ajv, exportsMap);

  // ajv's ESM output still require()s its runtime helpers and ajv-formats: bundle them in (PITFALLS.md).
  const result = await build({
    stdin: { contents: source, resolveDir: ROOT, sourcefile: "ajv-standalone.mjs", loader: "js" },
    bundle: true,
    format: "esm",
    platform: "neutral",
    write: false,
    legalComments: "none",
    logLevel: "silent",
  });
  const code = result.outputFiles[0]?.text ?? "";
  // A quoted 'require("...")' is ajv's own source text for standalone mode, never called.
  if (/(?<!['"\w.])require\(|new Function|(?<![\w.])eval\(/.test(code)) {
    throw new Error("Bundled validators still contain require/eval/new Function");
  }
  const typed = schemaNames
    .map(
      (name) =>
        `/** Validates a \`${name}\` (components.schemas.${name}); errors are left in \`.errors\`. */\n` +
        `export const validate${name}: Validator<components["schemas"]["${name}"]> = v_${name};`,
    )
    .join("\n");
  const map = schemaNames.map((name) => `  ${name}: validate${name},`).join("\n");
  return [
    HEADER,
    "// @ts-nocheck -- precompiled ajv standalone code; the typed exports are at the end of the file.",
    'import type { components } from "./schema.js";',
    code.replace(/^export \{[^}]*\};\s*$/m, ""),
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
    typed,
    "/** Every validator by its schema name in components.schemas. */",
    "export const validators = {",
    map,
    "} as const;",
    "/** A name of components.schemas that has a validator. */",
    "export type SchemaName = keyof typeof validators;",
    "",
  ].join("\n");
}

export async function generate(outDir: string): Promise<string[]> {
  const text = await readFile(join(ROOT, SPEC_PATH), "utf8");
  const doc = parse(text) as JsonObject;
  const sha256 = createHash("sha256").update(text).digest("hex");
  const info = isObject(doc.info) ? doc.info : {};
  const server = Array.isArray(doc.servers) && isObject(doc.servers[0]) ? String(doc.servers[0].url) : "";
  const table = operationTable(doc);
  // A validator for every schema that is a request, response or callback body, and no more (bundle size).
  const schemaNames = [...new Set(JSON.stringify(table).match(/"schema":"[^"]+"/g) ?? [])]
    .map((m) => m.slice('"schema":"'.length, -1))
    .sort();

  const files: Record<string, string> = {
    "schema.ts": await generateTypes(doc),
    "validators.ts": await generateValidators(doc, schemaNames),
    "operations.ts": [
      HEADER,
      "/** Every operation in the spec: method, path, parameters, bodies (content type, schema name, examples), callbacks. */",
      `export const operations = ${JSON.stringify(table, null, 2)} as const;`,
      "/** An operationId of the spec. */",
      "export type OperationId = keyof typeof operations;",
      "",
    ].join("\n"),
    "spec-meta.ts": [
      HEADER,
      "/** sha256 of the spec file these files were generated from. */",
      `export const SPEC_SHA256 = ${JSON.stringify(sha256)};`,
      "/** The spec's `info.version`. */",
      `export const SPEC_VERSION = ${JSON.stringify(String(info.version ?? ""))};`,
      "/** The spec's first server: the default base URL. */",
      `export const SPEC_SERVER_URL = ${JSON.stringify(server)};`,
      "",
    ].join("\n"),
  };
  await mkdir(outDir, { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    await writeFile(join(outDir, name), content);
  }
  return Object.keys(files);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { out: { type: "string", default: join(ROOT, "generated") } } });
  const written = await generate(resolve(values.out ?? "generated"));
  console.log(`generated ${written.map((f) => join(values.out ?? "generated", f)).join(", ")}`);
}
