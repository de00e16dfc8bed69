/**
 * Keeps secrets out of everything that leaves the process: messages, serialised errors, log lines, CLI output,
 * journal lines, recordings. One scrubber, built once per secret set with {@link createScrubber}, used by the
 * errors, the logger, the webhooks and the CLI.
 */

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

/** Secrets shorter than this are left alone: too common to replace without mangling ordinary text. */
export const MIN_SECRET_LENGTH = 4;

/** What {@link createScrubber} returns. It holds the secrets in a closure: printing it shows none of them. */
export interface Scrubber {
  /** `text` with every form of every secret replaced by the placeholder. */
  text(text: string): string;
  /**
   * A JSON-like value (objects, arrays, strings) with the secrets removed from strings and keys: a copy where a
   * secret was found, the same object where none was (so scrubbing every API answer costs no allocation).
   */
  value<T>(value: T): T;
  /** Headers as a plain record: lower-case names, credential headers replaced, the secrets removed from the rest. */
  headers(headers: Headers | Record<string, string>): Record<string, string>;
  /**
   * An error safe to keep as a `cause`: the error itself when no secret appears anywhere in it (message, stack,
   * properties, cause chain), else a plain `Error` with the same name and `code`, a scrubbed message and no causes.
   */
  error(error: unknown): unknown;
  /** Whether a secret appears anywhere in a value: strings, keys, own properties, an error's message, stack, causes. */
  finds(value: unknown): boolean;
  /** Adds a secret learnt later (a key read after start-up). */
  add(secret: string | undefined): void;
  /** Whether there is anything to scrub (no secret of at least {@link MIN_SECRET_LENGTH} characters: a no-op). */
  readonly active: boolean;
}

/** Options of {@link createScrubber}. */
export interface ScrubberOptions {
  /** What replaces a secret. @default REDACTED ("[redacted]") */
  placeholder?: string;
}

/** `Headers` strips a value's leading and trailing HTTP whitespace (Fetch standard: tab, LF, CR, space). */
const httpTrim = (s: string) => s.replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, "");

/**
 * The forms of a secret that can come back: as given (a key with its CRLF from a `.env` file), trimmed as `Headers`
 * sends it (what a server echoes), trimmed of any Unicode space, and each of those JSON-escaped and URL-encoded
 * (a server echoing the request as JSON or in a URL).
 */
function formsOf(secret: string): string[] {
  const bases = new Set([secret, httpTrim(secret), secret.trim()]);
  const forms = new Set<string>();
  for (const base of bases) {
    forms.add(base);
    forms.add(JSON.stringify(base).slice(1, -1));
    forms.add(encodeURIComponent(base));
  }
  return [...forms].filter((f) => f.length >= MIN_SECRET_LENGTH);
}

/**
 * Builds the scrubber for a set of secrets (the API key; `undefined` entries are skipped).
 * @example
 * const scrubber = createScrubber([apiKey]);
 * scrubber.text(`echoed ${apiKey.trim()}`); // "echoed [redacted]"
 */
export function createScrubber(secrets: Iterable<string | undefined> = [], options: ScrubberOptions = {}): Scrubber {
  const placeholder = options.placeholder ?? REDACTED;
  let needles: string[] = [];
  const add = (secret: string | undefined) => {
    if (typeof secret !== "string") return;
    // Longest first, so a longer form is replaced whole before a shorter one inside it.
    needles = [...new Set([...needles, ...formsOf(secret)])].sort((a, b) => b.length - a.length);
  };
  for (const secret of secrets) add(secret);

  const text = (value: string): string => {
    let out = value;
    for (const needle of needles) if (out.includes(needle)) out = out.split(needle).join(placeholder);
    return out;
  };
  const has = (value: string) => needles.some((n) => value.includes(n));

  /** Copy on write: a value without a secret comes back as the same object, so clean data costs no allocation. */
  const deep = (value: unknown, depth: number): unknown => {
    if (typeof value === "string") return text(value);
    if (depth > 32 || typeof value !== "object" || value === null) return value;
    if (Array.isArray(value)) {
      const items = value.map((v) => deep(v, depth + 1));
      return items.some((v, i) => v !== value[i]) ? items : value;
    }
    if (value instanceof Error) return sanitize(value);
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return value; // class instances are not JSON data
    const entries = Object.entries(value);
    const cleaned = entries.map(([k, v]) => [text(k), deep(v, depth + 1)] as const);
    return cleaned.some(([k, v], i) => k !== entries[i]?.[0] || v !== entries[i]?.[1])
      ? Object.fromEntries(cleaned)
      : value;
  };

  const finds = (value: unknown): boolean => {
    if (needles.length === 0) return false;
    const seen = new Set<object>();
    const visit = (v: unknown, depth: number): boolean => {
      if (typeof v === "string") return has(v);
      if (typeof v !== "object" || v === null || depth > 8 || seen.has(v)) return false;
      seen.add(v);
      const children: unknown[] = [];
      if (v instanceof Headers) for (const [name, h] of v) children.push(name, h);
      for (const [key, child] of Object.entries(v)) children.push(key, child);
      if (v instanceof Error) children.push(v.message, v.stack, v.cause, (v as { errors?: unknown }).errors);
      return children.some((child) => visit(child, depth + 1));
    };
    return visit(value, 0);
  };

  function sanitize(error: unknown): unknown {
    if (!finds(error)) return error;
    if (!(error instanceof Error)) return typeof error === "string" ? text(error) : placeholder;
    const copy = new Error(text(error.message));
    copy.name = text(error.name);
    const code = (error as { code?: unknown }).code;
    if (typeof code === "string" || typeof code === "number") Object.assign(copy, { code: deep(code, 0) });
    return copy;
  }

  return {
    text,
    value: <T>(value: T) => (needles.length === 0 ? value : (deep(value, 0) as T)),
    headers(headers) {
      const out: Record<string, string> = {};
      const entries = headers instanceof Headers ? headers.entries() : Object.entries(headers);
      for (const [name, value] of entries) {
        const lower = name.toLowerCase();
        out[text(lower)] = SENSITIVE_HEADERS.has(lower) ? REDACTED : text(value);
      }
      return out;
    },
    error: sanitize,
    finds,
    add,
    get active() {
      return needles.length > 0;
    },
  };
}

/** A copy of `headers` with lower-case names and the values of credential-bearing headers replaced. */
export function redactHeaders(headers: Headers | Record<string, string>): Record<string, string> {
  return createScrubber().headers(headers);
}

/** `text` with every occurrence of each secret replaced (see {@link createScrubber}). */
export function redactText(text: string, secrets: readonly (string | undefined)[]): string {
  return createScrubber(secrets).text(text);
}

/** Whether a secret appears anywhere in a value (see {@link Scrubber.finds}). */
export function containsSecret(value: unknown, secrets: readonly (string | undefined)[]): boolean {
  return createScrubber(secrets).finds(value);
}

/** A deep copy of a JSON value with the secrets removed from every string and key. */
export function redactDeep(value: unknown, secrets: readonly (string | undefined)[]): unknown {
  return createScrubber(secrets).value(value);
}
