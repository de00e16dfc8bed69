/**
 * Loads an OpenAPI 3.x document (JSON or YAML, a file or an http(s) URL) and resolves its `$ref`s, so two
 * documents that spell the same schema differently (inline, or through components of other names) compare equal.
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import $RefParser from "@apidevtools/json-schema-ref-parser";
import { parse } from "yaml";
import { DriftInputError, redactUrl } from "./findings.js";

/** A JSON object as parsed from the document. */
export type JsonObject = { [key: string]: unknown };

/** Whether `value` is a plain object (not an array, not null). */
export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A loaded document: as written (for `--apply`) and with every `$ref` resolved (for comparing). */
export interface LoadedSpec {
  /** The file path or URL it came from, with credentials in a URL hidden. */
  source: string;
  /** The document's text as read. */
  text: string;
  /** The parsed document, `$ref`s left as they are. */
  raw: JsonObject;
  /** The parsed document with every `$ref` replaced by its target (cycles stay cycles: shared objects). */
  resolved: JsonObject;
}

/** How to load. */
export interface LoadOptions {
  /** Used for URLs. @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Gives up on a URL after this long. @default {@link DEFAULT_FETCH_TIMEOUT_MS} */
  timeoutMs?: number;
}

/** Default for {@link LoadOptions.timeoutMs}. */
export const DEFAULT_FETCH_TIMEOUT_MS = 30_000;

const isUrl = (source: string) => /^https?:\/\//i.test(source);

function isLoopbackUrl(source: string): boolean {
  if (!isUrl(source)) return false;
  const host = new URL(source).hostname;
  return host === "localhost" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

async function readSource(source: string, options: LoadOptions): Promise<string> {
  if (!isUrl(source)) {
    try {
      return await readFile(source, "utf8");
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : String(error);
      throw new DriftInputError(`Cannot read ${source}: ${reason}`, { cause: error });
    }
  }
  const doFetch = options.fetch ?? globalThis.fetch;
  let response: Response;
  try {
    response = await doFetch(source, {
      headers: { accept: "application/yaml, application/json;q=0.9, text/plain;q=0.5, */*;q=0.1" },
      signal: AbortSignal.timeout(options.timeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS),
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new DriftInputError(`Cannot fetch ${redactUrl(source)}: ${reason}`, { cause: error });
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new DriftInputError(`Cannot fetch ${redactUrl(source)}: HTTP ${response.status} ${response.statusText}`);
  }
  return await response.text();
}

/** Reads, parses, checks and dereferences one document. Every failure is a {@link DriftInputError} naming the source. */
export async function loadSpec(source: string, options: LoadOptions = {}): Promise<LoadedSpec> {
  const text = await readSource(source, options);
  return parseSpec(text, source);
}

/** The document parsed as JSON when it is JSON (an object), else `undefined`. */
function jsonFirst(text: string): unknown {
  if (!/^\s*\{/.test(text)) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Parses, checks and dereferences a document already read. `source` names it in messages and is the base that
 * relative `$ref`s (`./schemas.yaml#/Task`) resolve against.
 */
export async function parseSpec(text: string, source: string): Promise<LoadedSpec> {
  const shown = redactUrl(source);
  let raw: unknown;
  try {
    // YAML 1.2 is a superset of JSON: one parser reads both. A JSON document goes to JSON.parse first, many times
    // faster; when that fails the YAML parser's message (line and column) is the one reported.
    raw = jsonFirst(text) ?? parse(text);
  } catch (error) {
    throw new DriftInputError(`${shown} is neither JSON nor YAML: ${(error as Error).message}`, { cause: error });
  }
  if (!isObject(raw)) {
    const looksHtml = typeof raw === "string" && /^\s*<(!doctype|html)/i.test(text);
    throw new DriftInputError(
      `${shown} is not an OpenAPI document${looksHtml ? " (it is an HTML page: point at the raw JSON or YAML)" : ""}`,
    );
  }
  if (typeof raw.swagger === "string") {
    throw new DriftInputError(`${shown} is Swagger ${raw.swagger}: only OpenAPI 3.x documents are compared`);
  }
  if (typeof raw.openapi !== "string" || !raw.openapi.startsWith("3.")) {
    throw new DriftInputError(
      `${shown} is not an OpenAPI 3.x document: its \`openapi\` field is ${JSON.stringify(raw.openapi)}`,
    );
  }
  let resolved: JsonObject;
  try {
    // dereference() rewrites its argument in place: give it a copy, `raw` stays as written for --apply.
    const base = isUrl(source) ? source : resolve(source);
    resolved = (await $RefParser.dereference(base, structuredClone(raw) as never, {
      dereference: { circular: true },
      resolve: {
        // A document fetched from the web must not make the check read local files (`$ref: /etc/passwd`)...
        file: !isUrl(source),
        // ...nor reach internal addresses (the resolver's SSRF guard), unless the user pointed at a loopback host.
        http: { safeUrlResolver: !isLoopbackUrl(source), timeout: DEFAULT_FETCH_TIMEOUT_MS },
      },
    })) as unknown as JsonObject;
  } catch (error) {
    throw new DriftInputError(`Cannot resolve the $refs of ${shown}: ${(error as Error).message}`, { cause: error });
  }
  return { source: shown, text, raw, resolved };
}
