/**
 * The mock API's behaviour, free of any HTTP library: authentication, request rules, scenarios and faults, callbacks
 * and the admin surface, as replies (a status and a spec-shaped body, or a fault) that the Hono server and the MSW
 * handlers turn into responses. Every error body is the spec's own example for that status.
 */
import { operations } from "../../generated/operations.js";
import { checkCreateRequest, type RuleViolation } from "../rules.js";
import { type CallbackAttempt, deliverCallback, type Sleep } from "./callbacks.js";
import { type EngineOptions, MockEngine, type MockTask, type VideoGenerationRequest } from "./engine.js";
import { parseRange, sampleVideo } from "./results.js";
import { isScenarioName, LIFECYCLE_SCENARIOS, SCENARIOS, type ScenarioName, scenarioFromPrefer } from "./scenarios.js";

/** What the mock answers: JSON, a fault, or bytes of a result file. */
export type MockReply =
  | { kind: "json"; status: number; body: unknown; headers: Record<string, string> }
  /** 200 with `Content-Type: application/json` and a body that is not valid JSON. */
  | { kind: "malformed"; text: string }
  /** Drop the connection without an answer. */
  | { kind: "reset" }
  /** Never answer. */
  | { kind: "hang" }
  /** A result file (or a part of it); `truncate` cuts the body off half-way with a network error. */
  | { kind: "bytes"; status: number; body: Uint8Array | null; headers: Record<string, string>; truncate: boolean };

/** Options of the mock API (the engine's, plus how requests are judged and callbacks sent). */
export interface MockApiOptions extends EngineOptions {
  /** The server-wide scenario; a request's `Prefer: scenario=NAME` overrides it. @default "happy" */
  scenario?: ScenarioName;
  /** The only bearer token accepted; without it any non-empty token is. @default undefined (any token) */
  apiKey?: string;
  /**
   * Accept `callback_url`s on loopback hosts (127.0.0.0/8, ::1, localhost), over `http://` as well as `https://`, so
   * a receiver on the developer's machine gets callbacks. Other internal addresses stay refused. @default false
   */
  allowLoopbackCallbacks?: boolean;
  /** The fetch callbacks are sent with. @default globalThis.fetch */
  callbackFetch?: typeof fetch;
  /** The wait between callback retries (tests inject an instant one). @default a real timer */
  callbackSleep?: Sleep;
  /** Per-attempt callback timeout in ms. @default 10 000 (the spec's) */
  callbackTimeoutMs?: number;
  /** Waits before callback retries in ms. @default [1000, 2000, 4000] (the spec's) */
  callbackRetryDelaysMs?: readonly number[];
  /** Told about each callback attempt (the CLI prints them). */
  onCallbackAttempt?: (taskId: string, attempt: CallbackAttempt) => void;
}

/** A task's callback, as the admin surface reports it. */
export interface CallbackState {
  /** The receiver. */
  url: string;
  /** `waiting` until the task ends, then `sending`, then `delivered` or `failed` (retries exhausted). */
  state: "waiting" | "sending" | "delivered" | "failed";
  /** Every attempt so far. */
  attempts: CallbackAttempt[];
}

/** The inputs of an API request, read from whatever transport carried it. */
export interface MockRequestInput {
  /** The `Authorization` header. */
  authorization: string | null;
  /** The `Prefer` header. */
  prefer: string | null;
  /**
   * The origin the client reached the server at (from `Host`), for result links: right behind a port mapping or on
   * another machine's address. @default the engine's base URL
   */
  origin?: string;
}

const create = operations.createVideoGeneration.responses;
const query = operations.getTaskDetail.responses;

/** A deep copy of a spec example, so a caller cannot change the table. */
function example<T>(value: T): T {
  return structuredClone(value) as T;
}

/** Seconds from a fallback_suggestion such as "retry after 60 seconds" (the spec's wording), for `Retry-After`. */
function retryAfterOf(suggestion: string, fallback: number): string {
  return String(Number(/(\d+)\s*s/.exec(suggestion)?.[1] ?? fallback));
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): MockReply {
  return { kind: "json", status, body, headers };
}

function unauthorized(): MockReply {
  return json(401, example(create["401"].body.example), { "www-authenticate": 'Bearer realm="kling"' });
}

