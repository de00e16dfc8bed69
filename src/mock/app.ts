/**
 * The mock's HTTP surface on Hono: routes, CORS, request ids, and the admin endpoints, over a {@link MockApi}.
 */
import { type Context, Hono } from "hono";
import { cors } from "hono/cors";
import { requestId } from "hono/request-id";
import { operations } from "../../generated/operations.js";
import type { MockApi, MockReply } from "./api.js";
import { RESULT_PATH_PREFIX } from "./engine.js";
import { replyToResponse } from "./web.js";

/** The header every response carries, and CORS exposes, with the request's id. */
export const REQUEST_ID_HEADER = "x-request-id";

/** How a transport produces the two faults that have no response. */
export interface FaultHooks {
  /** Drop the connection (the Node server destroys the socket). */
  reset(c: Context): Response | Promise<Response>;
  /** Never answer; resolve only when the client or the server gives up. */
  hang(c: Context): Promise<Response>;
  /**
   * Send the headers and the first half of a result file, then drop the connection. Without it the body is a stream
   * that fails half-way (what a `fetch` caller sees either way).
   */
  truncate?(c: Context, reply: Extract<MockReply, { kind: "bytes" }>): Response;
}

/**
 * Builds the Hono app. CORS allows any origin (no cookies are involved: the API authenticates with a bearer token),
 * the headers the client sends (`Authorization`, `Content-Type`, `Prefer`, `Range`), and exposes the ones it reads.
 */
export function createMockApp(api: MockApi, faults: FaultHooks): Hono {
  const app = new Hono();
  app.use(
    "*",
    requestId({ headerName: REQUEST_ID_HEADER, generator: () => `req_${crypto.randomUUID().replaceAll("-", "")}` }),
  );
  app.use(
    "*",
    cors({
      origin: "*",
      allowMethods: ["GET", "HEAD", "POST", "OPTIONS"],
      allowHeaders: ["Authorization", "Content-Type", "Prefer", "Range", "X-Request-Id"],
      exposeHeaders: [REQUEST_ID_HEADER, "Retry-After", "Content-Length", "Content-Range", "Accept-Ranges"],
      maxAge: 600,
    }),
  );

  const send = (c: Context, reply: MockReply): Response | Promise<Response> => {
    if (reply.kind === "reset") return faults.reset(c);
    if (reply.kind === "hang") return faults.hang(c);
    if (reply.kind === "bytes" && reply.truncate && faults.truncate) return faults.truncate(c, reply);
    return replyToResponse(reply);
  };

  const input = (c: Context) => ({
    authorization: c.req.header("authorization") ?? null,
    prefer: c.req.header("prefer") ?? null,
  });

  app.post(operations.createVideoGeneration.path, async (c) => {
    const bodyText = await c.req.text();
    return send(c, api.create({ ...input(c), bodyText }));
  });

  app.get(operations.getTaskDetail.path.replace("{task_id}", ":task_id"), (c) =>
    send(c, api.getTask({ ...input(c), taskId: c.req.param("task_id") ?? "", origin: new URL(c.req.url).origin })),
  );

  app.on(["GET", "HEAD"], `${RESULT_PATH_PREFIX}:file`, (c) =>
    send(
      c,
      api.result({
        file: c.req.param("file") ?? "",
        range: c.req.header("range") ?? null,
        prefer: c.req.header("prefer") ?? null,
        head: c.req.method === "HEAD",
      }),
    ),
  );

  app.get("/__mock/tasks", (c) => c.json(api.snapshot()));
  app.post("/__mock/reset", (c) => {
    api.reset();
    return c.json({ reset: true });
  });

  app.notFound((c) =>
    c.json(
      {
        error: {
          code: 404,
          message: `No route for ${c.req.method} ${c.req.path}: the API has POST ${operations.createVideoGeneration.path} and GET ${operations.getTaskDetail.path}`,
          type: "not_found_error",
        },
      },
      404,
    ),
  );
  // A bug in the mock still answers in the spec's shape (its documented 500 example).
  app.onError((_error, c) => c.json(structuredClone(operations.getTaskDetail.responses["500"].body.example), 500));
  return app;
}
