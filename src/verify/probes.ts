/**
 * Probes: the requests of the checks, each a small scenario (reach a documented status, send a broken body, follow a
 * task to its end, receive its callback) that returns the exchanges it made, every violation the checks found, and
 * which checks it gave evidence for. The same probes run against every target and against the drift corpus, so what
 * the corpus proves about them holds for the real targets.
 */

import {
  DEFAULT_PROBE_MAX_POLLS,
  DEFAULT_PROBE_POLL_INTERVAL_MS,
  DEFAULT_VERIFY_CALLBACK_WAIT_MS,
} from "../defaults.js";
import { type BadRequestCase, brokenParam, brokenRules, exampleCreateBody } from "./bad-requests.js";
import {
  type CallbackTiming,
  callbackTiming,
  checkCallbackDelivery,
  checkCallbackSeries,
  quietPeriodMs,
  type ReceiverMode,
} from "./callbacks.js";
import type { CheckName } from "./catalog.js";
import { checkExchange, evaluatedBy, expectStatus } from "./checks.js";
import { fetchHead, type SendOptions, send, type Target, TransportError } from "./http.js";
import { checkLifecycle, checkResultDownload, isTerminal, taskOf } from "./lifecycle.js";
import type { CallbackReceiver } from "./receiver.js";
import { attach, CREATE_OPERATION, type Exchange, operationTable, QUERY_OPERATION, type Violation } from "./types.js";

/** What one probe did and found. */
export interface ProbeResult {
  /** The probe's name (the test's name). */
  name: string;
  exchanges: Exchange[];
  violations: Violation[];
  /** Facts worth a line in the report that are not violations (a status the target cannot produce, a skip). */
  notes: string[];
  /** The checks this probe gave evidence for (whether they passed or not). */
  evaluated: CheckName[];
}

/** A bearer token no target accepts. */
export const INVALID_TOKEN = "contract-test-invalid-token";
/** A well-formed task id no target knows. */
export const UNKNOWN_TASK_ID = "task-unified-1000000000-contract0";
/** A task id of the wrong format (the spec's 400 example: "must start with 'task-unified-'"). */
export const MALFORMED_TASK_ID = "not-a-task-id";

const CREATE = CREATE_OPERATION;
const QUERY = QUERY_OPERATION;
/** The callback's operationId, from the operation table. */
export const CALLBACK = Object.values(operationTable[CREATE]?.callbacks ?? {})[0]?.operationId ?? `${CREATE}.callback`;

/** Collects one probe's exchanges and violations. */
export class Probe {
  readonly result: ProbeResult;
  constructor(
    readonly target: Target,
    name: string,
  ) {
    this.result = { name, exchanges: [], violations: [], notes: [], evaluated: [] };
  }

  /** Sends and checks one request; `undefined` (with a `transport` violation) when no response arrived. */
  async send(operationId: string, options: SendOptions = {}): Promise<Exchange | undefined> {
    try {
      const exchange = await send(this.target, operationId, options);
      this.add(exchange);
      return exchange;
    } catch (error) {
      if (!(error instanceof TransportError)) throw error;
      this.evaluate("server-answers");
      this.violate({
        check: "server-answers",
        operation: operationId,
        status: null,
        pointer: "",
        rule: "transport",
        message: error.message,
      });
      return undefined;
    }
  }

  /** Adds and checks an exchange made elsewhere (the receiver's query). */
  add(exchange: Exchange): void {
    this.result.exchanges.push(exchange);
    this.result.violations.push(...checkExchange(exchange));
    this.evaluate(...evaluatedBy(exchange));
  }

  /** Adds violations. */
  violate(...violations: Violation[]): void {
    this.result.violations.push(...violations);
  }

