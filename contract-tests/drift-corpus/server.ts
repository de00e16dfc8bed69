/**
 * The drift corpus's server (test-only): a small node:http server that answers like the API, faithfully by default,
 * with one deliberate deviation per case. Tasks advance one step per query (pending -> processing 30 -> processing
 * 60 -> completed | failed), so a lifecycle needs no clock; a task created with `Prefer: scenario=fails` fails. On
 * the query that ends a task it starts POSTing the task to `callback_url` (loopback allowed) as the spec says: a
 * timeout per attempt, at most 3 retries at 1/2/4 s after a non-2xx, all divided by `timeScale` so that a test
 * observes the whole schedule in well under a second.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { operations } from "../../generated/operations.js";
import { CallScope } from "../../src/internal/scope.js";
import { checkCreateRequest } from "../../src/rules.js";
import { callbackTiming } from "../../src/verify/callbacks.js";

/** The only bearer token the drift server accepts. */
export const DRIFT_TOKEN = "drift-corpus-token";

/** A reply before it is written: a JSON value, or a raw string written as is. */
export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** A task the drift server holds. */
export interface DriftTask {
  id: string;
  fails: boolean;
  callbackUrl: string | undefined;
  /** Queries answered so far. */
  polls: number;
  callbackSent: boolean;
}

/** Where a deviation can change what the server says. */
export type DriftPoint =
  | "create" // the 200 of a create request
  | "task" // the 200 of a task query
  | "error" // any error reply (401, 400, 404); a status below 0 drops the connection instead
  | "result" // the result file download
  | "callback"; // the callback delivery (status is ignored; headers and body are sent)

/** Context of a deviation. */
export interface DriftContext {
  /** The task concerned (create, task, result, callback). */
  task?: DriftTask;
  /** The server's base URL. */
  baseUrl: string;
  /** For `task`: which query of the task this is (1 for the first). */
  poll?: number;
}

/** One deliberate deviation (absent: the faithful server). */
export interface Deviation {
  /** Changes a reply at one point; return it unchanged where the deviation does not apply. */
  reply?: (point: DriftPoint, reply: Reply, ctx: DriftContext) => Reply;
  /** Behaviour changes that a reply cannot express. */
  accept?: { missingToken?: boolean; anyToken?: boolean; invalidBodies?: boolean };
  /** A task never finishes. */
  neverFinish?: boolean;
  /** No callback is sent. */
  noCallback?: boolean;
  /** The callback is sent on this query of the task (while it still runs), not on the one that ends it. */
  earlyCallback?: number;
  /** Callback method. @default "POST" */
  callbackMethod?: string;
  /** The callback's retry schedule instead of the spec's (scaled) one. */
  callbackRetry?: {
    /** Waits before each retry; the length is the number of retries. */
    delaysMs?: readonly number[];
    /** Per-attempt timeout. */
    timeoutMs?: number;
    /** Keep sending the remaining attempts after a 2xx. */
    afterSuccess?: boolean;
  };
}

/** The drift server's callback timing runs this many times faster than the spec's. */
export const DRIFT_TIME_SCALE = 5;

const create = operations.createVideoGeneration.responses;
const query = operations.getTaskDetail.responses;

/** The task states by query count: the spec's order, one step per query. */
const STEPS = [
  { status: "pending", progress: 0 },
  { status: "processing", progress: 30 },
  { status: "processing", progress: 60 },
] as const;

/** 24 bytes that open like an MP4 file (an ISO BMFF `ftyp` box). */
const TINY_MP4 = Buffer.from([
  0, 0, 0, 24, 0x66, 0x74, 0x79, 0x70, 0x69, 0x73, 0x6f, 0x6d, 0, 0, 2, 0, 0x69, 0x73, 0x6f, 0x6d, 0x6d, 0x70, 0x34,
  0x31,
]);

function json(status: number, body: unknown, headers: Record<string, string> = {}): Reply {
  return { status, headers: { "content-type": "application/json", ...headers }, body };
}

function isLoopbackHttp(url: unknown): boolean {
  if (typeof url !== "string") return false;
  try {
    const parsed = new URL(url);
    return parsed.hostname === "127.0.0.1" && (parsed.protocol === "http:" || parsed.protocol === "https:");
  } catch {
    return false;
  }
}

/** A running drift server. */
export interface DriftServer {
  url: string;
  tasks: Map<string, DriftTask>;
  /** Switches the deviation (tests that share one server, e.g. behind one proxy). */
  setDeviation(next: Deviation): void;
  close(): Promise<void>;
}

let serial = 0;