function rateLimited(): MockReply {
  const body = example(create["429"].body.example);
  return json(429, body, { "retry-after": retryAfterOf(body.error.fallback_suggestion, 60) });
}

function upstream(status: 502 | 503): MockReply {
  if (status === 502) return json(502, example(create["502"].body.example));
  const body = example(create["503"].body.example);
  return json(503, body, { "retry-after": retryAfterOf(body.error.fallback_suggestion, 30) });
}

function badRequest(message: string, param?: string): MockReply {
  const { type } = create["400"].body.example.error;
  return json(400, { error: { code: 400, message, type, ...(param ? { param } : {}) } });
}

function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  return (
    host === "localhost" ||
    host.endsWith(".localhost") ||
    /^127\.\d+\.\d+\.\d+$/.test(host) ||
    host === "[::1]" ||
    /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(host)
  );
}

function loopbackCallback(url: unknown): boolean {
  if (typeof url !== "string") return false;
  try {
    const parsed = new URL(url);
    return (parsed.protocol === "http:" || parsed.protocol === "https:") && isLoopbackHost(parsed.hostname);
  } catch {
    return false;
  }
}

const LOOPBACK_HINT =
  " (this mock sends callbacks to a receiver on this machine, over http:// too, only when started with --allow-loopback-callbacks)";

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * The mock API. One instance holds one engine's tasks; `close()` stops its timers and callback deliveries.
 */
