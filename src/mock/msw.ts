/**
 * The mock as MSW request handlers (msw 2.x): the same engine and replies as the server, without a server, for the
 * browser (service worker) and for component tests (`setupServer` from `msw/node`).
 *
 * @example
 * import { setupServer } from "msw/node";
 * import { createMockHandlers } from "kling-o1-video-edit/mock/msw";
 * const mock = createMockHandlers({ speed: 1000, seed: 1 });
 * const server = setupServer(...mock.handlers);
 * server.listen();
 */
import { HttpResponse, http, type RequestHandler } from "msw";
import { operations } from "../../generated/operations.js";
import type { components } from "../../generated/schema.js";
import { SPEC_SERVER_URL } from "../../generated/spec-meta.js";
import { MockApi, type MockApiOptions, type MockReply } from "./api.js";
import {
  type MockEngine,
  RESULT_PATH_PREFIX,
  type TaskDetail,
  type VideoGenerationRequest,
  type VideoGenerationResponse,
} from "./engine.js";
import { replyToResponse } from "./web.js";

type ErrorResponse = components["schemas"]["ErrorResponse"];
type TaskQueryErrorResponse = components["schemas"]["TaskQueryErrorResponse"];

/** Options of {@link createMockHandlers}: the API's, plus the base URL to intercept. */
export interface MockHandlersOptions extends Omit<MockApiOptions, "baseUrl"> {
  /**
   * The API base URL the handlers intercept and result links point at (the client's `baseUrl`).
   * @default SPEC_SERVER_URL (the spec's production server, which the client uses by default)
   */
  baseUrl?: string;
}

/** The handlers, and the API behind them (to read tasks, reset between tests, or stop callbacks). */
export interface MockHandlers {
  /** Pass to `setupServer(...handlers)` or `setupWorker(...handlers)`. */
  handlers: RequestHandler[];
  /** The API (admin snapshot, reset, sweep, close). */
  api: MockApi;
  /** The lifecycle engine (seed, speed, tasks). */
  engine: MockEngine;
}

/** The response for a reply; `reset` is a network error, `hang` waits until the request is aborted. */
async function toResponse<T extends object>(reply: MockReply, request: Request): Promise<HttpResponse<T>> {
  let response: Response;
  if (reply.kind === "reset") {
    response = HttpResponse.error();
  } else if (reply.kind === "hang") {
    // No timer (msw's delay("infinite") holds one): the promise ends only when the caller aborts.
    await new Promise<void>((resolve) => {
      if (request.signal.aborted) resolve();
      request.signal.addEventListener("abort", () => resolve(), { once: true });
    });
    response = HttpResponse.error();
  } else {
    response = replyToResponse(reply);
    if (response.type !== "error")
      response.headers.set("x-request-id", `req_${crypto.randomUUID().replaceAll("-", "")}`);
  }
  // msw types a handler's answer by its JSON body; a web Response carries the same body (or a deliberate fault).
  return response as HttpResponse<T>;
}

function input(request: Request) {
  return { authorization: request.headers.get("authorization"), prefer: request.headers.get("prefer") };
}

/**
 * Builds MSW handlers for every operation in the spec (`POST /v1/videos/generations`, `GET /v1/tasks/{task_id}`),
 * the result files and the admin endpoints, under `baseUrl`. Scenarios work as on the server (`Prefer:
 * scenario=NAME` or `scenario`); `reset` answers with a network error, `hang` never answers until aborted.
 */
export function createMockHandlers(options: MockHandlersOptions = {}): MockHandlers {
  const baseUrl = (options.baseUrl ?? SPEC_SERVER_URL).replace(/\/+$/, "");
  const api = new MockApi({ ...options, baseUrl });
  const taskPath = operations.getTaskDetail.path.replace("{task_id}", ":task_id");

  const handlers = [
    http.post<Record<string, never>, VideoGenerationRequest, VideoGenerationResponse | ErrorResponse>(
      `${baseUrl}${operations.createVideoGeneration.path}`,
      async ({ request }) => toResponse(api.create({ ...input(request), bodyText: await request.text() }), request),
    ),
    http.get<{ task_id: string }, never, TaskDetail | TaskQueryErrorResponse | ErrorResponse>(
      `${baseUrl}${taskPath}`,
      ({ request, params }) => toResponse(api.getTask({ ...input(request), taskId: params.task_id }), request),
    ),
    ...(["get", "head"] as const).map((method) =>
      http[method]<{ file: string }>(`${baseUrl}${RESULT_PATH_PREFIX}:file`, ({ request, params }) =>
        toResponse(
          api.result({
            file: params.file,
            range: request.headers.get("range"),
            prefer: request.headers.get("prefer"),
            head: method === "head",
          }),
          request,
        ),
      ),
    ),
    http.get(`${baseUrl}/__mock/tasks`, () => HttpResponse.json(api.snapshot())),
    http.post(`${baseUrl}/__mock/reset`, () => {
      api.reset();
      return HttpResponse.json({ reset: true });
    }),
  ];
  return { handlers, api, engine: api.engine };
}
