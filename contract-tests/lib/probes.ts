/**
 * Probes: the suite's requests, each a small scenario (reach a documented status, send a broken body, follow a task
 * to its end, receive a callback) that returns the exchanges it made and every violation the checks found. The same
 * probes run against every target and against the drift corpus, so what the corpus proves about them holds for the
 * real targets.
 */
import { type BadRequestCase, brokenParam, brokenRules, exampleCreateBody } from "./bad-requests.js";
import { checkCallbackDelivery } from "./callbacks.js";
import { checkExchange, expectStatus } from "./checks.js";
import { fetchHead, type SendOptions, send, type Target, TransportError } from "./http.js";
import { checkLifecycle, checkResultDownload, isTerminal, taskOf } from "./lifecycle.js";
import type { CallbackSink } from "./sink.js";
import { type Exchange, operationTable, type Violation } from "./types.js";

/** What one probe did and found. */
export interface ProbeResult {
  /** The probe's name (the test's name). */
  name: string;
  exchanges: Exchange[];
  violations: Violation[];
  /** Facts worth a line in the report that are not violations (a status the target cannot produce, a skip). */
  notes: string[];
}

/** A bearer token no target accepts. */
export const INVALID_TOKEN = "contract-test-invalid-token";
/** A well-formed task id no target knows. */
export const UNKNOWN_TASK_ID = "task-unified-1000000000-contract0";
/** A task id of the wrong format (the spec's 400 example: "must start with 'task-unified-'"). */
export const MALFORMED_TASK_ID = "not-a-task-id";

const CREATE = "createVideoGeneration";
const QUERY = "getTaskDetail";
const CALLBACK = Object.values(operationTable[CREATE]?.callbacks ?? {})[0]?.operationId ?? "videoTaskCallback";

/** Collects one probe's exchanges and violations. */
export class Probe {
  readonly result: ProbeResult;
  constructor(
    readonly target: Target,
    name: string,
  ) {
    this.result = { name, exchanges: [], violations: [], notes: [] };
  }

  /** Sends and checks one request; `undefined` (with a `transport` violation) when no response arrived. */
  async send(operationId: string, options: SendOptions = {}): Promise<Exchange | undefined> {
    try {
      const exchange = await send(this.target, operationId, options);
      this.result.exchanges.push(exchange);
      this.result.violations.push(...checkExchange(exchange));
      return exchange;
    } catch (error) {
      if (!(error instanceof TransportError)) throw error;
      this.violate({ operation: operationId, status: null, pointer: "", rule: "transport", message: error.message });
      return undefined;
    }
  }

  /** Adds violations. */
  violate(...violations: Violation[]): void {
    this.result.violations.push(...violations);
  }

  /** Adds a note. */
  note(text: string): void {
    this.result.notes.push(text);
  }
}

/** Sleeps, so polling can be paced (tests inject a no-op). */
export type Sleep = (ms: number) => Promise<void>;
/** Real sleep. */
export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A task id the spec's own examples use (the create response example's `id`). */
export function exampleTaskId(): string {
  const example = operationTable[CREATE]?.responses["200"]?.body?.example as { id?: unknown } | undefined;
  return typeof example?.id === "string" ? example.id : UNKNOWN_TASK_ID;
}

function requestFor(operationId: string): Pick<SendOptions, "params" | "body"> {
  return operationId === CREATE ? { body: exampleCreateBody() } : { params: { task_id: exampleTaskId() } };
}

/**
 * Asks a Prism-like target for a documented status with `Prefer: code=STATUS` (and `example=KEY`), and checks the
 * answer has that status and conforms.
 */
export async function probePreferredStatus(
  target: Target,
  operationId: string,
  status: number,
  exampleKey?: string,
): Promise<ProbeResult> {
  const probe = new Probe(target, `${operationId} ${status}${exampleKey ? ` (${exampleKey})` : ""}`);
  const prefer = `code=${status}${exampleKey ? `, example=${exampleKey}` : ""}`;
  const exchange = await probe.send(operationId, { ...requestFor(operationId), headers: { prefer } });
  if (exchange) probe.violate(...expectStatus(exchange, [status], `Prefer: ${prefer}`));
  return probe.result;
}

/** No token, or a token the target does not accept: every operation must answer 401 with the error body. */
export async function probeAuth(
  target: Target,
  operationId: string,
  kind: "missing" | "invalid",
): Promise<ProbeResult> {
  const probe = new Probe(target, `${operationId} with ${kind === "missing" ? "no" : "an invalid"} token`);
  const auth = kind === "missing" ? "none" : { bearer: INVALID_TOKEN };
  const exchange = await probe.send(operationId, { ...requestFor(operationId), auth });
  if (exchange) probe.violate(...expectStatus(exchange, [401], `${kind} token`));
  return probe.result;
}

