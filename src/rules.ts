/**
 * The create request's rules: the spec's schema (the generated validator) plus the rules the seed states only in
 * prose. The client checks them before a request leaves; the mock server answers 400 with them. One list, so the two
 * cannot disagree. The `kling-o1-video-edit/rules` entry: `checkCreateRequest` checks a body synchronously (a form, a
 * batch file) without a client; the main entry does not re-export it, so that a browser app that only creates loads
 * the validator and the address table on its first call, not at start (src/lazy.ts).
 */
import {
  VIDEO_GENERATION_REQUEST_CALLBACK_URL_PATTERN,
  VIDEO_GENERATION_REQUEST_IMAGE_URLS_SUPPORTED_FORMATS,
  VIDEO_GENERATION_REQUEST_PROMPT_MAX_LENGTH,
  VIDEO_GENERATION_REQUEST_VIDEO_URLS_SUPPORTED_FORMATS,
} from "../generated/spec-facts.js";
import type { ValidationIssue } from "../generated/validators/runtime.js";
import { validateVideoGenerationRequest } from "../generated/validators/VideoGenerationRequest.js";
import { classifyAddress, internalName } from "./internal/addresses.js";

export {
  ADDRESS_RANGES,
  type AddressClass,
  type AddressKind,
  type AddressRange,
  classifyAddress,
  INTERNAL_NAMES,
  internalName,
  isPublicAddress,
} from "./internal/addresses.js";

/** One broken rule of a request body: the field (`video_urls[0]`), the rule, and a readable message. */
export interface RuleViolation {
  /** Where, as a property path: `prompt`, `video_urls[0]`, `callback_url`. Empty for the body itself. */
  field: string;
  /** The top-level request field, as the API's `error.param` names it: `video_urls` for `video_urls[0]`. */
  param: string;
  /** The rule's name: a JSON Schema keyword (`maxLength`, `enum`, ...) or one of the seed's prose rules. */
  rule: string;
  /** A sentence naming the field and the rule. */
  message: string;
}

/** Video formats the seed lists for `video_urls`. */
export const VIDEO_EXTENSIONS = VIDEO_GENERATION_REQUEST_VIDEO_URLS_SUPPORTED_FORMATS;
/** Image formats the seed lists for `image_urls`. */
export const IMAGE_EXTENSIONS = VIDEO_GENERATION_REQUEST_IMAGE_URLS_SUPPORTED_FORMATS;
/** The seed's `prompt` limit. */
export const PROMPT_MAX_LENGTH = VIDEO_GENERATION_REQUEST_PROMPT_MAX_LENGTH;

function pathOf(issue: ValidationIssue): string {
  const parts = issue.instancePath.split("/").slice(1);
  if (issue.keyword === "required" && typeof issue.params.missingProperty === "string") {
    parts.push(issue.params.missingProperty);
  }
  return parts.reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path ? `${path}.${part}` : part), "");
}

function describe(issue: ValidationIssue): string {
  const p = issue.params;
  switch (issue.keyword) {
    case "required":
      return "is required";
    case "maxLength":
      return `must be at most ${p.limit} characters`;
    case "minItems":
      return `must have at least ${p.limit} item${p.limit === 1 ? "" : "s"}`;
    case "maxItems":
      return `must have at most ${p.limit} item${p.limit === 1 ? "" : "s"}`;
    case "enum":
      return `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`;
    case "format":
      return `must be a valid ${p.format}`;
    case "pattern":
      // callback_url's pattern is the spec's "HTTPS protocol only".
      return p.pattern === VIDEO_GENERATION_REQUEST_CALLBACK_URL_PATTERN
        ? "must be an HTTPS URL"
        : `must match ${p.pattern}`;
    case "type":
      return `must be ${p.type === "array" || p.type === "object" ? "an" : "a"} ${p.type}`;
    default:
      return issue.message ?? `breaks the ${issue.keyword} rule`;
  }
}

