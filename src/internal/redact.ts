/** Keeps secrets out of errors and log lines: header redaction and removal of the key wherever it is echoed. */

const SENSITIVE_HEADERS = new Set([
  "authorization",
  "proxy-authorization",
  "cookie",
  "set-cookie",
  "x-api-key",
  "api-key",
  "x-goog-api-key",
]);

/** The placeholder written where a secret was. */
export const REDACTED = "[redacted]";

/** A copy of `headers` with lower-case names and the values of credential-bearing headers replaced. */
export function redactHeaders(headers: Headers | Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  const entries = headers instanceof Headers ? headers.entries() : Object.entries(headers);
  for (const [name, value] of entries) {
    const lower = name.toLowerCase();
    out[lower] = SENSITIVE_HEADERS.has(lower) ? REDACTED : value;
  }
  return out;
}

/**
 * The forms of each secret to look for. Trimmed: `Headers` strips a value's surrounding whitespace, so a key read
 * from a file with its newline goes out (and is echoed back) without it. Shorter than 4 characters: left (too common).
 */
function needles(secrets: readonly (string | undefined)[]): string[] {
  return secrets.map((s) => s?.trim() ?? "").filter((s) => s.length >= 4);
}

/** `text` with every occurrence of each secret replaced; secrets shorter than 4 characters are left (too common). */
export function redactText(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const secret of needles(secrets)) out = out.split(secret).join(REDACTED);
  return out;
}

/**
 * Whether a secret appears anywhere in a value: strings, own properties, and an error's message, stack, `cause` and
 * `errors`, a few levels deep. Errors from fetch wrappers can carry the request (and its Authorization header) deep
 * in their cause chain, where `inspect` and loggers print it.
 */
export function containsSecret(value: unknown, secrets: readonly (string | undefined)[]): boolean {
  const list = needles(secrets);
  if (list.length === 0) return false;
  const seen = new Set<object>();
  const visit = (v: unknown, depth: number): boolean => {
    if (typeof v === "string") return list.some((s) => v.includes(s));
    if (typeof v !== "object" || v === null || depth > 6 || seen.has(v)) return false;
    seen.add(v);
    const values: unknown[] = Object.values(v);
    if (v instanceof Error) values.push(v.message, v.stack, v.cause, (v as { errors?: unknown }).errors);
    return values.some((child) => visit(child, depth + 1));
  };
  return visit(value, 0);
}

/** A deep copy of a JSON value with the secrets removed from every string (for error bodies that echo the key). */
export function redactDeep(value: unknown, secrets: readonly (string | undefined)[]): unknown {
  if (needles(secrets).length === 0) return value;
  if (typeof value === "string") return redactText(value, secrets);
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, secrets));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v, secrets)]));
  }
  return value;
}
