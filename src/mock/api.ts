/**
 * The mock API's behaviour, free of any HTTP library: authentication, request rules, scenarios and faults, replayed
 * recordings, and the controls a developer drives it with (task transitions, the clock, the scenario), as replies
 * (a status and a spec-shaped body, or a fault) that the Hono server and the MSW handlers turn into responses. Every
 * error body of the API is the spec's own example for that status. Result files live in results.ts, callback
 * delivery in callbacks.ts, the task lifecycle in engine.ts.
 */
import { operations } from "../../generated/operations.js";
import { TASK_ID_PREFIX } from "../../generated/spec-facts.js";
import { checkCreateRequest, type RuleViolation } from "../rules.js";
import { type CallbackAttempt, CallbackScheduler, isLoopbackHost, type Sleep } from "./callbacks.js";
import type { ClockState } from "./clock.js";
import {
  type EngineOptions,
  MockEngine,
  type MockTask,
  type TaskFailure,
  TransitionError,
  type VideoGenerationRequest,
} from "./engine.js";
import { type Recording, Replayer, recordedReply } from "./replay.js";
import { errorReply, json, type MockReply } from "./reply.js";
import { type ResultRequest, resultReply } from "./results.js";
import { isScenarioName, LIFECYCLE_SCENARIOS, SCENARIOS, type ScenarioName, scenarioFromPrefer } from "./scenarios.js";

export type { CallbackState } from "./callbacks.js";
export type { MockReply } from "./reply.js";

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
  /** The fetch callbacks are sent with. @default globalThis.fetch (the server passes one that checks addresses) */
  callbackFetch?: typeof fetch;
  /** The wait between callback retries (tests inject an instant one). @default a real timer */
  callbackSleep?: Sleep;
  /** Per-attempt callback timeout in ms. @default {@link CALLBACK_TIMEOUT_MS} (the spec's 10 s) */
  callbackTimeoutMs?: number;
  /** Waits before callback retries in ms. @default [1000, 2000, 4000] (the spec's) */
  callbackRetryDelaysMs?: readonly number[];
  /** Told about each callback attempt (the CLI prints them). */
  onCallbackAttempt?: (taskId: string, attempt: CallbackAttempt) => void;
  /** Recorded exchanges that answer matching requests first (see {@link Replayer}). @default none */
  replay?: readonly Recording[];
}

/** One line of the request log the control page shows: what was asked, what answered, and from where. */
export interface LoggedRequest {
  /** The mock clock's time (ISO 8601). */
  at: string;
  method: string;
  /** Path and query. */
  path: string;
  /** The answer's status; null for a fault with no answer (`reset`, `hang`). */
  status: number | null;
  /** `replay` when a recording answered (then `file` names it), `simulation` otherwise. */
  source: "replay" | "simulation";
  /** The recording's file name. */
  file?: string;
  /** The fault, when there was one. */
  fault?: "reset" | "hang" | "malformed";
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
  /** The query string (`?a=b`, or `""`), for matching recordings. @default "" */
  search?: string;
}

/** What a control answers: the task it changed (as `GET /__mock/tasks` lists it) or the clock's new state. */
export type TaskView = ReturnType<MockApi["snapshot"]>["tasks"][number];

/** The controls a developer drives the mock with: the same on the API, the MSW handlers' object and the page. */
export interface MockControls {
  /** Ends a running task now as `completed` (its callback is sent as for a real end). */
  complete(id: string): TaskView;
  /** Ends a running task now as `failed`, with a business `code` and `message` (the spec's example by default). */
  fail(id: string, error?: Partial<TaskFailure>): TaskView;
  /** Makes a completed task's result link expire now (its download answers 410). */
  expire(id: string): TaskView;
  /** Moves a running task to `processing` at `progress` (1 to 99); progress never goes back. */
  setProgress(id: string, progress: number): TaskView;
  /** Stops the mock's clock: tasks and result links stand still. */
  pause(): ClockState;
  /** Lets the clock run again. */
  resume(): ClockState;
  /** Moves the clock forward by `ms` (tasks end, links expire, callbacks go out as if that time had passed). */
  advance(ms: number): ClockState;
  /** Changes the speed (simulated seconds per real second) of every task, running or not. */
  setSpeed(speed: number): ClockState;
  /** Changes the server-wide scenario for the requests that follow. */
  setScenario(name: ScenarioName): ScenarioName;
}

const create = operations.createVideoGeneration.responses;
const query = operations.getTaskDetail.responses;
/** How many requests the log keeps (the page shows them). */
const LOG_SIZE = 200;

/** A deep copy of a spec example, so a caller cannot change the table. */
function example<T>(value: T): T {
  return structuredClone(value) as T;
}

