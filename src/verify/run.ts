/**
 * `runVerify`: the named checks against any server, as `kling-edit verify` runs them. Free by default: only
 * requests that cannot create a task whatever the server does (no token, a token no server issued, unknown and
 * malformed task ids, create bodies without a usable source video). `spend` adds the paid path (tasks followed to the
 * end, and every other broken body), and a callback receiver adds the callback's own contract. Each check ends
 * passed, failed, or not applicable with the reason (not selected prerequisites, a Prism server, nothing observed).
 */
import { SPEC_SHA256, SPEC_VERSION } from "../../generated/spec-meta.js";
import {
  DEFAULT_VERIFY_CALLBACK_WAIT_MS,
  DEFAULT_VERIFY_MAX_POLLS,
  DEFAULT_VERIFY_POLL_INTERVAL_MS,
  DEFAULT_VERIFY_REQUEST_TIMEOUT_MS,
} from "../defaults.js";
import { exampleCreateBody, FREE_BAD_REQUESTS, PAID_BAD_REQUESTS } from "./bad-requests.js";
import { callbackTiming, slowHoldMs } from "./callbacks.js";
import { CHECK_NAMES, CHECKS, type CheckInfo, type CheckName } from "./catalog.js";
import type { Target } from "./http.js";
import { send, TransportError } from "./http.js";
import { recognisePrism } from "./prism-inventions.js";
import {
  type CallbackOptions,
  type LifecycleOptions,
  type ProbeResult,
  probeAuth,
  probeBadRequest,
  probeLifecycle,
  probeMalformedTaskId,
  probeUnknownTask,
  queryOnDelivery,
  type Sleep,
  UNKNOWN_TASK_ID,
} from "./probes.js";
import { type CallbackReceiver, startCallbackReceiver } from "./receiver.js";
import { CREATE_OPERATION, type Exchange, operationTable, QUERY_OPERATION, type Violation } from "./types.js";

/** Where callbacks are received. */
export interface VerifyCallbackOptions {
  /** The public URL senders reach the receiver at (a tunnel to it). @default the receiver's local URL */
  url?: string;
  /** Interface the receiver listens on. @default "127.0.0.1" */
  host?: string;
  /** Port the receiver listens on. @default 0 (a free one) */
  port?: number;
}

/** Options of {@link runVerify}. */
export interface VerifyOptions {
  /** The server's base URL (`https://ai.odkkk.com/apiv1`, `http://127.0.0.1:4010`). */
  baseUrl: string;
  /** A bearer token the server accepts. */
  apiKey: string;
  /** Create tasks: the paid path. @default false */
  spend?: boolean;
  /** Receive callbacks (only with `spend`). */
  callback?: VerifyCallbackOptions;
  /** Run only these checks. @default every check */
  checks?: readonly CheckName[];
  /** The source video of the tasks `spend` creates. @default the spec's request example */
  videoUrl?: string;
  /**
   * The server's callback timing runs this many times faster than the spec's 10 s timeout and 1/2/4 s retries (a
   * test mock's scaled timing). @default 1
   */
  timeScale?: number;
  /**
   * Real milliseconds of slack allowed on the callback timing for the network and a busy machine (not scaled).
   * @default DEFAULT_CALLBACK_SLACK_MS (300)
   */
  callbackSlackMs?: number;
  /** Wait between polls of a task. @default {@link DEFAULT_VERIFY_POLL_INTERVAL_MS} */
  pollIntervalMs?: number;
  /** Polls before a task counts as never finishing. @default {@link DEFAULT_VERIFY_MAX_POLLS} */
  maxPolls?: number;
  /** How long to wait for a task's first callback delivery after it ended. @default {@link DEFAULT_VERIFY_CALLBACK_WAIT_MS} */
  callbackWaitMs?: number;
  /** Per-request deadline. @default {@link DEFAULT_VERIFY_REQUEST_TIMEOUT_MS} */
  requestTimeoutMs?: number;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** @default a real timer */
  sleep?: Sleep;
  /** Called with every exchange (the recorder). */
  onExchange?: (exchange: Exchange) => void;
  /** Progress lines for a person. */
  log?: (line: string) => void;
}

/** The outcome of one check. */
export type CheckOutcome = "passed" | "failed" | "not-applicable";

/** One check's result. */
export interface CheckResult {
  name: CheckName;
  description: string;
  outcome: CheckOutcome;
  /** Why it is not applicable, or what it saw when it passed. */
  reason?: string;
  /** How many probes gave evidence for it. */
  evidence: number;
  violations: Violation[];
}

