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

/** `text` with every occurrence of each secret replaced; secrets shorter than 4 characters are left (too common). */
export function redactText(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join(REDACTED);
  }
  return out;
}

/** A deep copy of a JSON value with the secrets removed from every string (for error bodies that echo the key). */
export function redactDeep(value: unknown, secrets: readonly (string | undefined)[]): unknown {
  if (!secrets.some((s) => s && s.length >= 4)) return value;
  if (typeof value === "string") return redactText(value, secrets);
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, secrets));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v, secrets)]));
  }
  return value;
}
