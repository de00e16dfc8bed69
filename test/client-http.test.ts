/**
 * The client against a real local node:http server: the faults happen on real sockets (resets, hangs, refused
 * connections), and the server counts what it received, so "no duplicate create" is checked where it matters.
 */
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import {
  APIConnectionError,
  APIError,
  APITimeoutError,
  APIUserAbortError,
  ContractViolationError,
  createKlingClient,
  InternalServerError,
  RateLimitError,
  ServiceUnavailableError,
  UpstreamError,
} from "../src/index.js";
import { created, params, TASK_ID, taskDetail } from "./support/fake-fetch.js";
import { slept } from "./support/instant-sleep.js";

// Retry back-offs take no real time here (500 ms + 1 s per retried fault was most of this file's time); the delays
// asked for are in `slept` and checked below.
vi.mock("../src/internal/scope.js", async (original) =>
  (await import("./support/instant-sleep.js")).instantSleep(original),
);

type Fault = "ok" | "429" | "503" | "503-gateway" | "408" | "500" | "502" | "reset" | "hang" | "malformed" | "cut-body";

let server: http.Server;
let base: string;
let fault: Fault = "ok";
/** POST bodies fully received: each could have created (and billed) a task. */
let postsReceived = 0;
/** Tasks the server created: every received POST except those refused with 429/503. */
let tasksCreated = 0;
let getsReceived = 0;
const sockets = new Set<net.Socket>();

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on("end", () => {
      const isPost = req.method === "POST";
      if (isPost) postsReceived++;
      else getsReceived++;
      const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { "content-type": "application/json", ...headers });
        res.end(JSON.stringify(payload));
      };
      if (fault === "429")
        return send(
          429,
          { error: { code: 429, message: "Rate limit exceeded", type: "rate_limit_error" } },
          { "retry-after": "0" },
        );
      if (fault === "503")
        return send(
          503,
          { error: { code: 503, message: "Unavailable", type: "service_unavailable_error" } },
          { "retry-after": "0" },
        );
      if (isPost) tasksCreated++;
      switch (fault) {
        case "ok":
          return send(200, isPost ? created : taskDetail("completed"));
        case "500":
          return send(
            500,
            { error: { code: 500, message: "Internal server error", type: "internal_server_error" } },
            { "retry-after": "0" },
          );
        case "502":
          return send(
            502,
            { error: { code: 502, message: "Upstream AI service unavailable", type: "upstream_error" } },
            { "retry-after": "0" },
          );
        // A load balancer's own answers, after it forwarded the request (issue 11, item 2).
        case "503-gateway":
          res.writeHead(503, { "content-type": "text/html", "retry-after": "0" });
          res.end("<html><body>503 Service Temporarily Unavailable</body></html>");
          return;
        case "408":
          res.writeHead(408, { "content-type": "text/plain" });
          res.end("Request Timeout");
          return;
        case "reset":
          req.socket.resetAndDestroy();
          return;
        case "hang":
          return; // never answers
        case "malformed":
          res.writeHead(200, { "content-type": "application/json" });
          res.end('{"id": "task-unified-');
          return;
        case "cut-body":
          res.writeHead(200, { "content-type": "application/json", "content-length": "500" });
          res.write('{"id": "task-unified-');
          setTimeout(() => req.socket.destroy(), 10);
          return;
      }
      void body;
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  fault = "ok";
  postsReceived = 0;
  tasksCreated = 0;
  getsReceived = 0;
  slept.length = 0;
});

const client = (options: Parameters<typeof createKlingClient>[0] = {}) =>
  createKlingClient({ apiKey: "k-http-test-123", baseUrl: base, timeoutMs: 2_000, ...options });