function violation(field: string, rule: string, what: string): RuleViolation {
  const param = field.split(/[.[]/)[0] ?? field;
  return { field, param, rule, message: `${field || "body"} ${what}` };
}

function hasExtension(url: URL, extensions: readonly string[]): boolean {
  const path = url.pathname.toLowerCase();
  return extensions.some((ext) => path.endsWith(ext));
}

/**
 * Why a URL host is internal (an address or name the API refuses for `callback_url`), or `undefined` when it may be
 * public: the range's or the name's description, such as `Private-Use (RFC 1918)`. Pass `new URL(u).hostname`.
 */
export function internalHostReason(hostname: string): string | undefined {
  const address = classifyAddress(hostname);
  if (address) {
    if (address.public) return undefined;
    const { range, embedded } = address;
    return embedded ? `${range.name} embedding ${embedded.range.name}` : range.name;
  }
  return internalName(hostname)?.name;
}

/**
 * Whether a URL host names an internal address the API refuses for `callback_url`: any address the IANA
 * special-purpose registries do not list as globally reachable (loopback, private, link-local, CGNAT, NAT64/6to4
 * embedding one of those, multicast, reserved, ...; see `ADDRESS_RANGES`), and names that point inward
 * (`localhost`, `*.local`, `*.internal`, `*.home.arpa`, ...; see `INTERNAL_NAMES`). Pass `new URL(u).hostname`: the
 * WHATWG URL parser has already turned decimal, octal and hex IPv4 forms into dotted quads. A public name can still
 * resolve to an internal address: whoever connects checks the address it connects to with {@link isPublicAddress}.
 */
export function isInternalHost(hostname: string): boolean {
  return internalHostReason(hostname) !== undefined;
}

function parseUrl(value: string): URL | null {
  try {
    return new URL(value);
  } catch {
    return null;
  }
}

/** The rules the seed states only in prose; run on a body whose shape the schema has accepted field by field. */
function proseRules(body: Record<string, unknown>): RuleViolation[] {
  const out: RuleViolation[] = [];
  if (typeof body.prompt === "string" && body.prompt.trim() === "") {
    out.push(violation("prompt", "minLength", `must not be empty (1 to ${PROMPT_MAX_LENGTH} characters)`));
  }
  const urls: [string, unknown, readonly string[], string][] = [
    ["video_urls", body.video_urls, VIDEO_EXTENSIONS, "a video URL"],
    ["image_urls", body.image_urls, IMAGE_EXTENSIONS, "an image URL"],
  ];
  for (const [name, list, extensions, what] of urls) {
    if (!Array.isArray(list)) continue;
    list.forEach((value, i) => {
      const url = typeof value === "string" ? parseUrl(value) : null;
      if (!url) return; // the schema's format rule has reported it
      const field = `${name}[${i}]`;
      if (url.protocol !== "https:" && url.protocol !== "http:") {
        out.push(violation(field, "httpUrl", `must be an http(s) URL the server can fetch (got ${url.protocol})`));
      } else if (!hasExtension(url, extensions)) {
        out.push(violation(field, "fileExtension", `must be ${what} ending in ${extensions.join(", ")}`));
      }
    });
  }
  if (typeof body.callback_url === "string") {
    const url = parseUrl(body.callback_url);
    const reason = url && url.protocol === "https:" ? internalHostReason(url.hostname) : undefined;
    if (url && reason) {
      out.push(
        violation("callback_url", "publicHost", `must not point at an internal address (${url.hostname}: ${reason})`),
      );
    }
  }
  return out;
}

/**
 * Checks a create request body against every rule: the spec's schema and the seed's prose rules. Returns every
 * violation (empty when the body may be sent), each naming its field and rule.
 */
export function checkCreateRequest(body: unknown): RuleViolation[] {
  const out: RuleViolation[] = [];
  if (!validateVideoGenerationRequest(body)) {
    for (const issue of validateVideoGenerationRequest.errors ?? []) {
      out.push(violation(pathOf(issue), issue.keyword, describe(issue)));
    }
  }
  if (typeof body === "object" && body !== null && !Array.isArray(body)) {
    const reported = new Set(out.map((v) => v.field));
    for (const v of proseRules(body as Record<string, unknown>)) if (!reported.has(v.field)) out.push(v);
  }
  return out;
}
