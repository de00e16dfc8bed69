/**
 * The mock's routes, once, for both transports: the Hono server (app.ts) and the MSW handlers (msw.ts) register
 * every route of this table and turn its reply into a response. Paths use the `:param` syntax both understand.
 */
import { operations } from "../../generated/operations.js";
import type { MockApi } from "./api.js";
import { parseDurationMs } from "./clock.js";
import { RESULT_PATH_PREFIX, TransitionError } from "./engine.js";
import { errorReply, json, type MockReply } from "./reply.js";
import type { ScenarioName } from "./scenarios.js";

/** The header every response carries, and CORS exposes, with the request's id. */
export const REQUEST_ID_HEADER = "x-request-id";

/** A request id in the API's shape: `req_` and 32 hex digits. */
export function newRequestId(): string {
  return `req_${crypto.randomUUID().replaceAll("-", "")}`;
}

/** Where the admin surface lives (the control page is its root, `/__mock/`). */
export const ADMIN_PREFIX = "/__mock";

/** A request as a route reads it, whatever transport carried it. */
export interface RouteRequest {
  /** The path parameters, by name. */
  params: Readonly<Record<string, string>>;
  /** A request header, or null. */
  header(name: string): string | null;
  /** The body's text (the transport has already refused one over the size limit). */
  text(): Promise<string>;
  /** The full URL the client asked for. */
  url: URL;
  /** The base URL the client reached the API at (result links point below it). */
  base: string;
  /** Upper-case method. */
  method: string;
}

/** One route: methods, a path below the base URL, whether it is an admin route, and its answer. */
export interface Route {
  methods: readonly ("GET" | "HEAD" | "POST")[];
  path: string;
  /** Admin routes answer only the mock's own origin (and any the server was told to allow). */
  admin: boolean;
  handle(api: MockApi, request: RouteRequest): MockReply | Promise<MockReply>;
}

function common(request: RouteRequest) {
  return {
    authorization: request.header("authorization"),
    prefer: request.header("prefer"),
    origin: request.base,
    search: request.url.search,
  };
}

/** A control's JSON body: `{}` when empty, a 400 reply when it is not a JSON object. */
async function controlBody(request: RouteRequest): Promise<{ body: Record<string, unknown> } | { refused: MockReply }> {
  const text = (await request.text()).trim();
  if (text === "") return { body: {} };
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      return { body: value as Record<string, unknown> };
    }
  } catch {
    // answered below
  }
  return { refused: errorReply(400, "invalid_request_error", "A control's body must be a JSON object (or empty)") };
}

const ERROR_TYPES = { 400: "invalid_request_error", 404: "not_found_error", 409: "conflict_error" } as const;

/** Runs a control; its refusal (an unknown task, a transition the lifecycle forbids, a bad value) is the reply. */
function control(
  run: (api: MockApi, body: Record<string, unknown>, params: Readonly<Record<string, string>>) => unknown,
): Route["handle"] {
  return async (api, request) => {
    const read = await controlBody(request);
    if ("refused" in read) return read.refused;
    try {
      return json(200, run(api, read.body, request.params));
    } catch (error) {
      if (!(error instanceof TransitionError)) throw error;
      return errorReply(error.status, ERROR_TYPES[error.status], error.message);
    }
  };
}

function optionalString(body: Record<string, unknown>, key: string): string | undefined {
  const value = body[key];
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string") throw new TransitionError(`${key} must be a string`, 400);
  return value;
}

/** A duration from `{ "ms": 30000 }` or `{ "by": "30s" }`. */
function durationOf(body: Record<string, unknown>): number {
  if (typeof body.ms === "number") return body.ms;
  const by = typeof body.by === "string" ? parseDurationMs(body.by) : undefined;
  if (by === undefined) throw new TransitionError('advance takes { "ms": 30000 } or { "by": "30s" }', 400);
  return by;
}

function numberOf(body: Record<string, unknown>, ...keys: string[]): number {
  for (const key of keys) {
    const value = body[key];
    if (typeof value === "number") return value;
    if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value))) return Number(value);
  }
  throw new TransitionError(`a number is required in ${keys.map((k) => `"${k}"`).join(" or ")}`, 400);
}

const taskControl = (name: string) => `${ADMIN_PREFIX}/tasks/:task_id/${name}`;

/** Every route of the mock, API first. */
export const ROUTES: readonly Route[] = [
  {
    methods: ["POST"],
    path: operations.createVideoGeneration.path,
    admin: false,
    handle: async (api, request) => api.create({ ...common(request), bodyText: await request.text() }),
  },
  {
    methods: ["GET"],
    path: operations.getTaskDetail.path.replace("{task_id}", ":task_id"),
    admin: false,
    handle: (api, request) => api.getTask({ ...common(request), taskId: request.params.task_id ?? "" }),
  },
  {
    methods: ["GET", "HEAD"],
    path: `${RESULT_PATH_PREFIX}:file`,
    admin: false,
    handle: (api, request) =>
      api.result({
        file: request.params.file ?? "",
        range: request.header("range"),
        prefer: request.header("prefer"),
        head: request.method === "HEAD",
      }),
  },
  { methods: ["GET"], path: `${ADMIN_PREFIX}/tasks`, admin: true, handle: (api) => json(200, api.snapshot()) },
  {
    methods: ["POST"],
    path: `${ADMIN_PREFIX}/reset`,
    admin: true,
    handle: (api) => {
      api.reset();
      return json(200, { reset: true });
    },
  },
  {
    methods: ["POST"],
    path: taskControl("complete"),
    admin: true,
    handle: control((api, _body, params) => ({ task: api.complete(params.task_id ?? "") })),
  },
  {
    methods: ["POST"],
    path: taskControl("fail"),
    admin: true,
    handle: control((api, body, params) => {
      const code = optionalString(body, "code");
      const message = optionalString(body, "message");
      return {
        task: api.fail(params.task_id ?? "", { ...(code ? { code } : {}), ...(message ? { message } : {}) }),
      };
    }),
  },
  {
    methods: ["POST"],
    path: taskControl("expire"),
    admin: true,
    handle: control((api, _body, params) => ({ task: api.expire(params.task_id ?? "") })),
  },
  {
    methods: ["POST"],
    path: taskControl("progress"),
    admin: true,
    handle: control((api, body, params) => ({
      task: api.setProgress(params.task_id ?? "", numberOf(body, "progress", "value")),
    })),
  },
  {
    methods: ["POST"],
    path: `${ADMIN_PREFIX}/clock/pause`,
    admin: true,
    handle: control((api) => ({ clock: api.pause() })),
  },
  {
    methods: ["POST"],
    path: `${ADMIN_PREFIX}/clock/resume`,
    admin: true,
    handle: control((api) => ({ clock: api.resume() })),
  },
  {
    methods: ["POST"],
    path: `${ADMIN_PREFIX}/clock/advance`,
    admin: true,
    handle: control((api, body) => ({ clock: api.advance(durationOf(body)) })),
  },
  {
    methods: ["POST"],
    path: `${ADMIN_PREFIX}/clock/speed`,
    admin: true,
    handle: control((api, body) => ({ clock: api.setSpeed(numberOf(body, "speed")) })),
  },
  {
    methods: ["POST"],
    path: `${ADMIN_PREFIX}/scenario`,
    admin: true,
    handle: control((api, body) => ({
      scenario: api.setScenario(String(optionalString(body, "scenario") ?? "") as ScenarioName),
    })),
  },
];