/** Starts the drift server on 127.0.0.1 with one deviation (none: faithful). */
export async function startDriftServer(initial: Deviation = {}): Promise<DriftServer> {
  let deviation = initial;
  const timing = callbackTiming(DRIFT_TIME_SCALE);
  const closing = new AbortController();
  const tasks = new Map<string, DriftTask>();
  let baseUrl = "";
  const deviate = (point: DriftPoint, reply: Reply, task?: DriftTask, poll?: number): Reply =>
    deviation.reply
      ? deviation.reply(point, reply, { baseUrl, ...(task ? { task } : {}), ...(poll ? { poll } : {}) })
      : reply;
  const fail = (reply: Reply) => deviate("error", reply);

  function detail(task: DriftTask): Record<string, unknown> {
    const step = deviation.neverFinish ? Math.min(task.polls, STEPS.length) : task.polls;
    const base = {
      created: 1757169743,
      id: task.id,
      model: "kling-o1-video-edit",
      object: "video.generation.task",
      type: "video",
    };
    const running = STEPS[Math.min(step - 1, STEPS.length - 1)];
    if (step <= STEPS.length && running) {
      return { ...base, ...running, task_info: { can_cancel: running.status === "pending", estimated_time: 30 } };
    }
    if (task.fails) {
      const failed = query["200"].body.examples.video_failed;
      return { ...base, status: "failed", progress: 60, error: { ...failed.error }, task_info: { can_cancel: false } };
    }
    return {
      ...base,
      status: "completed",
      progress: 100,
      results: [`${baseUrl}/results/${task.id}.mp4`],
      task_info: { can_cancel: false },
    };
  }

  async function sendCallback(task: DriftTask, body: Record<string, unknown>): Promise<void> {
    if (!task.callbackUrl || task.callbackSent || deviation.noCallback) return;
    task.callbackSent = true;
    const url = task.callbackUrl;
    const reply = deviate("callback", json(200, body), task);
    const retry = deviation.callbackRetry ?? {};
    const delays = retry.delaysMs ?? timing.retryDelaysMs;
    const signal = closing.signal;
    for (let i = 0; i <= delays.length && !signal.aborted; i++) {
      if (i > 0) await new Promise((resolve) => setTimeout(resolve, delays[i - 1] ?? 0));
      if (signal.aborted) return;
      // A CallScope, not AbortSignal.any([AbortSignal.timeout(ms), signal]): Node 20 holds a timeout inside `any` only
      // weakly, and one garbage collection left a slow receiver waited for to its end (nodejs/node#57736).
      const scope = new CallScope(signal, retry.timeoutMs ?? timing.timeoutMs);
      const status = await fetch(url, {
        method: deviation.callbackMethod ?? "POST",
        headers: reply.headers,
        body: typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body),
        signal: scope.signal,
      })
        .then(
          async (r) => {
            await r.body?.cancel();
            return r.status;
          },
          () => 0,
        )
        .finally(() => scope.dispose());
      if (status >= 200 && status < 300 && !retry.afterSuccess) return;
    }
  }

  async function handle(req: IncomingMessage, text: string): Promise<Reply | Buffer> {
    const url = new URL(req.url ?? "/", baseUrl);
    const result = /^\/results\/(.+)\.mp4$/.exec(url.pathname);
    if (req.method === "GET" && result) {
      const task = tasks.get(result[1] ?? "");
      const reply = task ? { status: 200, headers: { "content-type": "video/mp4" }, body: TINY_MP4 } : json(404, {});
      return deviate("result", reply, task);
    }
    const auth = /^Bearer (\S+)$/.exec(req.headers.authorization ?? "")?.[1];
    const authorised =
      auth === DRIFT_TOKEN ||
      (auth !== undefined && deviation.accept?.anyToken) ||
      (auth === undefined && deviation.accept?.missingToken);
    if (!authorised) return fail(json(401, structuredClone(create["401"].body.example)));

    if (req.method === "POST" && url.pathname === "/v1/videos/generations") {
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        return fail(json(400, { error: { code: 400, message: "body is not JSON", type: "invalid_request_error" } }));
      }
      const callbackUrl = (body as { callback_url?: unknown } | null)?.callback_url;
      const violations = checkCreateRequest(body).filter(
        (v) => !(v.param === "callback_url" && isLoopbackHttp(callbackUrl)),
      );
      const first = violations[0];
      if (first && !deviation.accept?.invalidBodies) {
        const error = { code: 400, message: first.message, type: "invalid_request_error", param: first.param };
        return fail(json(400, { error }));
      }
      serial += 1;
      const task: DriftTask = {
        id: `task-unified-1757169743-drift${String(serial).padStart(3, "0")}`,
        fails: /scenario=fails/.test(String(req.headers.prefer ?? "")),
        callbackUrl: typeof callbackUrl === "string" ? callbackUrl : undefined,
        polls: 0,
        callbackSent: false,
      };
      tasks.set(task.id, task);
      const created = structuredClone(create["200"].body.example) as Record<string, unknown>;
      return deviate("create", json(200, { ...created, id: task.id }), task);
    }

    const queried = /^\/v1\/tasks\/([^/]+)$/.exec(url.pathname);
    if (req.method === "GET" && queried) {
      const id = decodeURIComponent(queried[1] ?? "");
      if (!id.startsWith("task-unified-")) return fail(json(400, structuredClone(query["400"].body.example)));
      const task = tasks.get(id);
      if (!task) return fail(json(404, structuredClone(query["404"].body.example)));
      task.polls += 1;
      const poll = task.polls;
      const body = detail(task);
      const ended = body.status === "completed" || body.status === "failed";
      if (ended || task.polls === deviation.earlyCallback) void sendCallback(task, body);
      return deviate("task", json(200, body), task, poll);
    }
    return json(404, { error: { code: 404, message: "no such route", type: "not_found_error" } });
  }

  function write(res: ServerResponse, reply: Reply | Buffer): void {
    const r = Buffer.isBuffer(reply) ? { status: 200, headers: {}, body: reply } : reply;
    if (r.status < 0) {
      res.socket?.destroy(); // a reset: no answer at all
      return;
    }
    const payload = Buffer.isBuffer(r.body) ? r.body : typeof r.body === "string" ? r.body : JSON.stringify(r.body);
    res.writeHead(r.status, r.headers).end(payload);
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      handle(req, Buffer.concat(chunks).toString("utf8")).then(
        (reply) => write(res, reply),
        (error: Error) => write(res, json(500, { error: { code: 500, message: error.message } })),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: baseUrl,
    tasks,
    setDeviation: (next) => {
      deviation = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        closing.abort();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
