/**
 * Codegen: spec/kling-o1-video-edit.yaml -> generated/.
 *
 *   generated/schema.ts      types (openapi-typescript)
 *   generated/validators/    precompiled ajv standalone validators, one plain ESM module per body schema
 *                            (no require, no eval / new Function at run time) and runtime.ts, what they share;
 *   generated/validators.ts  all of them re-exported, by name
 *   generated/operations.ts  the operation table: methods, paths, statuses, content types, schemas, examples
 *   generated/spec-meta.ts   the spec's sha256, version and default server
 *   generated/spec-facts.ts  enums, defaults, limits, the task id prefix, error titles and types src/ would retype
 *
 * Usage: tsx scripts/generate.ts [--out DIR]   (default: generated/)
 *
 * `generate(outDir, specFile)` is the same step in-process: `drift:spec --apply` regenerates through it instead of
 * starting `npm run generate` (two more Node processes and a second TypeScript load).
 */
import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import openapiTS, { astToString } from "openapi-typescript";
import { parse } from "yaml";
import { generateSpecFacts } from "./codegen/facts.js";
import { deref, isObject, type Json, type JsonObject } from "./codegen/json.js";
import { generateValidators } from "./codegen/validators.js";
import { ROOT, SPEC_PATH } from "./paths.js";

const HEADER = `// generated from ${SPEC_PATH} by scripts/generate.ts - do not edit`;
const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;

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

/**
 * Writes every generated file into `outDir` from `specFile` (default: the pinned spec); returns their paths relative
 * to `outDir`. The headers always name {@link SPEC_PATH}: `specFile` is for a copy of the repository (tests).
 */
export async function generate(outDir: string, specFile: string = join(ROOT, SPEC_PATH)): Promise<string[]> {
  const text = await readFile(specFile, "utf8");
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
    ...(await generateValidators(doc, schemaNames, HEADER)),
    "spec-facts.ts": generateSpecFacts(doc, HEADER),
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
  for (const [name, content] of Object.entries(files)) {
    await mkdir(dirname(join(outDir, name)), { recursive: true });
    await writeFile(join(outDir, name), content);
  }
  return Object.keys(files);
}

/** What `npm run generate` prints: `generated DIR/schema.ts, ...`. */
export function describeGenerated(outDir: string, written: readonly string[]): string {
  return `generated ${written.map((f) => join(outDir, f)).join(", ")}`;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { out: { type: "string", default: join(ROOT, "generated") } } });
  const written = await generate(resolve(values.out ?? "generated"));
  console.log(describeGenerated(values.out ?? "generated", written));
}
