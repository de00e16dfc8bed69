/**
 * The one request loop every resource calls: the key, the deadline scope, the transport, retries (asking
 * src/policy.ts which outcomes may be retried), response validation and error mapping. Resources (`edits`, `tasks`,
 * `jobs`) only describe their operation (method and path from the generated route table, the body, the generated
 * validator); nothing else sends a request to the API.
 *
 * The transport is `fetch(url, init)`, the way openapi-fetch would send it (same URL, headers, JSON body, body parsing)
 * minus the `Request` it builds and Node's fetch then copies, and minus its per-call option merging: issue 18's
 * profile put that copy and the signal it drags along among the per-call costs. A `fetch` of the user's still gets a
 * `Request`, as it always did.
 */
import { SPEC_SERVER_URL } from "../generated/spec-meta.js";
import type { Validator } from "../generated/validators/runtime.js";
import { DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT_MS } from "./defaults.js";
import {
  APIConnectionError,
  APITimeoutError,
  ContractViolationError,
  KlingError,
  MissingApiKeyError,
  makeAPIError,
  RequestValidationError,
} from "./errors.js";
import { formatIssues } from "./internal/issues.js";
import { createScrubber, REDACTED, redactHeaders, type Scrubber } from "./internal/redact.js";
import { CallScope, sleep } from "./internal/scope.js";
import { type LeveledLogger, leveledLogger } from "./logger.js";
import { type AttemptOutcome, mayHaveBilled, recordCreateOutcome } from "./policy.js";
import { planRetry } from "./retry.js";
import type { RuleViolation } from "./rules.js";
import type { ClientOptions, RequestOptions, WithResponse } from "./types.js";