  /** Records that the probe gave evidence for checks. */
  evaluate(...checks: CheckName[]): void {
    for (const check of checks) if (!this.result.evaluated.includes(check)) this.result.evaluated.push(check);
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

/**
 * No token, or a token the target does not accept: every operation must answer 401 with the error body. The
 * create's body is the spec's own example, which a server ignoring authentication would bill: so without a token
 * (`missing`) or with {@link INVALID_TOKEN} it still cannot create a task that anyone pays for.
 */
export async function probeAuth(
  target: Target,
  operationId: string,
  kind: "missing" | "invalid",
): Promise<ProbeResult> {
  const probe = new Probe(target, `${operationId} with ${kind === "missing" ? "no" : "an invalid"} token`);
  const auth = kind === "missing" ? "none" : { bearer: INVALID_TOKEN };
  const exchange = await probe.send(operationId, { ...requestFor(operationId), auth });
  if (exchange) probe.evaluate("auth-enforced");
  if (exchange) probe.violate(...expectStatus(exchange, [401], `${kind} token`, "auth-enforced"));
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
  probe.evaluate("invalid-bodies-rejected");
  probe.violate(...expectStatus(exchange, [400], `a body breaking ${testCase.rule}`, "invalid-bodies-rejected"));
  const body = exchange.response.body as { error?: { param?: unknown } } | undefined;
  const want = brokenParam(testCase);
  if (options.expectParam && exchange.response.status === 400 && want && body?.error?.param !== want) {
    probe.violate(
      ...attach(exchange, [
        {
          check: "invalid-bodies-rejected",
          operation: CREATE,
          status: 400,
          pointer: "/body/error/param",
          rule: "error-param",
          message: `is ${JSON.stringify(body?.error?.param)}, the broken field is ${want}`,
        },
      ]),
    );
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
  if (exchange) probe.evaluate("unknown-task-404");
  if (exchange) probe.violate(...expectStatus(exchange, [404], "an unknown task id", "unknown-task-404"));
  return probe.result;
}

/** A task id of the wrong format must answer one of the documented client errors (400 or 404). */
export async function probeMalformedTaskId(target: Target): Promise<ProbeResult> {
  const probe = new Probe(target, "malformed task id");
  const exchange = await probe.send(QUERY, { params: { task_id: MALFORMED_TASK_ID } });
  if (exchange) probe.evaluate("unknown-task-404");
  if (exchange) probe.violate(...expectStatus(exchange, [400, 404], "a malformed task id", "unknown-task-404"));
  return probe.result;
}

/** The callback part of {@link probeLifecycle}. */
export interface CallbackOptions {
  receiver: CallbackReceiver;
  /** How the receiver treats this task's deliveries. @default "ack" */
  mode?: ReceiverMode;
  /** The spec's timing, scaled. @default callbackTiming(1) */
  timing?: CallbackTiming;
  /** How long to wait for the first delivery after the task ended. @default {@link DEFAULT_VERIFY_CALLBACK_WAIT_MS} */
  firstDeliveryTimeoutMs?: number;
}

/** Options of {@link probeLifecycle}. */
export interface LifecycleOptions {
  /** The probe's name. @default "task lifecycle" */
  name?: string;
  /** The create body. @default the spec's first request example */
  body?: Record<string, unknown>;
  /** Extra headers of the create request (a mock scenario's `Prefer`). */
  headers?: Record<string, string>;
  /** Extra headers of each poll. @default headers */
  pollHeaders?: Record<string, string>;
  /** Wait between polls (the first poll follows the create at once). @default {@link DEFAULT_PROBE_POLL_INTERVAL_MS} */
  pollIntervalMs?: number;
  /** Give up after this many polls (a `task-finishes` violation). @default {@link DEFAULT_PROBE_MAX_POLLS} */
  maxPolls?: number;
  /** @default realSleep */
  sleep?: Sleep;
  /** Download a completed task's first result and check it is a video. @default true */
  download?: boolean;
  /** The outcome the target promises for this task (a mock scenario); any other is a violation. */
  expectOutcome?: "completed" | "failed";
  /** Receive the task's callback: its URL is sent as `callback_url` and the deliveries are checked. */
  callback?: CallbackOptions;
  /** `fetch` for result downloads. @default target.fetch */
  fetch?: typeof fetch;
}

/**
 * Creates a task and follows it to the end: every response is checked, the sequence is checked for the lifecycle
 * rules, a completed task's result is downloaded, and with a receiver the callback deliveries are checked against
 * the task query and the spec's retry rules.
 */
export async function probeLifecycle(target: Target, options: LifecycleOptions = {}): Promise<ProbeResult> {
  const mode = options.callback?.mode ?? "ack";
  const probe = new Probe(
    target,
    options.name ?? (options.callback ? `task lifecycle with callback (${mode})` : "task lifecycle"),
  );
  const body = options.body ?? exampleCreateBody();
  const callbackUrl = options.callback?.receiver.callbackUrl(mode);
  if (callbackUrl) body.callback_url = callbackUrl;
  const headers = options.headers ?? {};
  const created = await probe.send(CREATE, { body, headers });
  if (!created) return probe.result;
  probe.violate(...expectStatus(created, [200], "a valid create request", "task-visible"));
  const createdTask = taskOf(created);
  const id = createdTask?.id;
  if (typeof id !== "string") {
    probe.note("no task id in the create response: nothing to follow");
    return probe.result;
  }
  probe.evaluate("task-visible", "status-order", "progress-monotonic", "task-finishes", "result-url");
  const sleep = options.sleep ?? realSleep;
  const maxPolls = options.maxPolls ?? DEFAULT_PROBE_MAX_POLLS;
  const sequence: Exchange[] = [created];
  let last = createdTask;
  let polls = 0;
  let extraAfterTerminal = false;
  while (polls < maxPolls) {
    // The first poll follows the create at once: a created task must be visible right away.
    if (polls > 0) await sleep(options.pollIntervalMs ?? DEFAULT_PROBE_POLL_INTERVAL_MS);
    polls += 1;
    const exchange = await probe.send(QUERY, { params: { task_id: id }, headers: options.pollHeaders ?? headers });
    if (!exchange) continue;
    sequence.push(exchange);
    if (exchange.response.status === 404) {
      const when = polls === 1 ? "right after its create" : `at poll ${polls}`;
      probe.violate(
        ...attach(exchange, [
          {
            check: "task-visible",
            operation: QUERY,
            status: 404,
            pointer: "/status",
            rule: "lifecycle:lost",
            message: `the task ${id} the create response returned is unknown ${when}`,
          },
        ]),
      );
      if (polls > 1) break;
      continue;
    }
    const task = taskOf(exchange);
    if (!task) continue; // a documented transient (429, 5xx): the exchange checks judged it
    last = task;
    if (task.status === "failed") probe.evaluate("failure-reason");
    if (isTerminal(task)) {
      // One more query after the end: a terminal state must not change.
      if (extraAfterTerminal) {
        probe.evaluate("terminal-sticky");
        break;
      }
      extraAfterTerminal = true;
    }
  }
  probe.violate(...checkLifecycle(sequence, id));
  if (!isTerminal(last)) {
    probe.violate({
      check: "task-finishes",
      operation: QUERY,
      status: null,
      pointer: "/body/status",
      rule: "lifecycle:not-terminal",
      message: `task ${id} still ${String(last?.status)} after ${polls} polls`,
      ...(sequence.length > 1 ? { exchange: sequence[sequence.length - 1] as Exchange } : {}),
    });
    return probe.result;
  }
  const outcome = String(last?.status);
  probe.note(`task ${id} ended ${outcome} after ${polls} polls`);
  if (options.expectOutcome && outcome !== options.expectOutcome) {
    probe.violate({
      check: "task-finishes",
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
  if (options.callback && callbackUrl) await checkCallbacks(probe, options.callback, callbackUrl, id);
  return probe.result;
}

async function checkCallbacks(probe: Probe, options: CallbackOptions, url: string, id: string): Promise<void> {
  const mode = options.mode ?? "ack";
  const timing = options.timing ?? callbackTiming(1);
  const quiet = quietPeriodMs(timing);
  // Enough for the first delivery, then every attempt the mode provokes, then the quiet period.
  const attempts = mode === "slow" ? timing.timeoutMs + (timing.retryDelaysMs[0] ?? 0) : 0;
  const retries = mode === "fail" ? timing.retryDelaysMs.reduce((a, b) => a + 2 * b, 0) : 0;
  const firstWithinMs = options.firstDeliveryTimeoutMs ?? DEFAULT_VERIFY_CALLBACK_WAIT_MS;
  const maxWaitMs = firstWithinMs + 2 * attempts + retries + 2 * quiet + timing.slackMs;
  const deliveries = await options.receiver.settle(url, { quietMs: quiet, firstWithinMs, maxWaitMs });
  probe.evaluate("callback-delivered");
  if (mode === "fail") probe.evaluate("callback-retries");
  if (mode === "slow") probe.evaluate("callback-timeout");
  probe.violate(...checkCallbackSeries(CALLBACK, mode, deliveries, timing, id));
  for (const d of deliveries) {
    probe.evaluate("callback-schema", "callback-after-end");
    if (d.get) {
      probe.evaluate("callback-matches-get");
      probe.add(d.get);
    }
    probe.violate(
      ...checkCallbackDelivery(CALLBACK, d.delivery, d.get).map((v) => ({
        ...v,
        ...(d.get ? { exchange: d.get } : {}),
      })),
    );
  }
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

/** The `onDelivery` a receiver needs: query the task the delivery names. */
export function queryOnDelivery(target: Target) {
  return async (delivery: { body: unknown }): Promise<Exchange | undefined> => {
    const id = deliveryTaskId(delivery);
    if (id === undefined) return undefined;
    return send(target, QUERY, { params: { task_id: id } });
  };
}
