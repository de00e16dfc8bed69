/** JSON helpers shared by the codegen steps: the value types of a parsed spec, and local `$ref` resolution. */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Follows a local `$ref` (`#/components/...`) in the OpenAPI document. */
export function deref(doc: JsonObject, node: Json | undefined): JsonObject {
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

/** The spec's `components.schemas`, in spec order. */
export function componentSchemas(doc: JsonObject): JsonObject {
  return isObject(doc.components) && isObject(doc.components.schemas) ? doc.components.schemas : {};
}
