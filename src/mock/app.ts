/**
 * The mock's HTTP surface on Hono: the shared route table (routes.ts) behind request ids, CORS, a body size limit and
 * the admin origin rule, plus the control page at `/__mock/`.
 */
import { type Context, Hono, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { operations } from "../../generated/operations.js";
import type { MockApi } from "./api.js";
import { RESULT_PATH_PREFIX } from "./engine.js";
import { errorReply, MAX_BODY_BYTES, type MockReply, tooLarge } from "./reply.js";
import { ADMIN_PREFIX, newRequestId, REQUEST_ID_HEADER, ROUTES, type RouteRequest } from "./routes.js";
import { replyToResponse } from "./web.js";

export { REQUEST_ID_HEADER } from "./routes.js";

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

/** The app's context variables: the request's id, for transports that write a response themselves. */
export type MockAppEnv = { Variables: { requestId: string; stamped?: boolean } };

/** Options of {@link createMockApp}. */
export interface MockAppOptions {
  /**
   * Other origins whose pages may call the admin endpoints (`/__mock/...`, result files aside), or `"*"` for any.
   * Without it only the mock's own origin (the control page) and clients that send no `Origin` (curl, tests) may.
   * @default [] (none)
   */
  adminOrigins?: readonly string[] | "*";
}

/** The headers the API's CORS lets a page send and read. */
const API_CORS = {
  allowMethods: ["GET", "HEAD", "POST", "OPTIONS"],
  allowHeaders: ["Authorization", "Content-Type", "Prefer", "Range", "X-Request-Id"],
  exposeHeaders: [REQUEST_ID_HEADER, "Retry-After", "Content-Length", "Content-Range", "Accept-Ranges"],
  maxAge: 600,
};

/**
 * What hono's cors middleware (origin `*`) adds to an API answer, added by {@link createMockApp}'s `send` itself:
 * the middleware writes to `c.res` before the route runs, and Hono then rebuilds the route's Response around it (its
 * body read back as a stream, its headers copied), which was about a third of a GET's cost on @hono/node-server.
 * Preflights (OPTIONS) still go through the middleware.
 */
const API_CORS_HEADERS: Readonly<Record<string, string>> = {
  "access-control-allow-origin": "*",
  "access-control-expose-headers": API_CORS.exposeHeaders.join(","),
};

/** Whether `headers` has `name` (lower case), in any case. */
function hasHeader(headers: Record<string, string>, name: string): boolean {
  return Object.keys(headers).some((key) => key.toLowerCase() === name);
}

function isAdminPath(path: string): boolean {
  return (path === ADMIN_PREFIX || path.startsWith(`${ADMIN_PREFIX}/`)) && !path.startsWith(RESULT_PATH_PREFIX);
}

/** Security headers of the page: its own scripts only, no framing (a page cannot click the controls for a user). */
const PAGE_HEADERS = {
  "content-security-policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
  "x-frame-options": "DENY",
  "cache-control": "no-store",
};

/**
 * Builds the Hono app. The API's CORS allows any origin (no cookies are involved: the API authenticates with a
 * bearer token), the headers the client sends (`Authorization`, `Content-Type`, `Prefer`, `Range`), and exposes the
 * ones it reads. The admin endpoints answer no other origin unless `adminOrigins` names it: any web page could
 * otherwise read the tasks or reset the mock from the developer's browser.
 */
export function createMockApp(api: MockApi, faults: FaultHooks, options: MockAppOptions = {}): Hono<MockAppEnv> {
  const app = new Hono<MockAppEnv>();
  const allowed = options.adminOrigins ?? [];

  /** The request id (unless the reply carries its own: a replayed answer keeps the id it was recorded with) and CORS. */
  const stamp = (c: Context, reply: MockReply): Record<string, string> => {
    c.set("stamped", true);
    const cors = isAdminPath(c.req.path) ? {} : API_CORS_HEADERS;
    if ("headers" in reply && hasHeader(reply.headers, REQUEST_ID_HEADER)) return { ...cors };
    return { [REQUEST_ID_HEADER]: c.get("requestId"), ...cors };
  };

  const send = (c: Context, reply: MockReply): Response | Promise<Response> => {
    if (reply.kind === "reset") return faults.reset(c);
    if (reply.kind === "hang") return faults.hang(c);
    if (reply.kind === "bytes" && reply.truncate && faults.truncate) return faults.truncate(c, reply);
    return replyToResponse(reply, stamp(c, reply));
  };

  app.use("*", async (c, next) => {
    const id = newRequestId();
    c.set("requestId", id);
    await next();
    // Answers made by `send` carry it already (reading c.res.headers here would cost every GET a Headers object).
    if (!c.get("stamped") && !c.res.headers.has(REQUEST_ID_HEADER)) c.res.headers.set(REQUEST_ID_HEADER, id);
  });

  const apiCors = cors({ origin: "*", ...API_CORS });
  const adminCors = cors({ origin: (origin) => origin, allowMethods: ["GET", "POST", "OPTIONS"], maxAge: 600 });
  const originPolicy: MiddlewareHandler = async (c, next) => {
    // API answers get their CORS headers from `send` (API_CORS_HEADERS); preflights from the middleware.
    if (!isAdminPath(c.req.path)) return c.req.method === "OPTIONS" ? apiCors(c, next) : next();
    const origin = c.req.header("origin");
    if (origin === undefined || origin === new URL(c.req.url).origin) return next();
    if (allowed === "*" || allowed.includes(origin)) return adminCors(c, next);
    return send(
      c,
      errorReply(
        403,
        "permission_error",
        `The mock's admin endpoints answer only its own pages, not ${origin}: start the mock with --admin-origin ${origin} to allow it`,
      ),
    );
  };
  app.use("*", originPolicy);
  const limit = bodyLimit({ maxSize: MAX_BODY_BYTES, onError: (c) => send(c, tooLarge()) });
  // Only POSTs carry a body here; skipping the others keeps GETs off c.req.raw (costly to build on node-server).
  app.use("*", (c, next) => (c.req.method === "POST" ? limit(c, next) : next()));

  for (const route of ROUTES) {
    app.on([...route.methods], route.path, async (c) => {
      const url = new URL(c.req.url);
      const request: RouteRequest = {
        params: c.req.param() as Record<string, string>,
        header: (name) => c.req.header(name) ?? null,
        text: () => c.req.text(),
        url,
        base: url.origin,
        method: c.req.method,
      };
      return send(c, await route.handle(api, request));
    });
  }

  app.get(ADMIN_PREFIX, (c) => c.redirect(`${ADMIN_PREFIX}/`));
  app.get(`${ADMIN_PREFIX}/`, async (c) => {
    const { controlPageHtml } = await import("./page.js");
    return c.html(controlPageHtml(), 200, PAGE_HEADERS);
  });
  app.get(`${ADMIN_PREFIX}/page.js`, async (c) => {
    const { controlPageScript } = await import("./page.js");
    return c.body(controlPageScript(), 200, { ...PAGE_HEADERS, "content-type": "text/javascript; charset=utf-8" });
  });

  app.notFound((c) =>
    send(
      c,
      errorReply(
        404,
        "not_found_error",
        `No route for ${c.req.method} ${c.req.path}: the API has POST ${operations.createVideoGeneration.path} and GET ${operations.getTaskDetail.path}; the control page is ${ADMIN_PREFIX}/`,
      ),
    ),
  );
  // A bug in the mock still answers in the spec's shape (its documented 500 example).
  app.onError((_error, c) =>
    c.json(
      structuredClone(operations.getTaskDetail.responses["500"].body.example),
      500,
      isAdminPath(c.req.path) ? {} : API_CORS_HEADERS,
    ),
  );
  return app;
}
