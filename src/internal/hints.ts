/** Reading the server's "wait this long" hints: pure functions, no clock of their own (the caller passes `now`). */

/**
 * The wait a `Retry-After` header asks for, in ms: delta-seconds (`120`, RFC 9110 §10.2.3) or an HTTP date (a date
 * in the past means 0). `null` when absent or unreadable.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | null {
  if (value == null) return null;
  const text = value.trim();
  if (text === "") return null;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  // Only a real date: Date.parse accepts loose strings like "5", handled above, and negatives like "-1".
  if (!/[a-z]/i.test(text)) return null;
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, at - nowMs);
}

/** The wait the API's `fallback_suggestion` asks for ("retry after 60 seconds"), in ms; `null` for other text. */
export function parseRetrySuggestion(text: string | null | undefined): number | null {
  if (!text) return null;
  const m = /retry\s+(?:after|in)\s+(\d+(?:\.\d+)?)\s*([a-z]*)/i.exec(text);
  if (!m) return null;
  const n = Number(m[1]);
  const unit = (m[2] || "s").toLowerCase();
  // Any other word after the number ("2 days") is a unit we cannot convert: no hint beats a wrong one.
  const factor = /^(ms|milliseconds?)$/.test(unit)
    ? 1
    : /^(s|secs?|seconds?)$/.test(unit)
      ? 1000
      : /^(m|mins?|minutes?)$/.test(unit)
        ? 60_000
        : /^(h|hrs?|hours?)$/.test(unit)
          ? 3_600_000
          : null;
  return factor === null ? null : Math.round(n * factor);
}

/** The server's hint, preferring the standard header to the prose suggestion. */
export function serverHintMs(
  retryAfterHeader: string | null | undefined,
  suggestion: string | undefined,
  nowMs: number,
) {
  return parseRetryAfter(retryAfterHeader, nowMs) ?? parseRetrySuggestion(suggestion);
}
