/**
 * The create request's rules: the spec's schema (the generated validator) plus the rules the seed states only in
 * prose. The client checks them before a request leaves; the mock server answers 400 with them. One list, so the two
 * cannot disagree.
 */
import {
  VIDEO_GENERATION_REQUEST_CALLBACK_URL_PATTERN,
  VIDEO_GENERATION_REQUEST_IMAGE_URLS_SUPPORTED_FORMATS,
  VIDEO_GENERATION_REQUEST_PROMPT_MAX_LENGTH,
  VIDEO_GENERATION_REQUEST_VIDEO_URLS_SUPPORTED_FORMATS,
} from "../generated/spec-facts.js";
import type { ValidationIssue } from "../generated/validators/runtime.js";
import { validateVideoGenerationRequest } from "../generated/validators/VideoGenerationRequest.js";

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

function ipv4Internal(a: number, b: number): boolean {
  return (
    a === 0 || // 0.0.0.0/8 ("this network", 0.0.0.0 reaches the host itself)
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) || // 100.64.0.0/10 carrier-grade NAT
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    a >= 224 // multicast and reserved
  );
}

/**
 * Whether a URL host names an internal address the API refuses for `callback_url`: loopback, private, link-local,
 * unique-local, unspecified, `localhost`. Pass `new URL(u).hostname`: the WHATWG URL parser has already turned
 * decimal, octal and hex IPv4 forms (`2130706433`, `0177.0.0.1`, `0x7f.1`) into dotted quads, and IPv6 into its
 * compressed hex form, so IPv4-mapped IPv6 (`[::ffff:127.0.0.1]`) arrives as `[::ffff:7f00:1]`.
 */
export function isInternalHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (v4) return ipv4Internal(Number(v4[1]), Number(v4[2]));
  if (!host.startsWith("[")) return false;
  const v6 = host.slice(1, -1);
  // IPv4-mapped (::ffff:a.b.c.d, which the URL parser writes as ::ffff:xxxx:xxxx) and IPv4-compatible (::a.b.c.d).
  const mapped = /^::(?:ffff:)?([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(v6);
  if (mapped) {
    const high = Number.parseInt(mapped[1] ?? "0", 16);
    return ipv4Internal(high >> 8, high & 0xff);
  }
  if (v6 === "::" || v6 === "::1") return true;
  const first = Number.parseInt(v6.split(":")[0] || "0", 16);
  return (first & 0xfe00) === 0xfc00 || (first & 0xffc0) === 0xfe80; // fc00::/7 unique-local, fe80::/10 link-local
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
    if (url && url.protocol === "https:" && isInternalHost(url.hostname)) {
      out.push(violation("callback_url", "publicHost", `must not point at an internal address (${url.hostname})`));
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