describe("creates at a real server: never a duplicate in the default mode", () => {
  const table: [Fault, { error: abstract new (...args: never[]) => Error; posts: number; created: number }][] = [
    ["429", { error: RateLimitError, posts: 3, created: 0 }],
    ["503", { error: ServiceUnavailableError, posts: 3, created: 0 }],
    ["503-gateway", { error: ServiceUnavailableError, posts: 1, created: 1 }],
    ["408", { error: APIError, posts: 1, created: 1 }],
    ["500", { error: InternalServerError, posts: 1, created: 1 }],
    ["502", { error: UpstreamError, posts: 1, created: 1 }],
    ["reset", { error: APIConnectionError, posts: 1, created: 1 }],
    ["hang", { error: APITimeoutError, posts: 1, created: 1 }],
    ["malformed", { error: ContractViolationError, posts: 1, created: 1 }],
    ["cut-body", { error: APIConnectionError, posts: 1, created: 1 }],
  ];
  it.each(table)("%s", async (f, want) => {
    fault = f;
    // Only the hang needs a short deadline; the others end on their own, and on a loaded machine a cold first call
    // with two retries has outrun 500 ms (the 429 case then ended as a timeout).
    const err = await client({ timeoutMs: f === "hang" ? 500 : 5_000 })
      .edits.create(params)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(want.error);
    expect(postsReceived).toBe(want.posts);
    expect(tasksCreated).toBe(want.created);
  });

  it("retries a refused connection (nothing reached a server) and reports ECONNREFUSED", async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    let attempts = 0;
    const counting: typeof fetch = (input, init) => {
      attempts++;
      return fetch(input, init);
    };
    const err = (await createKlingClient({
      apiKey: "k-http-test-123",
      baseUrl: `http://127.0.0.1:${port}`,
      maxRetries: 1,
      fetch: counting,
    })
      .edits.create(params)
      .catch((e: unknown) => e)) as APIConnectionError;
    expect(err).toBeInstanceOf(APIConnectionError);
    expect(err.code).toBe("ECONNREFUSED");
    expect(attempts).toBe(2);
    // The one retry waited the first back-off (500 ms less up to 25% jitter).
    expect(slept).toHaveLength(1);
    expect(slept[0]).toBeGreaterThanOrEqual(375);
    expect(slept[0]).toBeLessThanOrEqual(500);
  });

  it("with retryUnsafe the same faults do resend (the documented risk)", async () => {
    fault = "500";
    await client({ retryUnsafe: true })
      .edits.create(params)
      .catch(() => {});
    expect(postsReceived).toBe(3);
    expect(tasksCreated).toBe(3);
  });
});

describe("GETs at a real server", () => {
  it.each(["500", "502", "503", "reset", "cut-body"] as const)("retries %s up to maxRetries", async (f) => {
    fault = f;
    await expect(client().tasks.get(TASK_ID)).rejects.toBeInstanceOf(Error);
    expect(getsReceived).toBe(3);
    // Each retry waited: the server's Retry-After: 0 when it sent one, else the back-off (500 ms, then 1 s, less
    // up to 25% jitter).
    expect(slept).toHaveLength(2);
    if (f === "reset" || f === "cut-body") {
      expect(slept[0]).toBeGreaterThanOrEqual(375);
      expect(slept[0]).toBeLessThanOrEqual(500);
      expect(slept[1]).toBeGreaterThanOrEqual(750);
      expect(slept[1]).toBeLessThanOrEqual(1000);
    } else expect(slept).toEqual([0, 0]);
  });

  it("times out a hanging GET at the total deadline", async () => {
    fault = "hang";
    await expect(client({ timeoutMs: 300 }).tasks.get(TASK_ID)).rejects.toBeInstanceOf(APITimeoutError);
  });

  // Found by the batch helper: a wait's deadline reached its poll as the caller's abort (APIUserAbortError cause).
  it("a wait's deadline during a hanging poll is a timeout all the way down, not the caller's abort", async () => {
    fault = "hang";
    const err = await client({ timeoutMs: 5_000 })
      .tasks.wait(TASK_ID, { timeoutMs: 300 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(APITimeoutError);
    expect((err as Error).cause).not.toBeInstanceOf(APIUserAbortError);
    expect(String((err as Error).cause)).not.toMatch(/Aborted by the caller/);
  });

  it("aborts a hanging GET", async () => {
    fault = "hang";
    const controller = new AbortController();
    const outcome = client()
      .tasks.get(TASK_ID, { signal: controller.signal })
      .catch((e: unknown) => e);
    setTimeout(() => controller.abort(), 50);
    expect(await outcome).toBeInstanceOf(APIUserAbortError);
  });

  it("completes a wait against the server", async () => {
    await expect(client().tasks.wait(TASK_ID)).resolves.toMatchObject({ status: "completed" });
    expect(getsReceived).toBe(1);
  });
});