/** Reads an environment variable where one exists (Node, Bun, Deno with permission); never throws. */
function readEnv(name: string): string | undefined {
  try {
    const value = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[name];
    return value ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The system error code (`ECONNREFUSED`, ...) anywhere in an error's cause chain, AggregateErrors included. */
function errorCode(err: unknown, depth = 0): string | undefined {
  if (typeof err !== "object" || err === null || depth > 5) return undefined;
  const { code, cause, errors } = err as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === "string") return code;
  if (Array.isArray(errors) && errors.length > 0) return errorCode(errors[0], depth + 1);
  return errorCode(cause, depth + 1);
}

/**
 * Settles with `work`, or rejects as soon as `signal` aborts: a custom fetch whose body stream ignores the signal
 * must not be able to outlive the deadline. The abandoned promise's rejection is handled here.
 */
function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    work.catch(() => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

function requestIdOf(headers: Headers): string | null {
  return headers.get("x-request-id") ?? headers.get("request-id");
}

/**
 * An error body as openapi-fetch gave it: the parsed JSON, else the text itself; none when empty (openapi-fetch did
 * not read a `Content-Length: 0` body; an empty one read is the same answer, without a header lookup per call).
 */
function errorBody(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** One API operation as the request loop needs it. */
export interface Operation<T> {
  method: "GET" | "POST";
  /**
   * The concrete path, parameters filled in and percent-encoded: `/v1/tasks/task-unified-...` (sent after the base
   * URL, and named in messages).
   */
  path: string;
  /** The JSON body, if any (sent as `application/json`). */
  body?: unknown;
  schema: string;
  validate: Validator<T>;
  /** GETs; a create is not (see src/policy.ts). */
  idempotent: boolean;
  /** Checks a valid body further (a task for the id asked for); returns a problem to report, or null. */
  check?(data: T): string | null;
}

/** Checks an option is a finite number within bounds; throws a `RequestValidationError` naming it otherwise. */
export function checkNumberOption(name: string, value: unknown, min: number, allowInfinity = false): void {
  if (value === undefined) return;
  const ok =
    typeof value === "number" && !Number.isNaN(value) && value >= min && (allowInfinity || Number.isFinite(value));
  if (ok) return;
  const violation: RuleViolation = {
    field: name,
    param: name,
    rule: "range",
    message: `${name} must be a number ${min === 0 ? "of 0 or more" : `of at least ${min}`}${allowInfinity ? " (or Infinity)" : ""} (got ${String(value)})`,
  };
  throw new RequestValidationError([violation], `Invalid option (nothing was sent): ${violation.message}`);
}

/** The client's connection to the API: configuration, the headers, the logger, and the loop. */
export class Transport {
  readonly baseUrl: string;
  readonly timeoutMs: number;
  readonly maxRetries: number;
  readonly validateResponses: boolean | "warn";
  readonly retryUnsafe: boolean;
  readonly log: LeveledLogger;
  /** Removes the key from everything that comes back (a server may echo it): answers, errors, log lines. */
  readonly scrubber: Scrubber;
  /** The fetch every request uses, resolved per request (test tools may replace globalThis.fetch later). */
  readonly fetch: typeof fetch;
  /** The `fetch` the user gave, if any (downloads to a file use Node's faster transport otherwise). */
  readonly customFetch: typeof fetch | undefined;
  readonly #apiKey: string | undefined;
  /** The headers of a call without extra headers, built once: [without a body, with a JSON body]. */
  readonly #plainHeaders: readonly [Record<string, string>, Record<string, string>] | undefined;

  constructor(options: ClientOptions) {
    checkNumberOption("timeoutMs", options.timeoutMs, 1, true);
    checkNumberOption("maxRetries", options.maxRetries, 0);
    this.#apiKey = options.apiKey ?? readEnv("KLING_API_KEY");
    this.baseUrl = (options.baseUrl ?? readEnv("KLING_BASE_URL") ?? SPEC_SERVER_URL).replace(/\/+$/, "");
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
    this.validateResponses = options.validateResponses ?? true;
    this.retryUnsafe = options.retryUnsafe ?? false;
    const custom = options.fetch;
    this.customFetch = custom;
    this.fetch = (input, init) => (custom ?? globalThis.fetch)(input, init);
    this.#plainHeaders = this.#apiKey
      ? [Object.freeze(this.#headersFor(undefined, false)), Object.freeze(this.#headersFor(undefined, true))]
      : undefined;
    this.scrubber = createScrubber([this.#apiKey]);
    this.log = leveledLogger(options.logger, options.logLevel, this.scrubber);
  }

  /** The secrets to keep out of every message. */
  get secrets(): readonly (string | undefined)[] {
    return [this.#apiKey];
  }

  /** Whether a key is configured (never the key itself). */
  get hasKey(): boolean {
    return Boolean(this.#apiKey);
  }

  /** A description without secrets. */
  describe(): Record<string, unknown> {
    return {
      baseUrl: this.baseUrl,
      apiKey: this.#apiKey ? REDACTED : undefined,
      timeoutMs: this.timeoutMs,
      maxRetries: this.maxRetries,
      validateResponses: this.validateResponses,
      retryUnsafe: this.retryUnsafe,
    };
  }

  /**
   * A request's headers, names in lower case so a caller's `accept` or `content-type` replaces ours instead of being
   * appended to it; the caller cannot set `authorization`.
   */
  #headersFor(extra: Record<string, string> | undefined, json: boolean): Record<string, string> {
    if (!this.#apiKey) throw new MissingApiKeyError();
    const headers: Record<string, string> = json ? { "content-type": "application/json" } : {};
    headers.accept = "application/json";
    if (extra) {
      for (const name of Object.keys(extra)) {
        const lower = name.toLowerCase();
        if (lower !== "authorization") headers[lower] = extra[name] as string;
      }
    }
    headers.authorization = `Bearer ${this.#apiKey}`;
    return headers;
  }

  /**
   * One call: attempts, retries and sleeps inside one deadline, ending in data or a typed error. For a create, the
   * thrown error is recorded with whether any attempt may have billed a task (see `createMayHaveBilled`).
   */
  async request<T>(op: Operation<T>, opts: RequestOptions): Promise<WithResponse<T>> {
    const what = `${op.method} ${op.path}`;
    checkNumberOption("timeoutMs", opts.timeoutMs, 0, true);
    checkNumberOption("maxRetries", opts.maxRetries, 0);
    const json = op.body !== undefined;
    const headers =
      (opts.headers === undefined ? this.#plainHeaders?.[json ? 1 : 0] : undefined) ??
      this.#headersFor(opts.headers, json);
    const init: RequestInit = { method: op.method, headers, body: json ? JSON.stringify(op.body) : null };
    const url = this.baseUrl + op.path;
    const maxRetries = opts.maxRetries ?? this.maxRetries;
    const retryUnsafe = opts.retryUnsafe ?? this.retryUnsafe;
    const scope = new CallScope(opts.signal, opts.timeoutMs ?? this.timeoutMs);
    init.signal = scope.signal;
    const scrubber = this.scrubber;
    const custom = this.customFetch;
    const unsafeNote = op.idempotent ? "" : " (not retried: the task may have been created; see README, Retries)";
    let billed = false;
    /** Every attempt's request id, in order: on the answer, or on the error that ends the call. */
    const requestIds: string[] = [];
    const fail = (failure: KlingError, outcome: AttemptOutcome | null): KlingError => {
      if (requestIds.length > 0) failure.requestIds = [...requestIds];
      if (!op.idempotent) {
        billed ||= outcome !== null && mayHaveBilled(outcome);
        recordCreateOutcome(failure, billed);
      }
      return failure;
    };
    try {
      for (let attempt = 0; ; attempt++) {
        if (scope.abortKind) throw fail(scope.error(what), null);
        // Kept once the headers arrive, so a body that fails to arrive or parse can still be described.
        let response: Response | undefined;
        let failure: KlingError;
        let outcome: AttemptOutcome;
        let hintMs: number | null = null;
        if (this.log.enabled("debug")) {
          this.log.debug(`${what} (attempt ${attempt + 1})`, { headers: redactHeaders(headers) });
        }
        try {
          let text: string;
          if (custom === undefined) {
            // The runtime's own fetch rejects on abort, body reads included; resolved per request (test tools may
            // replace globalThis.fetch after the client was made).
            response = await globalThis.fetch(url, init);
            text = await response.text();
          } else {
            // A fetch of the user's may ignore the signal, in its answer or its body stream: race both against it so
            // it cannot outlive the deadline (the race costs a listener, so only here: issue 18's profile).
            response = await raceAbort(custom(new Request(url, init)), scope.signal);
            text = await raceAbort(response.text(), scope.signal);
          }
          const rawRequestId = requestIdOf(response.headers);
          const requestId = rawRequestId === null ? null : scrubber.text(rawRequestId);
          if (requestId !== null) requestIds.push(requestId);
          if (response.ok) {
            // openapi-fetch's parse: an empty 2xx body (a 204, Content-Length: 0) is no data; a malformed one throws
            // SyntaxError (caught below).
            const data: unknown = text ? JSON.parse(text) : undefined;
            return {
              data: this.#scrubbed(this.#checkBody(op, data, response), text),
              response,
              requestId,
              requestIds,
            };
          }
          const apiError = makeAPIError({
            status: response.status,
            method: op.method,
            path: op.path,
            body: errorBody(text),
            headers: response.headers,
            requestId,
            scrubber,
            retryAfterHeader: response.headers.get("retry-after"),
          });
          hintMs = apiError.retryAfterMs;
          failure = apiError;
          outcome = { kind: "status", status: response.status, errorType: apiError.type };
        } catch (err) {
          if (err instanceof ContractViolationError)
            throw fail(err, { kind: err.issues.length ? "invalid" : "malformed" });
          if (err instanceof KlingError) throw fail(err, null);
          if (scope.abortKind) {
            const aborted =
              scope.abortKind === "timeout"
                ? new APITimeoutError(`Timed out after ${scope.timeoutMs} ms: ${what}${unsafeNote}`, {
                    cause: err,
                    scrubber,
                  })
                : scope.error(what, err);
            throw fail(aborted, { kind: scope.abortKind === "timeout" ? "timeout" : "aborted" });
          }
          if (err instanceof SyntaxError && response?.ok) {
            throw fail(
              new ContractViolationError(
                `Malformed JSON in ${response.status} response (content-type ${response.headers.get("content-type") ?? "none"}): ${what}${unsafeNote}`,
                { status: response.status, cause: err, scrubber },
              ),
              { kind: "malformed" },
            );
          }
          const code = errorCode(err);
          const after = response ? " after the response headers" : "";
          const message = err instanceof Error ? err.message : String(err);
          failure = new APIConnectionError(
            `Connection failed${code ? ` (${code})` : ""}${after}: ${what}: ${message}`,
            {
              cause: err,
              code,
              afterResponse: response !== undefined,
              scrubber,
            },
          );
          // A failure after the response headers arrived happened after the server did the work.
          outcome = { kind: "connection", code, afterResponse: response !== undefined };
        }
        const plan = planRetry({
          outcome,
          idempotent: op.idempotent,
          retryUnsafe,
          retriesSoFar: attempt,
          maxRetries,
          hintMs,
          remainingMs: scope.remaining(),
        });
        if (!plan.retry) {
          this.log.debug(`${what}: not retrying (${plan.reason})`);
          if (!op.idempotent && mayHaveBilled(outcome)) failure.message += unsafeNote;
          throw fail(failure, outcome);
        }
        if (!op.idempotent) billed ||= mayHaveBilled(outcome);
        this.log.info(`${what} failed (${failure.message}); retry ${attempt + 1}/${maxRetries} in ${plan.delayMs} ms`);
        try {
          await sleep(plan.delayMs, scope.signal);
        } catch {
          throw fail(scope.error(what, failure), null);
        }
      }
    } finally {
      scope.dispose();
    }
  }

  /**
   * A checked 2xx answer with the key removed (a server may echo it). Scrubbing walks the whole body, so it is skipped
   * where the raw text proves it unnecessary: without a backslash every parsed string is a piece of the text as sent,
   * so a text without any form of the key yields no string with one.
   */
  #scrubbed<T>(data: T, text: string): T {
    const scrubber = this.scrubber;
    if (!scrubber.active) return data;
    // text() returns its argument itself when it holds no form of the key: a check without allocation.
    if (!text.includes("\\") && scrubber.text(text) === text) return data;
    return scrubber.value(data);
  }

  /** A 2xx body: present, JSON (parsed by the loop), and valid against the spec unless validation is off. */
  #checkBody<T>(op: Operation<T>, data: unknown, response: Response): T {
    const what = `${op.method} ${op.path}`;
    if (data === undefined) {
      throw new ContractViolationError(`Empty body in ${response.status} response: ${what}`, {
        status: response.status,
        schema: op.schema,
        scrubber: this.scrubber,
      });
    }
    if (this.validateResponses === false || op.validate(data)) {
      const problem = this.validateResponses === false ? null : (op.check?.(data as T) ?? null);
      if (problem === null) return data as T;
      throw new ContractViolationError(`Response breaks the contract (${problem}): ${what}`, {
        schema: op.schema,
        issues: [{ instancePath: "/id", schemaPath: "", keyword: "const", params: {}, message: problem }],
        status: response.status,
        scrubber: this.scrubber,
      });
    }
    const issues = op.validate.errors ?? [];
    // A 2xx to a create means a billed task exists: say so, with its id if the body has one, or the caller resubmits.
    const id = (data as { id?: unknown } | null)?.id;
    const createdNote = op.idempotent
      ? ""
      : ` (the task was created${typeof id === "string" ? `: id ${id}` : ""}; poll it with tasks.get rather than resubmitting)`;
    const message = `Response breaks the spec (${op.schema}: ${formatIssues(op.validate.errors)}): ${what}${createdNote}`;
    if (this.validateResponses === "warn") {
      this.log.warn(message, { issues });
      return data as T;
    }
    throw new ContractViolationError(message, {
      schema: op.schema,
      issues,
      status: response.status,
      scrubber: this.scrubber,
    });
  }
}