/** Options of {@link probeBadRequest}. */
export interface BadRequestOptions {
  /** Also require `error.param` to name the broken field (the mock's promise; the spec does not require it). */
  expectParam?: boolean;
}

/** Sends one broken create body; the answer must be the documented 400. */
export async function probeBadRequest(
  target: Target,
  testCase: BadRequestCase,
  options: BadRequestOptions = {},
): Promise<ProbeResult> {
  const probe = new Probe(target, `create rejects: ${testCase.name}`);
  if (!brokenRules(testCase).includes(testCase.rule)) {
    throw new Error(`bad-request case "${testCase.name}" no longer breaks ${testCase.rule}: fix the case`);
  }
  const exchange = await probe.send(CREATE, { body: testCase.body });
  if (!exchange) return probe.result;
  probe.violate(...expectStatus(exchange, [400], `a body breaking ${testCase.rule}`));
  const body = exchange.response.body as { error?: { param?: unknown } } | undefined;
  const want = brokenParam(testCase);
  if (options.expectParam && exchange.response.status === 400 && want && body?.error?.param !== want) {
    probe.violate({
      operation: CREATE,
      status: 400,
      pointer: "/body/error/param",
      rule: "error-param",
      message: `is ${JSON.stringify(body?.error?.param)}, the broken field is ${want}`,
    });
  }
  return probe.result;
}

/**
 * Sends `count` requests of one operation and requires each status to be among `allowed` (a mock scenario's
 * documented answer: 429 for rate-limited, 502 for upstream-down, ...). Each answer is checked as usual.
 */
export async function probeStatusVia(
  target: Target,
  name: string,
  operationId: string,
  options: SendOptions & { allowed: readonly number[]; count?: number },
): Promise<ProbeResult> {
  const probe = new Probe(target, name);
  const { allowed, count = 1, ...sendOptions } = options;
  for (let i = 0; i < count; i++) {
    const exchange = await probe.send(operationId, { ...requestFor(operationId), ...sendOptions });
    if (exchange) probe.violate(...expectStatus(exchange, allowed, name));
  }
  return probe.result;
}

/** A well-formed but unknown task id must answer 404. */
export async function probeUnknownTask(target: Target): Promise<ProbeResult> {
  const probe = new Probe(target, "unknown task id");
  const exchange = await probe.send(QUERY, { params: { task_id: UNKNOWN_TASK_ID } });
  if (exchange) probe.violate(...expectStatus(exchange, [404], "an unknown task id"));
  return probe.result;
}

/** A task id of the wrong format must answer one of the documented client errors (400 or 404). */
export async function probeMalformedTaskId(target: Target): Promise<ProbeResult> {
  const probe = new Probe(target, "malformed task id");
  const exchange = await probe.send(QUERY, { params: { task_id: MALFORMED_TASK_ID } });
  if (exchange) probe.violate(...expectStatus(exchange, [400, 404], "a malformed task id"));
  return probe.result;
}

/** Options of {@link probeLifecycle}. */
export interface LifecycleOptions {
  /** The create body. @default the spec's first request example */
  body?: Record<string, unknown>;
  /** Extra headers of the create request (a mock scenario's `Prefer`). */
  headers?: Record<string, string>;
  /** Extra headers of each poll. @default headers */
  pollHeaders?: Record<string, string>;
  /** Wait between polls. @default 1000 */
  pollIntervalMs?: number;
  /** Give up after this many polls (a `lifecycle:not-terminal` violation). @default 60 */
  maxPolls?: number;
  /** @default realSleep */
  sleep?: Sleep;
  /** Download a completed task's first result and check it is a video. @default true */
  download?: boolean;
  /** The outcome the target promises for this task (a mock scenario); any other is a violation. */
  expectOutcome?: "completed" | "failed";
  /** A callback sink: its URL is sent as `callback_url` and a delivery is awaited and checked. */
  sink?: CallbackSink;
  /** How long to wait for the callback after the task finished. @default 15000 */
  callbackTimeoutMs?: number;
  /** `fetch` for result downloads. @default target.fetch */
  fetch?: typeof fetch;
}

/**
 * Creates a task and follows it to the end: every response is checked, the sequence is checked for the lifecycle
 * rules, a completed task's result is downloaded, and with a sink the callback is checked against the task query.
 */
