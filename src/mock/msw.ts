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
import { SPEC_SERVER_URL } from "../../generated/spec-meta.js";
import { MockApi, type MockApiOptions, type MockControls } from "./api.js";
import type { MockEngine } from "./engine.js";
import { MAX_BODY_BYTES, type MockReply, tooLarge } from "./reply.js";
import { newRequestId, REQUEST_ID_HEADER, ROUTES } from "./routes.js";
import { replyToResponse } from "./web.js";

/** Options of {@link createMockHandlers}: the API's, plus the base URL to intercept. */
export interface MockHandlersOptions extends Omit<MockApiOptions, "baseUrl"> {
  /**
   * The API base URL the handlers intercept and result links point at (the client's `baseUrl`).
   * @default SPEC_SERVER_URL (the spec's production server, which the client uses by default)
   */
  baseUrl?: string;
}

/**
 * The handlers, the API behind them (to read tasks, reset between tests, or stop callbacks), and the controls a test
 * drives the mock with: `mock.complete(id)`, `mock.fail(id, { code, message })`, `mock.expire(id)`,
 * `mock.setProgress(id, 40)`, `mock.pause()`, `mock.advance(60_000)`, `mock.setSpeed(100)`, `mock.setScenario(name)`.
 */
export interface MockHandlers extends MockControls {
  /** Pass to `setupServer(...handlers)` or `setupWorker(...handlers)`. */
  handlers: RequestHandler[];
  /** The API (admin snapshot, reset, sweep, close). */
  api: MockApi;
  /** The lifecycle engine (seed, speed, tasks). */
  engine: MockEngine;
}

/** The response for a reply; `reset` is a network error, `hang` waits until the request is aborted. */
async function toResponse(reply: MockReply, request: Request): Promise<Response> {
  if (reply.kind === "reset") return HttpResponse.error();
  if (reply.kind === "hang") {
    // No timer (msw's delay("infinite") holds one): the promise ends only when the caller aborts.
    await new Promise<void>((resolve) => {
      if (request.signal.aborted) resolve();
      request.signal.addEventListener("abort", () => resolve(), { once: true });
    });
    return HttpResponse.error();
  }
  const response = replyToResponse(reply);
  if (!response.headers.has(REQUEST_ID_HEADER)) response.headers.set(REQUEST_ID_HEADER, newRequestId());
  return response;
}

const METHODS = { GET: http.get, HEAD: http.head, POST: http.post } as const;

/**
 * Builds MSW handlers for every route of the mock (routes.ts: `POST /v1/videos/generations`,
 * `GET /v1/tasks/{task_id}`, the result files, the admin endpoints and controls) under `baseUrl`. Scenarios work as
 * on the server (`Prefer: scenario=NAME` or `scenario`); `reset` answers with a network error, `hang` never answers
 * until aborted.
 */
export function createMockHandlers(options: MockHandlersOptions = {}): MockHandlers {
  const baseUrl = (options.baseUrl ?? SPEC_SERVER_URL).replace(/\/+$/, "");
  const api = new MockApi({ ...options, baseUrl });
  const handlers = ROUTES.flatMap((route) =>
    route.methods.map((method) =>
      METHODS[method](`${baseUrl}${route.path}`, async ({ request, params }) => {
        const text = method === "POST" ? await request.text() : "";
        if (new TextEncoder().encode(text).length > MAX_BODY_BYTES) return toResponse(tooLarge(), request);
        const reply = await route.handle(api, {
          params: params as Record<string, string>,
          header: (name) => request.headers.get(name),
          text: async () => text,
          url: new URL(request.url),
          base: baseUrl,
          method,
        });
        return toResponse(reply, request);
      }),
    ),
  );
  return {
    handlers,
    api,
    engine: api.engine,
    complete: (id) => api.complete(id),
    fail: (id, error) => api.fail(id, error),
    expire: (id) => api.expire(id),
    setProgress: (id, progress) => api.setProgress(id, progress),
    pause: () => api.pause(),
    resume: () => api.resume(),
    advance: (ms) => api.advance(ms),
    setSpeed: (speed) => api.setSpeed(speed),
    setScenario: (name) => api.setScenario(name),
  };
}
