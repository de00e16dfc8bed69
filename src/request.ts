/**
 * The one request loop every resource calls: the key, the deadline scope, the transport (openapi-fetch), retries
 * (asking src/policy.ts which outcomes may be retried), response validation and error mapping. Resources
 * (`edits`, `tasks`, `jobs`) only describe their operation; nothing else sends a request to the API.
 */
import createClient, { type Client } from "openapi-fetch";
import type { paths } from "../generated/schema.js";
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

function requestIdOf(response: Response): string | null {
  return response.headers.get("x-request-id") ?? response.headers.get("request-id");
}

/** One API operation as the request loop needs it. */
export interface Operation<T> {
  method: "GET" | "POST";
  /** The concrete path, for messages: `/v1/tasks/task-unified-...`. */
  path: string;
  schema: string;
  validate: Validator<T>;
  /** GETs; a create is not (see src/policy.ts). */
  idempotent: boolean;
  /** Checks a valid body further (a task for the id asked for); returns a problem to report, or null. */
  check?(data: T): string | null;
  call(
    api: Client<paths>,
    init: { signal: AbortSignal; headers: Record<string, string>; fetch: (request: Request) => Promise<Response> },
  ): Promise<{ data?: unknown; error?: unknown; response: Response }>;
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

/** The client's connection to the API: configuration, the openapi-fetch client, the logger, and the loop. */
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
  readonly #api: Client<paths>;

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
    this.#api = createClient<paths>({ baseUrl: this.baseUrl, fetch: this.fetch });
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

  #authHeaders(extra: Record<string, string> | undefined): Record<string, string> {
    if (!this.#apiKey) throw new MissingApiKeyError();
    const headers: Record<string, string> = { Accept: "application/json" };
    for (const [name, value] of Object.entries(extra ?? {})) {
      if (name.toLowerCase() !== "authorization") headers[name] = value;
    }
    headers.Authorization = `Bearer ${this.#apiKey}`;
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
    const headers = this.#authHeaders(opts.headers);
    const maxRetries = opts.maxRetries ?? this.maxRetries;
    const retryUnsafe = opts.retryUnsafe ?? this.retryUnsafe;
    const scope = new CallScope(opts.signal, opts.timeoutMs ?? this.timeoutMs);
    const scrubber = this.scrubber;
    const unsafeNote = op.idempotent ? "" : " (not retried: the task may have been created; see README, Retries)";
    let billed = false;
    const fail = (failure: KlingError, outcome: AttemptOutcome | null): KlingError => {
      if (!op.idempotent) {
        billed ||= outcome !== null && mayHaveBilled(outcome);
        recordCreateOutcome(failure, billed);
      }
      return failure;
    };
    try {
      for (let attempt = 0; ; attempt++) {
        if (scope.abortKind) throw fail(scope.error(what), null);
        let captured: Response | undefined;
        // openapi-fetch parses the body itself; keep the Response so a body that fails to parse can still be
        // described (status, content type). A per-request fetch, not a middleware: middleware costs every call.
        const fetchAndCapture = async (request: Request) => {
          captured = await this.fetch(request);
          return captured;
        };
        let failure: KlingError;
        let outcome: AttemptOutcome;
        let hintMs: number | null = null;
        if (this.log.enabled("debug")) {
          this.log.debug(`${what} (attempt ${attempt + 1})`, { headers: redactHeaders(headers) });
        }
        try {
          const call = op.call(this.#api, { signal: scope.signal, headers, fetch: fetchAndCapture });
          // The runtime's own fetch rejects on abort, body reads included; only a fetch of the user's may not, so
          // only that one is raced against the signal (the race costs every call a listener: issue 18's profile).
          const { data, error, response } = await (this.customFetch ? raceAbort(call, scope.signal) : call);
          const rawRequestId = requestIdOf(response);
          const requestId = rawRequestId === null ? null : scrubber.text(rawRequestId);
          if (response.ok) return { data: scrubber.value(this.#checkBody(op, data, response)), response, requestId };
          const apiError = makeAPIError({
            status: response.status,
            method: op.method,
            path: op.path,
            body: error,
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
          if (err instanceof SyntaxError && captured?.ok) {
            throw fail(
              new ContractViolationError(
                `Malformed JSON in ${captured.status} response (content-type ${captured.headers.get("content-type") ?? "none"}): ${what}${unsafeNote}`,
                { status: captured.status, cause: err, scrubber },
              ),
              { kind: "malformed" },
            );
          }
          const code = errorCode(err);
          const after = captured ? " after the response headers" : "";
          const message = err instanceof Error ? err.message : String(err);
          failure = new APIConnectionError(
            `Connection failed${code ? ` (${code})` : ""}${after}: ${what}: ${message}`,
            {
              cause: err,
              code,
              afterResponse: captured !== undefined,
              scrubber,
            },
          );
          // A failure after the response headers arrived happened after the server did the work.
          outcome = { kind: "connection", code, afterResponse: captured !== undefined };
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

  /** A 2xx body: present, JSON (openapi-fetch parsed it), and valid against the spec unless validation is off. */
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
