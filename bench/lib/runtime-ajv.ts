/**
 * The alternative to precompiled validators: ajv compiling the spec's schemas at run time, with the same options
 * scripts/generate.ts uses (JSON Schema 2020-12, strict, formats on, all errors), so the two validate identically.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import ajv2020Module from "ajv/dist/2020.js";
import ajvFormatsModule from "ajv-formats";
import { parse } from "yaml";
import { ROOT } from "./proc.js";

// ajv and ajv-formats are CommonJS: under NodeNext their default import is `module.exports`.
const Ajv2020 = ajv2020Module.default;
const addFormats = ajvFormatsModule.default;

/** OpenAPI keywords that are not JSON Schema (as in scripts/generate.ts). */
export const OPENAPI_KEYWORDS = ["example", "discriminator", "xml", "externalDocs"];
/** The id the components are registered under. */
export const SCHEMA_ID = "kling.json";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Rewrites `#/components/schemas/X` refs into `kling.json#/$defs/X`. */
function toJsonSchema(value: Json): Json {
  if (Array.isArray(value)) return value.map(toJsonSchema);
  if (value === null || typeof value !== "object") return value;
  const out: { [key: string]: Json } = {};
  for (const [key, child] of Object.entries(value)) {
    out[key] =
      key === "$ref" && typeof child === "string" && child.startsWith("#/components/schemas/")
        ? `${SCHEMA_ID}#/$defs/${child.slice("#/components/schemas/".length)}`
        : toJsonSchema(child);
  }
  return out;
}

/** The spec's component schemas as one JSON Schema document's `$defs`. */
export function specDefs(): Json {
  const doc = parse(readFileSync(path.join(ROOT, "spec/kling-o1-video-edit.yaml"), "utf8")) as {
    components: { schemas: Json };
  };
  return toJsonSchema(doc.components.schemas);
}

/** A validator compiled at run time, as a client without codegen would (new Ajv instance each call). */
export function compileAtRuntime(defs: Json, schemaName: string): ((data: unknown) => boolean) & { errors?: unknown } {
  const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true, inlineRefs: false });
  addFormats(ajv);
  ajv.addVocabulary(OPENAPI_KEYWORDS);
  ajv.addSchema({ $id: SCHEMA_ID, $defs: defs } as never);
  const validate = ajv.getSchema(`${SCHEMA_ID}#/$defs/${schemaName}`);
  if (!validate) throw new Error(`no schema ${schemaName}`);
  return validate;
}