/** Seconds from a fallback_suggestion such as "retry after 60 seconds" (the spec's wording), for `Retry-After`. */
function retryAfterOf(suggestion: string, fallback: number): string {
  return String(Number(/(\d+)\s*s/.exec(suggestion)?.[1] ?? fallback));
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
  return errorReply(400, create["400"].body.example.error.type, message, param);
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
export class MockApi implements MockControls {
  /** The lifecycle engine (shared with whoever created this API). */
  readonly engine: MockEngine;
  /** The replayed recordings, when there are any. */
  readonly replayer: Replayer | undefined;
  readonly #options: MockApiOptions;
  readonly #callbacks: CallbackScheduler<MockTask>;
  #scenario: ScenarioName;
  #log: LoggedRequest[] = [];

  constructor(options: MockApiOptions = {}) {
    this.#options = options;
    this.engine = new MockEngine(options);
    this.#scenario = options.scenario ?? "happy";
    if (!isScenarioName(this.#scenario)) throw new RangeError(`unknown scenario "${this.#scenario}"`);
    this.replayer = options.replay?.length ? new Replayer(options.replay) : undefined;
    const { engine } = this;
    this.#callbacks = new CallbackScheduler<MockTask>(
      {
        id: (task) => task.id,
        endsAt: (task) => engine.terminalAt(task),
        payload: (task) => engine.detail(task),
        now: () => engine.clock.now(),
        delayUntil: (at) => engine.clock.delayUntil(at),
      },
      {
        ...(options.callbackFetch ? { fetch: options.callbackFetch } : {}),
        ...(options.callbackSleep ? { sleep: options.callbackSleep } : {}),
        ...(options.callbackTimeoutMs !== undefined ? { timeoutMs: options.callbackTimeoutMs } : {}),
        ...(options.callbackRetryDelaysMs ? { retryDelaysMs: options.callbackRetryDelaysMs } : {}),
        ...(options.onCallbackAttempt ? { onAttempt: options.onCallbackAttempt } : {}),
      },
    );
  }

  /** The server-wide scenario. */
  get scenario(): ScenarioName {
    return this.#scenario;
  }

  /** `POST /v1/videos/generations`. */
  create(input: MockRequestInput & { bodyText: string }): MockReply {
    this.engine.createRequests += 1;
    const path = `${operations.createVideoGeneration.path}${input.search ?? ""}`;
    const replayed = this.#replay(input, "POST", path, input.bodyText);
    if (replayed) return replayed;
    const chosen = this.#scenarioOf(input);
    const reply = typeof chosen === "string" ? this.#transportFault(chosen, this.#create(input, chosen)) : chosen;
    return this.#logged("POST", path, reply);
  }

  /** `GET /v1/tasks/{task_id}`. */
  getTask(input: MockRequestInput & { taskId: string }): MockReply {
    this.sweep();
    const path = `${operations.getTaskDetail.path.replace("{task_id}", encodeURIComponent(input.taskId))}${input.search ?? ""}`;
    const replayed = this.#replay(input, "GET", path, "");
    if (replayed) return replayed;
    const chosen = this.#scenarioOf(input);
    const reply = typeof chosen === "string" ? this.#transportFault(chosen, this.#getTask(input, chosen)) : chosen;
    return this.#logged("GET", path, reply);
  }

  /**
   * `GET`/`HEAD` of a result file (`/__mock/results/<task id>.mp4`). `Prefer: scenario=reset` cuts the body off
   * half-way and `hang` never answers, so download code can be tested against both.
   */
  result(input: ResultRequest): MockReply {
    this.sweep();
    return resultReply(this.engine, input);
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
    const lifecycle = [scenario, this.#scenario].find((s) => LIFECYCLE_SCENARIOS.includes(s)) ?? "happy";
    const task = this.engine.create(request, lifecycle);
    if (request.callback_url) this.#callbacks.watch(task, request.callback_url);
    return json(200, this.engine.createdBody(task));
  }

  #getTask(input: MockRequestInput & { taskId: string }, scenario: ScenarioName): MockReply {
    const refused = this.#gate(input, scenario, "query");
    if (refused) return refused;
    if (!input.taskId.startsWith(TASK_ID_PREFIX)) return json(400, example(query["400"].body.example));
    const task = this.engine.get(input.taskId);
    if (!task) {
      const body = example(query["404"].body.example);
      return json(404, { error: { ...body.error, message: `${body.error.message}: ${input.taskId}` } });
    }
    return json(200, this.engine.detail(task, input.origin));
  }

  /** `GET /__mock/tasks`: settings, the clock, the create request count, every task with its callback, the log. */
  snapshot() {
    this.sweep();
    const { engine } = this;
    const now = engine.clock.now();
    return {
      scenario: this.#scenario,
      scenarios: SCENARIOS,
      speed: engine.speed,
      seed: engine.seed,
      resultTtlMs: engine.resultTtlMs,
      clock: { now: iso(now), paused: engine.clock.paused, speed: engine.speed },
      createRequests: engine.createRequests,
      replay: this.replayer ? { recordings: this.replayer.size, used: this.replayer.used } : null,
      tasks: engine.tasks().map((task) => this.#view(task, now)),
      requests: this.#log.slice(-LOG_SIZE),
    };
  }

  /**
   * `POST /__mock/reset`: forget every task, counter, pending callback and logged request; random sequences and
   * replayed recordings restart; the clock runs again at the starting speed.
   */
  reset(): void {
    this.#callbacks.reset();
    this.engine.reset();
    this.replayer?.reset();
    this.#log = [];
    this.#scenario = this.#options.scenario ?? "happy";
  }

  complete(id: string): TaskView {
    return this.#changed(this.engine.complete(id));
  }

  fail(id: string, error: Partial<TaskFailure> = {}): TaskView {
    return this.#changed(this.engine.fail(id, error));
  }

  expire(id: string): TaskView {
    return this.#changed(this.engine.expire(id));
  }

  setProgress(id: string, progress: number): TaskView {
    return this.#changed(this.engine.setProgress(id, progress));
  }

  pause(): ClockState {
    this.engine.clock.pause();
    return this.#clockChanged();
  }

  resume(): ClockState {
    this.engine.clock.resume();
    return this.#clockChanged();
  }

  advance(ms: number): ClockState {
    if (!(ms >= 0) || !Number.isFinite(ms)) throw new TransitionError(`advance takes a duration >= 0 (got ${ms})`, 400);
    this.engine.clock.advance(ms);
    return this.#clockChanged();
  }

  setSpeed(speed: number): ClockState {
    this.engine.setSpeed(speed);
    return this.#clockChanged();
  }

  setScenario(name: ScenarioName): ScenarioName {
    if (!isScenarioName(name))
      throw new TransitionError(`unknown scenario "${name}"; use one of ${SCENARIOS.join(", ")}`, 400);
    this.#scenario = name;
    return name;
  }

  /**
   * Sends the callbacks of every task that has ended since the last sweep. Runs on a timer, on every request and
   * after every control, so a fake clock only needs a request (or a call to this) after it moves.
   */
  sweep(): void {
    this.#callbacks.sweep();
  }

  /** Resolves when no callback delivery is in flight (for tests and a clean shutdown). */
  idle(): Promise<void> {
    return this.#callbacks.idle();
  }

  /** Stops the timer and every callback delivery. */
  close(): Promise<void> {
    return this.#callbacks.close();
  }

  #view(task: MockTask, now = this.engine.clock.now()) {
    const { engine } = this;
    const detail = engine.detail(task);
    const expiresAt = detail.status === "completed" ? engine.resultExpiresAt(task) : null;
    return {
      id: task.id,
      scenario: task.scenario,
      status: detail.status,
      progress: detail.progress,
      createdAt: iso(task.createdAt),
      endsAt: iso(engine.terminalAt(task)),
      resultExpiresAt:
        task.failAt === null && task.ended?.status !== "failed" ? iso(engine.resultExpiresAt(task)) : null,
      /** Mock-clock ms the result link has left (0 once expired); null without a result. */
      resultExpiresInMs: expiresAt === null ? null : Math.max(0, expiresAt - now),
      request: task.request,
      detail,
      callback: this.#callbacks.get(task.id) ?? null,
    };
  }

  #changed(task: MockTask): TaskView {
    this.sweep();
    return this.#view(task);
  }

  #clockChanged(): ClockState {
    this.sweep();
    return this.engine.clock.state();
  }

  #replay(input: MockRequestInput, method: string, path: string, bodyText: string): MockReply | undefined {
    const recording = this.replayer?.take({ method, path, bodyText, authorized: input.authorization !== null });
    if (!recording) return undefined;
    const reply = recordedReply(recording);
    this.#log.push({
      at: iso(this.engine.clock.now()),
      method,
      path,
      status: recording.response.status,
      source: "replay",
      file: recording.file,
    });
    this.#trimLog();
    return reply;
  }

  #logged(method: string, path: string, reply: MockReply): MockReply {
    const entry: LoggedRequest = { at: iso(this.engine.clock.now()), method, path, status: null, source: "simulation" };
    if (reply.kind === "json" || reply.kind === "raw" || reply.kind === "bytes") entry.status = reply.status;
    else if (reply.kind === "malformed") Object.assign(entry, { status: 200, fault: "malformed" });
    else entry.fault = reply.kind;
    this.#log.push(entry);
    this.#trimLog();
    return reply;
  }

  #trimLog(): void {
    // Trimmed in batches, so a busy mock does not shift the whole log on every request.
    if (this.#log.length >= 2 * LOG_SIZE) this.#log.splice(0, this.#log.length - LOG_SIZE);
  }

  /** The request's scenario (`Prefer` over the server's), or a 400 naming the known ones. */
  #scenarioOf(input: MockRequestInput): ScenarioName | MockReply {
    const requested = scenarioFromPrefer(input.prefer);
    if (requested === undefined) return this.#scenario;
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
      case "unavailable":
        return upstream(503);
      case "server-error":
        return json(500, example((operation === "create" ? create : query)["500"].body.example));
      // 402, 403 and the model's 404 are documented for the create operation only; task queries answer normally.
      case "quota":
        return operation === "create" ? json(402, example(create["402"].body.example)) : undefined;
      case "forbidden":
        return operation === "create" ? json(403, example(create["403"].body.example)) : undefined;
      case "model-not-found":
        return operation === "create" ? json(404, example(create["404"].body.example)) : undefined;
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
