/**
 * The drift corpus: one deliberate deviation from the spec per case, each with the named check that must catch it
 * and the rule it must report. `drift.test.ts` runs `kling-edit verify`'s own run against the drift server once per
 * case and once faithfully.
 */
import { operations } from "../../generated/operations.js";
import { callbackTiming } from "../../src/verify/callbacks.js";
import type { CheckName } from "../../src/verify/catalog.js";
import { type Deviation, DRIFT_TIME_SCALE, type DriftPoint, type Reply } from "./server.js";

/** One deviation and the check that must catch it. */
export interface DriftCase {
  /** Short kebab-case name. */
  name: string;
  /** What the server does wrong, in words. */
  description: string;
  /** The violation rule that must be reported (others may accompany it). */
  rule: string;
  /** The named check that must fail for it, with that rule. */
  check: CheckName;
  deviation: Deviation;
}

const timing = callbackTiming(DRIFT_TIME_SCALE);

type Body = Record<string, unknown>;

function isRecord(value: unknown): value is Body {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A deviation that edits the JSON body at one point (only where `when` holds). */
function edit(
  point: DriftPoint,
  change: ((body: Body, reply: Reply) => void) | Body,
  when?: (body: Body) => boolean,
): Deviation {
  return {
    reply: (at, reply) => {
      if (at !== point || !isRecord(reply.body) || (when && !when(reply.body))) return reply;
      const body = structuredClone(reply.body);
      if (typeof change === "function") change(body, reply);
      else patch(body, change);
      return { ...reply, body };
    },
  };
}

/** Sets a copy of each of `fields` over `body`; a field set to `undefined` is removed. */
function patch(body: Body, fields: Body): void {
  for (const [field, value] of Object.entries(fields)) {
    if (value === undefined) delete body[field];
    else body[field] = structuredClone(value);
  }
}

/** A deviation that replaces a whole reply at one point (only where `when` holds). */
function replace(point: DriftPoint, change: (reply: Reply) => Reply, when?: (reply: Reply) => boolean): Deviation {
  return { reply: (at, reply) => (at !== point || (when && !when(reply)) ? reply : change(reply)) };
}

const isStatus = (status: string) => (body: Body) => body.status === status;
const json404 = (): Reply => ({
  status: 404,
  headers: { "content-type": "application/json" },
  body: structuredClone(operations.getTaskDetail.responses["404"].body.example),
});
const hasStatus = (status: number) => (reply: Reply) => reply.status === status;

/** Every case of the corpus. */
export const DRIFT_CASES: readonly DriftCase[] = [
  {
    name: "wrong-field-type",
    description: "the create response's `created` is a string",
    rule: "schema:type",
    check: "body-schema",
    deviation: edit("create", (b) => {
      b.created = String(b.created);
    }),
  },
  {
    name: "new-enum-value",
    description: "a running task reports status `queued`, which TaskStatus does not list",
    rule: "schema:enum",
    check: "body-schema",
    deviation: edit("task", { status: "queued" }, isStatus("pending")),
  },
  {
    name: "missing-promised-field",
    description: "the task query leaves out `id`, which TaskDetail requires",
    rule: "schema:required",
    check: "body-schema",
    deviation: edit("task", { id: undefined }),
  },
  {
    name: "new-object-value",
    description: "`object` is `video.task`, not one of the documented task types",
    rule: "schema:enum",
    check: "body-schema",
    deviation: edit("create", { object: "video.task" }),
  },
  {
    name: "progress-out-of-range",
    description: "progress 150",
    rule: "schema:maximum",
    check: "body-schema",
    deviation: edit("task", { progress: 150 }, isStatus("completed")),
  },
  {
    name: "negative-credits",
    description: "usage.credits_reserved is negative",
    rule: "schema:minimum",
    check: "body-schema",
    deviation: edit("create", (b) => {
      b.usage = { ...(b.usage as Body), credits_reserved: -1 };
    }),
  },
  {
    name: "completed-without-results",
    description: "a completed task has no `results`",
    rule: "result:missing",
    check: "result-url",
    deviation: edit("task", { results: undefined }, isStatus("completed")),
  },
  {
    name: "completed-with-empty-results",
    description: "a completed task has `results: []`",
    rule: "result:missing",
    check: "result-url",
    deviation: edit("task", { results: [] }, isStatus("completed")),
  },
  {
    name: "result-not-a-uri",
    description: "a result is not a URI",
    rule: "schema:format",
    check: "body-schema",
    deviation: edit("task", { results: ["results/video.mp4 (relative)"] }, isStatus("completed")),
  },
  {
    name: "failed-without-error",
    description: "a failed task carries no `error`",
    rule: "lifecycle:failure-reason",
    check: "failure-reason",
    deviation: edit("task", { error: undefined }, isStatus("failed")),
  },
  {
    name: "failure-code-integer",
    description: "a failed task's error.code is an integer, the spec says a string business code",
    rule: "schema:type",
    check: "body-schema",
    deviation: edit("task", { error: { code: 500, message: "internal" } }, isStatus("failed")),
  },
  {
    name: "failure-reason-blank",
    description: "a failed task's error.message is empty",
    rule: "lifecycle:failure-reason",
    check: "failure-reason",
    deviation: edit("task", { error: { code: "video_download_failed", message: "" } }, isStatus("failed")),
  },
  {
    name: "progress-goes-backwards",
    description: "progress drops from 30 to 10 while processing",
    rule: "lifecycle:progress",
    check: "progress-monotonic",
    deviation: edit("task", { progress: 10 }, (b) => b.progress === 60),
  },
  {
    name: "status-goes-backwards",
    description: "a processing task reports pending again",
    rule: "lifecycle:transition",
    check: "status-order",
    deviation: edit("task", { status: "pending" }, (b) => b.progress === 60),
  },
  {
    name: "terminal-state-changes",
    description: "a completed task reports processing on the next query",
    rule: "lifecycle:terminal-changed",
    check: "terminal-sticky",
    deviation: {
      reply: (at, reply, ctx) => {
        if (at !== "task" || !isRecord(reply.body) || reply.body.status !== "completed") return reply;
        if ((ctx.poll ?? 0) <= 4) return reply; // the fourth query ends the task; the ones after it change it
        const { results: _, ...rest } = reply.body;
        return { ...reply, body: { ...rest, status: "processing", progress: 100 } };
      },
    },
  },
  {
    name: "task-id-changes",
    description: "the task query answers with another task's id",
    rule: "lifecycle:id",
    check: "task-visible",
    deviation: edit("task", { id: "task-unified-1757169743-someoneelse" }),
  },
  {
    name: "created-task-unknown",
    description: "the id the create response returned is unknown to the task query",
    rule: "lifecycle:lost",
    check: "task-visible",
    deviation: edit("create", { id: "task-unified-1757169743-neverstored" }),
  },
  {
    name: "never-finishes",
    description: "a task stays processing forever",
    rule: "lifecycle:not-terminal",
    check: "task-finishes",
    deviation: { neverFinish: true },
  },
  {
    name: "result-link-dead",
    description: "the result URL answers 404",
    rule: "result:download",
    check: "result-url",
    deviation: replace("result", () => ({ status: 404, headers: { "content-type": "text/plain" }, body: "gone" })),
  },
  {
    name: "result-not-a-video",
    description: "the result URL serves an HTML page",
    rule: "result:not-video",
    check: "result-url",
    deviation: replace("result", () => ({
      status: 200,
      headers: { "content-type": "text/html" },
      body: "<!doctype html><title>Your video</title>",
    })),
  },
  {
    name: "error-body-other-shape",
    description: "401 answers `{ message }` without the `error` envelope",
    rule: "error-envelope",
    check: "error-envelope",
    deviation: replace("error", (r) => ({ ...r, body: { message: "Unauthorized" } }), hasStatus(401)),
  },
  {
    name: "error-body-string-error",
    description: '404 answers `{ error: "Task not found" }`',
    rule: "schema:type",
    check: "body-schema",
    deviation: replace("error", (r) => ({ ...r, body: { error: "Task not found" } }), hasStatus(404)),
  },
  {
    name: "error-code-not-status",
    description: "the unknown-task 404 carries error.code 400",
    rule: "error-code-matches-status",
    check: "error-code-matches-status",
    deviation: edit("error", (b, r) => {
      if (r.status === 404) b.error = { ...(b.error as Body), code: 400 };
    }),
  },
  {
    name: "create-error-string-code",
    description: "a create 400 carries a string error.code, which ErrorResponse does not allow",
    rule: "schema:type",
    check: "body-schema",
    deviation: edit("error", (b, r) => {
      if (r.status === 400) b.error = { ...(b.error as Body), code: "invalid_request" };
    }),
  },
  {
    name: "problem-json-errors",
    description: "400s are RFC 9457 problem documents instead of the spec's envelope",
    rule: "error-envelope",
    check: "error-envelope",
    deviation: replace(
      "error",
      () => ({
        status: 400,
        headers: { "content-type": "application/problem+json" },
        body: { type: "about:blank", title: "Bad Request", status: 400, detail: "invalid body" },
      }),
      hasStatus(400),
    ),
  },
  {
    name: "undocumented-status",
    description: "an unknown task answers 410, which getTaskDetail does not document",
    rule: "status-documented",
    check: "status-documented",
    deviation: replace("error", (r) => ({ ...r, status: 410 }), hasStatus(404)),
  },
  {
    name: "undocumented-422",
    description: "a broken create body answers 422 instead of 400",
    rule: "status-documented",
    check: "status-documented",
    deviation: replace("error", (r) => ({ ...r, status: 422 }), hasStatus(400)),
  },
  {
    name: "wrong-content-type",
    description: "the task query's JSON comes as text/plain",
    rule: "content-type",
    check: "content-type",
    deviation: replace("task", (r) => ({ ...r, headers: { "content-type": "text/plain" } })),
  },
  {
    name: "non-json-body",
    description: "the task query answers an HTML error page with status 200 and a JSON content type",
    rule: "json-body",
    check: "body-schema",
    deviation: replace("task", (r) => ({ ...r, body: "<html><body>502 Bad Gateway</body></html>" })),
  },
  {
    name: "empty-body",
    description: "the create response is empty",
    rule: "json-body",
    check: "body-schema",
    deviation: replace("create", (r) => ({ ...r, body: "" })),
  },
  {
    name: "auth-not-enforced",
    description: "requests without a token are served",
    rule: "expected-status",
    check: "auth-enforced",
    deviation: { accept: { missingToken: true } },
  },
  {
    name: "invalid-token-accepted",
    description: "any bearer token is accepted",
    rule: "expected-status",
    check: "auth-enforced",
    deviation: { accept: { anyToken: true } },
  },
  {
    name: "invalid-body-accepted",
    description: "broken create bodies create tasks",
    rule: "expected-status",
    check: "invalid-bodies-rejected",
    deviation: { accept: { invalidBodies: true } },
  },
  {
    name: "unknown-task-served",
    description: "an unknown task id answers 200 with a made-up task",
    rule: "expected-status",
    check: "unknown-task-404",
    deviation: replace(
      "error",
      (r) => ({
        status: 200,
        headers: r.headers,
        body: { id: "task-unified-1000000000-contract0", status: "pending", progress: 0 },
      }),
      hasStatus(404),
    ),
  },
  {
    name: "callback-breaks-schema",
    description: "the callback's status is `done`",
    rule: "callback:schema:enum",
    check: "callback-schema",
    deviation: edit("callback", { status: "done" }),
  },
  {
    name: "callback-disagrees-with-query",
    description: "the callback names another result URL than the task query",
    rule: "callback:matches-get",
    check: "callback-matches-get",
    deviation: edit("callback", (b) => {
      if (Array.isArray(b.results)) b.results = ["https://cdn.example.com/other.mp4"];
    }),
  },
  {
    name: "callback-not-sent",
    description: "no callback is delivered",
    rule: "callback:not-delivered",
    check: "callback-delivered",
    deviation: { noCallback: true },
  },
  {
    name: "callback-wrong-content-type",
    description: "the callback is sent as form data",
    rule: "callback:content-type",
    check: "callback-schema",
    deviation: replace("callback", (r) => ({
      ...r,
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `payload=${encodeURIComponent(JSON.stringify(r.body))}`,
    })),
  },
  {
    name: "callback-before-the-end",
    description: "the callback is sent while the task still runs",
    rule: "callback:not-finished",
    check: "callback-after-end",
    deviation: { earlyCallback: 3 },
  },
  {
    name: "callback-wrong-method",
    description: "the callback is a PUT",
    rule: "callback:method",
    check: "callback-schema",
    deviation: { callbackMethod: "PUT" },
  },
  {
    name: "task-visible-late",
    description: "a created task is unknown to the first query right after its create (eventual consistency)",
    rule: "lifecycle:lost",
    check: "task-visible",
    deviation: {
      reply: (at, reply, ctx) => (at === "task" && ctx.poll === 1 ? json404() : reply),
    },
  },
  {
    name: "results-while-running",
    description: "a processing task already lists a result URL",
    rule: "result:early",
    check: "result-url",
    deviation: edit("task", { results: ["https://cdn.example.com/early.mp4"] }, isStatus("processing")),
  },
  {
    name: "connection-reset",
    description: "the unknown-task query drops the connection without an answer",
    rule: "transport",
    check: "server-answers",
    deviation: replace("error", () => ({ status: -1, headers: {}, body: "" }), hasStatus(404)),
  },
  {
    name: "callback-claims-end-early",
    description: "the callback says completed while the task query still says processing",
    rule: "callback:before-end",
    check: "callback-after-end",
    deviation: {
      // The receiver's own query moves a drift task one step on: sent at the first query, GET then says processing.
      earlyCallback: 1,
      reply: (at, reply) =>
        at === "callback" && isRecord(reply.body)
          ? {
              ...reply,
              body: { ...reply.body, status: "completed", progress: 100, results: ["https://cdn.example.com/r.mp4"] },
            }
          : reply,
    },
  },
  {
    name: "callback-duplicate",
    description: "the callback is sent again after the receiver acknowledged it",
    rule: "callback:duplicate",
    check: "callback-delivered",
    deviation: { callbackRetry: { delaysMs: timing.retryDelaysMs.slice(0, 1), afterSuccess: true } },
  },
  {
    name: "callback-not-retried",
    description: "no retry after the receiver answered 500",
    rule: "callback:not-retried",
    check: "callback-retries",
    deviation: { callbackRetry: { delaysMs: [] } },
  },
  {
    name: "callback-retried-too-often",
    description: "after 500s the callback is retried 5 times",
    rule: "callback:too-many-retries",
    check: "callback-retries",
    deviation: {
      callbackRetry: {
        delaysMs: [...timing.retryDelaysMs, timing.retryDelaysMs[0] ?? 0, timing.retryDelaysMs[0] ?? 0],
      },
    },
  },
  {
    name: "callback-retried-too-early",
    description: "after a 500 the callback is retried at once, not after 1/2/4 s",
    rule: "callback:retry-early",
    check: "callback-retries",
    deviation: { callbackRetry: { delaysMs: [0, 0, 0] } },
  },
  {
    name: "callback-waits-for-slow-receiver",
    description: "the sender waits for a receiver slower than 10 s instead of giving up",
    rule: "callback:slow-not-given-up",
    check: "callback-timeout",
    deviation: { callbackRetry: { timeoutMs: 100 * timing.timeoutMs } },
  },
  {
    name: "callback-gives-up-too-soon",
    description: "the sender gives up on the receiver after 1 s instead of 10 s",
    rule: "callback:timeout-early",
    check: "callback-timeout",
    deviation: { callbackRetry: { timeoutMs: timing.timeoutMs / 10 } },
  },
];