/** What a run did and found. */
export interface VerifyResult {
  baseUrl: string;
  /** `prism` when the server answered like Prism (its own 404 problem document for an undocumented Prefer code). */
  server: "prism" | "api";
  spec: { version: string; sha256: string };
  spend: boolean;
  callbackUrl?: string;
  startedAt: string;
  finishedAt: string;
  /** Tasks the run created (2xx answers to a create). */
  tasksCreated: number;
  exchanges: number;
  checks: CheckResult[];
  notes: string[];
  /** 0 when no check failed, else 1. */
  exitCode: 0 | 1;
}

/** The most tasks a run with these options may create: announce it before starting. */
export function maxTasks(options: Pick<VerifyOptions, "spend" | "callback">): number {
  if (!options.spend) return 0;
  return 2 + (options.callback ? 2 : 0) + PAID_BAD_REQUESTS.length;
}

/** A sentence stating what a run may cost, for the first line of its output. */
export function costStatement(options: Pick<VerifyOptions, "spend" | "callback">): string {
  if (!options.spend) {
    return (
      "free mode: only requests that cannot create a task whatever the server does (no token, a token no server " +
      "issued, unknown task ids, create bodies without a usable source video); --spend adds the paid checks."
    );
  }
  const tasks = 2 + (options.callback ? 2 : 0);
  return (
    `--spend: this run creates up to ${tasks} tasks (a lifecycle, a failure${options.callback ? ", two callback receivers" : ""}) ` +
    `and sends ${PAID_BAD_REQUESTS.length} invalid bodies that would each create one if the server failed to reject ` +
    `them: at most ${maxTasks(options)} billed tasks.`
  );
}

const QUERY = QUERY_OPERATION;
const PRISM_PREFER = "code=599";

/** Whether the server is Prism: it answers an undocumented `Prefer: code=` with its own 404 problem document. */
async function identifyPrism(target: Target): Promise<boolean> {
  try {
    const exchange = await send({ ...target, onExchange: () => {} }, QUERY, {
      params: { task_id: UNKNOWN_TASK_ID },
      headers: { prefer: PRISM_PREFER },
    });
    return recognisePrism(exchange.response)?.kind === "NOT_FOUND";
  } catch (error) {
    if (error instanceof TransportError) return false;
    throw error;
  }
}

const FREE_CHECKS = CHECK_NAMES.filter((n) => CHECKS[n].needs === "free");
const EXCHANGE_CHECKS: readonly CheckName[] = [
  "server-answers",
  "status-documented",
  "content-type",
  "body-schema",
  "error-envelope",
  "error-code-matches-status",
];

