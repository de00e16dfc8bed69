/**
 * Recognises responses Prism makes up itself, so the suite reports them as Prism's and never mistakes them for the
 * API's behaviour. Prism 5.14 answers with `application/problem+json` bodies whose `type` is
 * `https://stoplight.io/prism/errors#KIND`: NOT_FOUND (an undocumented `Prefer: code=` or unknown `example=`),
 * NO_PATH_MATCHED_ERROR (a path the spec lacks), UNPROCESSABLE_ENTITY (a bad request where the spec has no 400 body),
 * UNAUTHORIZED (security unmet and no documented 401 body, also in proxy mode, where it never forwards), and
 * VIOLATIONS (proxy mode with `--errors`: the upstream response broke the spec), UNKNOWN (a 500 when a requested
 * example is missing and the fallback fails too). Its HTTP layer answers a request body that is not JSON with a 400
 * `{"error":{"code":"invalid_json","message":"Invalid JSON"}}` that looks like the API's envelope but is not the
 * spec's (recognised here as `INVALID_JSON`). It lists what it found in the `sl-violations` header.
 */
import type { ExchangeResponse, Headers } from "./types.js";

const PRISM_ERROR_TYPE = "https://stoplight.io/prism/errors#";

/** What Prism says about a response it invented. */
export interface PrismInvention {
  /** The part after `#` of the problem `type`: `NOT_FOUND`, `VIOLATIONS`, `UNAUTHORIZED`, ... */
  kind: string;
  /** Prism's `detail` (or `title`). */
  detail: string;
  /** For VIOLATIONS: the violations Prism found in the upstream response, one line each. */
  validation: string[];
}

/** One entry of Prism's `sl-violations` header. */
export interface PrismViolation {
  location: string[];
  severity: string;
  code?: string | number;
  message: string;
}

/** Why Prism makes up each kind of answer, for reports. */
export const PRISM_INVENTION_MEANING: Readonly<Record<string, string>> = {
  NOT_FOUND: "Prism has no response for the requested Prefer code or example (its own 404, not the API's)",
  NO_PATH_MATCHED_ERROR: "the path is not in the spec (Prism's own 404)",
  UNPROCESSABLE_ENTITY: "Prism rejected the request with its own 422 (the spec documents no 400 body for it)",
  UNAUTHORIZED: "Prism answered 401 itself because the security requirement was not met (nothing was forwarded)",
  VIOLATIONS: "the upstream response broke the spec and Prism (--errors) replaced it with its own 500",
  UNKNOWN: "Prism failed to build a response (a missing example, and no default to fall back to)",
  INVALID_JSON: "Prism's HTTP layer rejected a request body that is not JSON before any validation",
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The media type of a `content-type` value, lowercased, without parameters. */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
}

/** Returns what Prism invented, or `undefined` when the response is not one of Prism's own answers. */
export function recognisePrism(response: ExchangeResponse): PrismInvention | undefined {
  const body = response.body;
  if (
    response.status === 400 &&
    isRecord(body) &&
    Object.keys(body).length === 1 &&
    isRecord(body.error) &&
    Object.keys(body.error).length === 2 &&
    body.error.code === "invalid_json" &&
    body.error.message === "Invalid JSON"
  ) {
    return { kind: "INVALID_JSON", detail: "400 invalid_json", validation: [] };
  }
  if (!isRecord(body) || typeof body.type !== "string" || !body.type.startsWith(PRISM_ERROR_TYPE)) return undefined;
  if (mediaType(response.headers["content-type"]) !== "application/problem+json") return undefined;
  const validation = Array.isArray(body.validation)
    ? body.validation.map((v) => {
        const entry = isRecord(v) ? v : {};
        const where = Array.isArray(entry.location) ? entry.location.join(".") : "";
        return `${where}: ${String(entry.message ?? "")}`;
      })
    : [];
  const detail = typeof body.detail === "string" ? body.detail : typeof body.title === "string" ? body.title : "";
  return { kind: body.type.slice(PRISM_ERROR_TYPE.length), detail, validation };
}

/** Parses Prism's `sl-violations` header; `[]` when absent or unreadable. */
export function prismViolations(headers: Headers): PrismViolation[] {
  const raw = headers["sl-violations"];
  if (!raw) return [];
  try {
    const parsed: unknown = JSON.parse(raw);
    if (!Array.isArray(parsed)) return [];
    return parsed.filter(isRecord).map((v) => ({
      location: Array.isArray(v.location) ? v.location.map(String) : [],
      severity: String(v.severity ?? ""),
      ...(typeof v.code === "string" || typeof v.code === "number" ? { code: v.code } : {}),
      message: String(v.message ?? ""),
    }));
  } catch {
    return [];
  }
}