export class MockApi {
  /** The lifecycle engine (shared with whoever created this API). */
  readonly engine: MockEngine;
  /** The server-wide scenario. */
  readonly scenario: ScenarioName;
  readonly #options: MockApiOptions;
  #callbacks = new Map<string, CallbackState>();
  #waiting = new Set<MockTask>();
  #inFlight = new Set<Promise<void>>();
  #abort = new AbortController();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(options: MockApiOptions = {}) {
    this.#options = options;
    this.engine = new MockEngine(options);
    this.scenario = options.scenario ?? "happy";
    if (!isScenarioName(this.scenario)) throw new RangeError(`unknown scenario "${this.scenario}"`);
  }

  /** `POST /v1/videos/generations`. */
  create(input: MockRequestInput & { bodyText: string }): MockReply {
    this.engine.createRequests += 1;
    const chosen = this.#scenarioOf(input);
    if (typeof chosen !== "string") return chosen;
    return this.#transportFault(chosen, this.#create(input, chosen));
  }

  /** `GET /v1/tasks/{task_id}`. */
  getTask(input: MockRequestInput & { taskId: string }): MockReply {
    this.sweep();
    const chosen = this.#scenarioOf(input);
    if (typeof chosen !== "string") return chosen;
    return this.#transportFault(chosen, this.#getTask(input, chosen));
  }

  #create(input: MockRequestInput & { bodyText: string }, scenario: ScenarioName): MockReply {
    const refused = this.#gate(input, scenario, "create");
    if (refused) return refused;

    let body: unknown;
    try {
      body = JSON.parse(input.bodyText);
    } catch (error) {
      return badRequest(`Request body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
    }
    const violations = this.#violations(body);
    const first = violations[0];
    if (first) {
      const more = violations.slice(1).map((v) => v.message);
      const message = more.length ? `${first.message}; ${more.join("; ")}` : first.message;
      return badRequest(message, first.param || undefined);
    }
    const request = body as VideoGenerationRequest;
    // A lifecycle scenario sticks to the task; a fault scenario loses the response, not the task, which then follows
    // the server-wide lifecycle.
    const lifecycle = [scenario, this.scenario].find((s) => LIFECYCLE_SCENARIOS.includes(s)) ?? "happy";
    const task = this.engine.create(request, lifecycle);
    if (request.callback_url) {
      this.#callbacks.set(task.id, { url: request.callback_url, state: "waiting", attempts: [] });
      this.#waiting.add(task);
      this.#schedule();
    }
    return json(200, this.engine.createdBody(task));
  }

  #getTask(input: MockRequestInput & { taskId: string }, scenario: ScenarioName): MockReply {
    const refused = this.#gate(input, scenario, "query");
    if (refused) return refused;
    if (!input.taskId.startsWith("task-unified-")) return json(400, example(query["400"].body.example));
    const task = this.engine.get(input.taskId);
    if (!task) {
      const body = example(query["404"].body.example);
      return json(404, { error: { ...body.error, message: `${body.error.message}: ${input.taskId}` } });
    }
    return json(200, this.engine.detail(task, input.origin));
  }

  /**
   * `GET`/`HEAD` of a result file (`/__mock/results/<task id>.mp4`). `Prefer: scenario=reset` cuts the body off
   * half-way and `hang` never answers, so download code can be tested against both.
   */
  result(input: { file: string; range: string | null; prefer: string | null; head: boolean }): MockReply {
    this.sweep();
    const taskId = input.file.replace(/\.mp4$/, "");
    const state = input.file.endsWith(".mp4") ? this.engine.resultState(taskId) : ({ kind: "missing" } as const);
    const scenario = scenarioFromPrefer(input.prefer);
    if (scenario === "hang") return { kind: "hang" };
    switch (state.kind) {
      case "missing":
        return json(404, { error: { code: 404, message: `No result file ${input.file}`, type: "not_found_error" } });
      case "not-ready":
        return json(404, {
          error: { code: 404, message: `Task ${taskId} is ${state.status}: no result yet`, type: "not_found_error" },
        });
      case "expired":
        return json(410, {
          error: {
            code: 410,
            message: `Result link expired at ${iso(state.expiredAt)} (links are valid for ${this.engine.resultTtlMs / 1000} s after the task completes): download results promptly`,
            type: "result_expired_error",
          },
        });
      case "ready":
        break;
    }
    const bytes = sampleVideo();
    const size = bytes.length;
    const headers: Record<string, string> = {
      "content-type": "video/mp4",
      "accept-ranges": "bytes",
      "cache-control": "private, no-store",
      "content-disposition": `inline; filename="${input.file}"`,
      expires: new Date(state.expiresAt).toUTCString(),
    };
    const range = parseRange(input.range, size);
    if (range === "unsatisfiable") {
      return {
        kind: "bytes",
        status: 416,
        body: null,
        headers: { ...headers, "content-range": `bytes */${size}` },
        truncate: false,
      };
    }
    const part = range ? bytes.subarray(range.start, range.end + 1) : bytes;
    if (range) headers["content-range"] = `bytes ${range.start}-${range.end}/${size}`;
    headers["content-length"] = String(part.length);
    return {
      kind: "bytes",
      status: range ? 206 : 200,
      body: input.head ? null : part,
      headers,
      truncate: scenario === "reset" && !input.head,
    };
  }

  /** `GET /__mock/tasks`: settings, the create request count and every task with its callback. */
  snapshot() {
    this.sweep();
    const { engine } = this;
    return {
      scenario: this.scenario,
      speed: engine.speed,
      seed: engine.seed,
      resultTtlMs: engine.resultTtlMs,
      createRequests: engine.createRequests,
      tasks: engine.tasks().map((task) => {
        const detail = engine.detail(task);
        return {
          id: task.id,
          scenario: task.scenario,
          status: detail.status,
          progress: detail.progress,
          createdAt: iso(task.createdAt),
          endsAt: iso(engine.terminalAt(task)),
          resultExpiresAt: task.failAt === null ? iso(engine.resultExpiresAt(task)) : null,
          request: task.request,
          detail,
          callback: this.#callbacks.get(task.id) ?? null,
        };
      }),
    };
  }

  /** `POST /__mock/reset`: forget every task, counter and pending callback; random sequences restart from the seed. */
  reset(): void {
    this.#abort.abort();
    this.#abort = new AbortController();
    this.#callbacks.clear();
    this.#waiting.clear();
    this.engine.reset();
    this.#schedule();
  }

  /**
   * Sends the callbacks of every task that has ended since the last sweep. Runs on a timer and on every request, so
   * a fake clock only needs a request (or a call to this) after it moves.
   */
  sweep(): void {
    const now = this.engine.clock.now();
    for (const task of this.#waiting) {
      if (this.engine.terminalAt(task) > now) continue;
      this.#waiting.delete(task);
      const state = this.#callbacks.get(task.id);
      if (state) this.#deliver(task, state);
    }
    this.#schedule();
  }

  /** Resolves when no callback delivery is in flight (for tests and a clean shutdown). */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
  }

  /** Stops the timer and every callback delivery. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#abort.abort();
    await this.idle();
  }

  #deliver(task: MockTask, state: CallbackState): void {
    state.state = "sending";
    const signal = this.#abort.signal;
    const payload = this.engine.detail(task);
    const running = deliverCallback(state.url, payload, {
      ...(this.#options.callbackFetch ? { fetch: this.#options.callbackFetch } : {}),
      ...(this.#options.callbackSleep ? { sleep: this.#options.callbackSleep } : {}),
      ...(this.#options.callbackTimeoutMs !== undefined ? { timeoutMs: this.#options.callbackTimeoutMs } : {}),
      ...(this.#options.callbackRetryDelaysMs ? { retryDelaysMs: this.#options.callbackRetryDelaysMs } : {}),
      signal,
      onAttempt: (attempt) => {
        state.attempts.push(attempt);
        this.#options.onCallbackAttempt?.(task.id, attempt);
      },
    }).then((result) => {
      state.state = result.delivered ? "delivered" : "failed";
    });
    this.#inFlight.add(running);
    void running.finally(() => this.#inFlight.delete(running));
  }

  #schedule(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#closed || this.#waiting.size === 0) return;
    let next = Number.POSITIVE_INFINITY;
    for (const task of this.#waiting) next = Math.min(next, this.engine.terminalAt(task));
    const delay = Math.min(Math.max(0, next - this.engine.clock.now()), 2 ** 31 - 1);
    this.#timer = setTimeout(() => this.sweep(), delay);
    // A pending callback must not keep a process alive that is otherwise done.
    (this.#timer as { unref?: () => void }).unref?.();
  }

  /** The request's scenario (`Prefer` over the server's), or a 400 naming the known ones. */
  #scenarioOf(input: MockRequestInput): ScenarioName | MockReply {
    const requested = scenarioFromPrefer(input.prefer);
    if (requested === undefined) return this.scenario;
    if (isScenarioName(requested)) return requested;
    return badRequest(`Unknown mock scenario "${requested}" in Prefer; use one of ${SCENARIOS.join(", ")}`, "Prefer");
  }

  /** Authentication, then the scenarios that refuse a request before it is looked at. */
  #gate(input: MockRequestInput, scenario: ScenarioName, operation: "create" | "query"): MockReply | undefined {
    const token = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(input.authorization ?? "")?.[1];
    if (!token || (this.#options.apiKey !== undefined && token !== this.#options.apiKey)) return unauthorized();
    switch (scenario) {
      case "rate-limited":
        return rateLimited();
      case "upstream-down":
        return upstream(502);
      case "quota":
        // 402 is documented for the create operation only; task queries answer normally.
        return operation === "create" ? json(402, example(create["402"].body.example)) : undefined;
      case "flaky": {
        const status = this.engine.flakyStatus();
        return status ? upstream(status) : undefined;
      }
      default:
        return undefined;
    }
  }

  /** The shared rules, with loopback callback targets let through when the server allows them. */
  #violations(body: unknown): RuleViolation[] {
    const violations = checkCreateRequest(body);
    const url = (body as { callback_url?: unknown } | null)?.callback_url;
    if (!loopbackCallback(url)) return violations;
    if (this.#options.allowLoopbackCallbacks) {
      return violations.filter(
        (v) => !(v.param === "callback_url" && (v.rule === "pattern" || v.rule === "publicHost")),
      );
    }
    return violations.map((v) => (v.param === "callback_url" ? { ...v, message: v.message + LOOPBACK_HINT } : v));
  }

  /**
   * The faults of the connection, whatever the answer would have been (the work behind it, such as creating a task,
   * is done): `reset` and `hang` lose the answer; `malformed` breaks a 200's body.
   */
  #transportFault(scenario: ScenarioName, reply: MockReply): MockReply {
    if (scenario === "reset" || scenario === "hang") return { kind: scenario };
    if (scenario === "malformed" && reply.kind === "json" && reply.status === 200) {
      const text = JSON.stringify(reply.body);
      return { kind: "malformed", text: text.slice(0, Math.max(1, Math.floor(text.length / 2))) };
    }
    return reply;
  }
}