/** Runs the checks against a server. Never throws for what the server does; throws only on bad options. */
export async function runVerify(options: VerifyOptions): Promise<VerifyResult> {
  const startedAt = new Date().toISOString();
  const log = options.log ?? (() => {});
  const selected = new Set<CheckName>(options.checks?.length ? options.checks : CHECK_NAMES);
  const wants = (names: readonly CheckName[]) => names.some((n) => selected.has(n));
  const spend = options.spend === true;
  const timing = callbackTiming(options.timeScale ?? 1, options.callbackSlackMs);
  const target: Target = {
    name: "verify",
    baseUrl: options.baseUrl.replace(/\/+$/, ""),
    token: options.apiKey,
    requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_VERIFY_REQUEST_TIMEOUT_MS,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.onExchange ? { onExchange: options.onExchange } : {}),
  };
  const results: ProbeResult[] = [];
  const notes: string[] = [];
  const prism = await identifyPrism(target);
  if (prism)
    notes.push("the server answered like Prism: checks that need state or real authentication are not applicable");

  if (wants(FREE_CHECKS)) {
    log("free checks: authentication, unknown task ids, bodies without a usable source video");
    for (const operationId of Object.keys(operationTable)) {
      results.push(await probeAuth(target, operationId, "missing"));
      if (prism) notes.push(`${operationId} with an invalid token: not sent (Prism accepts any bearer token)`);
      else results.push(await probeAuth(target, operationId, "invalid"));
    }
    if (!prism) {
      results.push(await probeUnknownTask(target));
      results.push(await probeMalformedTaskId(target));
    }
    for (const testCase of FREE_BAD_REQUESTS) {
      if (prism && testCase.kind === "syntax") {
        notes.push(`create rejects: ${testCase.name}: not sent (Prism's HTTP layer answers it itself)`);
        continue;
      }
      results.push(await probeBadRequest(target, testCase));
    }
  }

  let receiver: CallbackReceiver | undefined;
  const spendChecks = CHECK_NAMES.filter((n) => CHECKS[n].needs !== "free");
  if (spend && !prism && wants([...spendChecks, ...EXCHANGE_CHECKS, "invalid-bodies-rejected"])) {
    log(`paid checks: ${PAID_BAD_REQUESTS.length} invalid bodies, then tasks followed to their end`);
    for (const testCase of PAID_BAD_REQUESTS) results.push(await probeBadRequest(target, testCase));
    const base: LifecycleOptions = {
      pollIntervalMs: options.pollIntervalMs ?? DEFAULT_VERIFY_POLL_INTERVAL_MS,
      maxPolls: options.maxPolls ?? DEFAULT_VERIFY_MAX_POLLS,
      ...(options.sleep ? { sleep: options.sleep } : {}),
      ...(options.fetch ? { fetch: options.fetch } : {}),
    };
    const body = () => {
      const b = exampleCreateBody();
      if (options.videoUrl) b.video_urls = [options.videoUrl];
      return b;
    };
    const callbacks = options.callback && wants(CHECK_NAMES.filter((n) => CHECKS[n].needs === "callback"));
    if (callbacks && options.callback) {
      receiver = await startCallbackReceiver({
        ...(options.callback.url ? { publicUrl: options.callback.url } : {}),
        host: options.callback.host ?? "127.0.0.1",
        port: options.callback.port ?? 0,
        onDelivery: queryOnDelivery(target),
        slowHoldMs: slowHoldMs(timing),
      });
      log(`callback receiver on ${receiver.localUrl}, reached at ${receiver.url}`);
    }
    const callback = (mode: CallbackOptions["mode"]): { callback?: CallbackOptions } =>
      receiver
        ? {
            callback: {
              receiver,
              ...(mode ? { mode } : {}),
              timing,
              firstDeliveryTimeoutMs: options.callbackWaitMs ?? DEFAULT_VERIFY_CALLBACK_WAIT_MS,
            },
          }
        : {};
    try {
      const runs = [
        probeLifecycle(target, { ...base, name: "task lifecycle", body: body(), ...callback("ack") }),
        // A mock fails this task on request; a real API fails it when it cannot download the video.
        probeLifecycle(target, {
          ...base,
          name: "failing task",
          body: { ...body(), video_urls: ["https://example.com/kling-edit-verify/does-not-exist.mp4"] },
          headers: { prefer: "scenario=fails" },
        }),
      ];
      if (receiver) {
        runs.push(
          probeLifecycle(target, {
            ...base,
            name: "callback to a failing receiver",
            body: body(),
            ...callback("fail"),
          }),
        );
        runs.push(
          probeLifecycle(target, { ...base, name: "callback to a slow receiver", body: body(), ...callback("slow") }),
        );
      }
      log(`following ${runs.length} tasks to their end`);
      results.push(...(await Promise.all(runs)));
    } finally {
      await receiver?.close();
    }
  }

  const tasksCreated = results
    .flatMap((r) => r.exchanges)
    .filter((e) => e.operationId === CREATE_OPERATION && e.response.status >= 200 && e.response.status < 300).length;
  const checks = CHECK_NAMES.filter((n) => selected.has(n)).map((name) =>
    judge(name, results, { spend, callback: options.callback !== undefined, prism }),
  );
  return {
    baseUrl: target.baseUrl,
    server: prism ? "prism" : "api",
    spec: { version: SPEC_VERSION, sha256: SPEC_SHA256 },
    spend,
    ...(receiver ? { callbackUrl: receiver.url } : {}),
    startedAt,
    finishedAt: new Date().toISOString(),
    tasksCreated,
    exchanges: results.reduce((n, r) => n + r.exchanges.length, 0),
    checks,
    notes,
    exitCode: checks.some((c) => c.outcome === "failed") ? 1 : 0,
  };
}

const NOTHING_SEEN: Partial<Record<CheckName, string>> = {
  "failure-reason": "no task failed during the run",
  "terminal-sticky": "no task was seen again after it ended",
  "error-envelope": "no documented error body was seen",
  "error-code-matches-status": "no documented error body was seen",
  "callback-matches-get": "no delivery could be compared with GET",
};

function judge(
  name: CheckName,
  results: readonly ProbeResult[],
  run: { spend: boolean; callback: boolean; prism: boolean },
): CheckResult {
  const info: CheckInfo = CHECKS[name];
  const violations = results.flatMap((r) => r.violations.filter((v) => v.check === name));
  const evidence = results.filter((r) => r.evaluated.includes(name)).length;
  const base = { name, description: info.description, evidence, violations };
  if (violations.length > 0) return { ...base, outcome: "failed" };
  const notApplicable = (reason: string): CheckResult => ({ ...base, outcome: "not-applicable", reason });
  if (info.needs !== "free" && !run.spend) return notApplicable("needs --spend (it creates tasks)");
  if (info.needs === "callback" && !run.callback) return notApplicable("needs --callback-url (and --spend)");
  if (run.prism && info.notOnPrism) return notApplicable(info.notOnPrism);
  if (evidence === 0) return notApplicable(NOTHING_SEEN[name] ?? "nothing the check applies to was observed");
  return { ...base, outcome: "passed", reason: `${evidence} probe${evidence === 1 ? "" : "s"}` };
}