export async function probeLifecycle(target: Target, options: LifecycleOptions = {}): Promise<ProbeResult> {
  const probe = new Probe(target, options.sink ? "task lifecycle with callback" : "task lifecycle");
  const body = options.body ?? exampleCreateBody();
  if (options.sink) body.callback_url = options.sink.url;
  const headers = options.headers ?? {};
  const created = await probe.send(CREATE, { body, headers });
  if (!created) return probe.result;
  probe.violate(...expectStatus(created, [200], "a valid create request"));
  const createdTask = taskOf(created);
  const id = createdTask?.id;
  if (typeof id !== "string") {
    probe.note("no task id in the create response: nothing to follow");
    return probe.result;
  }
  const sleep = options.sleep ?? realSleep;
  const maxPolls = options.maxPolls ?? 60;
  const sequence: Exchange[] = [created];
  let last = createdTask;
  let polls = 0;
  let extraAfterTerminal = false;
  while (polls < maxPolls) {
    await sleep(options.pollIntervalMs ?? 1000);
    polls += 1;
    const exchange = await probe.send(QUERY, { params: { task_id: id }, headers: options.pollHeaders ?? headers });
    if (!exchange) continue;
    sequence.push(exchange);
    if (exchange.response.status === 404) {
      probe.violate({
        operation: QUERY,
        status: 404,
        pointer: "/status",
        rule: "lifecycle:lost",
        message: `poll ${polls}: the task ${id} the create response returned is unknown`,
      });
      break;
    }
    const task = taskOf(exchange);
    if (!task) continue; // a documented transient (429, 5xx): the exchange checks judged it
    last = task;
    if (isTerminal(task)) {
      // One more query after the end: a terminal state must not change.
      if (extraAfterTerminal) break;
      extraAfterTerminal = true;
    }
  }
  probe.violate(...checkLifecycle(sequence, id));
  if (!isTerminal(last)) {
    probe.violate({
      operation: QUERY,
      status: null,
      pointer: "/body/status",
      rule: "lifecycle:not-terminal",
      message: `still ${String(last?.status)} after ${polls} polls`,
    });
    return probe.result;
  }
  const outcome = String(last?.status);
  probe.note(`task ${id} ended ${outcome} after ${polls} polls`);
  if (options.expectOutcome && outcome !== options.expectOutcome) {
    probe.violate({
      operation: QUERY,
      status: 200,
      pointer: "/body/status",
      rule: "expected-outcome",
      message: `the task ended ${outcome}, the target promised ${options.expectOutcome}`,
    });
  }
  const results = last?.results;
  if (
    outcome === "completed" &&
    options.download !== false &&
    Array.isArray(results) &&
    typeof results[0] === "string"
  ) {
    const downloadFetch = options.fetch ?? target.fetch;
    const download = await fetchHead(results[0], downloadFetch ? { fetch: downloadFetch } : {});
    probe.violate(...checkResultDownload(QUERY, { url: results[0], ...download }));
  }
  if (options.sink) {
    const sink = options.sink;
    // A delivery names its task; one that names none (not JSON, no id) cannot be attributed, so it counts too.
    const ours = (d: { delivery: { body: unknown } }) => [id, undefined].includes(deliveryTaskId(d.delivery));
    const got = await sink.waitFor(ours, options.callbackTimeoutMs ?? 15_000);
    if (!got) {
      probe.violate({
        operation: CALLBACK,
        status: null,
        pointer: "",
        rule: "callback:not-delivered",
        message: `no callback for ${id} reached ${sink.url} after the task ${outcome}`,
      });
    }
    for (const d of sink.received.filter(ours)) {
      if (d.get) {
        probe.result.exchanges.push(d.get);
        probe.violate(...checkExchange(d.get));
      }
      probe.violate(...checkCallbackDelivery(CALLBACK, d.delivery, d.get));
    }
  }
  return probe.result;
}

/** The task id a callback delivery names (its body parsed if it came as text), or `undefined`. */
export function deliveryTaskId(delivery: { body: unknown }): string | undefined {
  let body = delivery.body;
  if (typeof body === "string") {
    try {
      body = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  const id = (body as { id?: unknown } | null)?.id;
  return typeof id === "string" ? id : undefined;
}

/** The `onDelivery` a sink needs for {@link probeLifecycle}: query the task the delivery names. */
export function queryOnDelivery(target: Target) {
  return async (delivery: { body: unknown }): Promise<Exchange | undefined> => {
    const id = deliveryTaskId(delivery);
    if (id === undefined) return undefined;
    return send(target, QUERY, { params: { task_id: id } });
  };
}
