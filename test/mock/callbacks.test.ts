import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { validateTaskDetail } from "../../generated/validators.js";
import { deliverCallback, realSleep } from "../../src/mock/callbacks.js";
import type { TaskDetail, VideoGenerationResponse } from "../../src/mock/engine.js";
import { type CallbackState, type MockServer, type MockServerOptions, startMockServer } from "../../src/mock/index.js";
import { collectGarbageEvery } from "../support/gc.js";
import { EXAMPLE_REQUEST, expectValid, FakeClock, headers } from "./helpers.js";

/** A local callback receiver: records each request and answers with the next planned status (then 200). */
class Sink {
  received: { method: string; url: string; contentType: string | undefined; body: unknown }[] = [];
  /** TCP connections accepted, whether or not a request followed. */
  connections = 0;
  plan: (number | "hang")[] = [];
  #server: Server = createServer((req, res) => this.#handle(req, res));
  #waiters: (() => void)[] = [];
  url = "";

  async start(): Promise<void> {
    this.#server.on("connection", () => {
      this.connections += 1;
    });
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/hooks/kling`;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Resolves once `count` requests have arrived. */
  async waitFor(count: number): Promise<void> {
    while (this.received.length < count) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    let text = "";
    req.on("data", (chunk) => {
      text += chunk;
    });
    req.on("end", () => {
      this.received.push({
        method: req.method ?? "",
        url: req.url ?? "",
        contentType: req.headers["content-type"],
        body: JSON.parse(text),
      });
      for (const wake of this.#waiters.splice(0)) wake();
      const next = this.plan.shift() ?? 200;
      if (next === "hang") return; // never answer: the sender's timeout must fire
      res.writeHead(next).end();
    });
  }
}

const sink = new Sink();
const servers: MockServer[] = [];
beforeAll(() => sink.start());
afterAll(() => sink.stop());
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  sink.received = [];
  sink.plan = [];
});

async function start(options: MockServerOptions & { sleeps?: number[] } = {}): Promise<MockServer> {
  const { sleeps, ...rest } = options;
  const server = await startMockServer({
    port: 0,
    allowLoopbackCallbacks: true,
    // Retry waits are recorded, not waited: the test stays fast and still sees the 1/2/4 s schedule.
    callbackSleep: async (ms) => {
      sleeps?.push(ms);
    },
    ...rest,
  });
  servers.push(server);
  return server;
}

async function createWithCallback(server: MockServer, extra: Record<string, string> = {}): Promise<string> {
  const res = await fetch(`${server.url}/v1/videos/generations`, {
    method: "POST",
    headers: headers(extra),
    body: JSON.stringify({ ...EXAMPLE_REQUEST, callback_url: sink.url }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as VideoGenerationResponse).id;
}

async function callbackOf(server: MockServer, id: string): Promise<CallbackState | null> {
  const state = (await (await fetch(`${server.url}/__mock/tasks`)).json()) as {
    tasks: { id: string; callback: CallbackState | null }[];
  };
  return state.tasks.find((t) => t.id === id)?.callback ?? null;
}

describe("callbacks", () => {
  it("POSTs the task, as GET returns it, to callback_url when it completes (fake clock: sent on the next request)", async () => {
    const clock = new FakeClock();
    const server = await start({ clock, seed: 3 });
    const id = await createWithCallback(server);
    expect(await callbackOf(server, id)).toMatchObject({ url: sink.url, state: "waiting", attempts: [] });
    const task = server.engine.get(id);
    if (!task) throw new Error("missing task");
    clock.ms = server.engine.terminalAt(task);
    const detail = (await (await fetch(`${server.url}/v1/tasks/${id}`, { headers: headers() })).json()) as TaskDetail;
    await server.api.idle();
    expect(sink.received).toHaveLength(1);
    const [call] = sink.received;
    expect(call?.method).toBe("POST");
    expect(call?.contentType).toBe("application/json");
    expectValid(validateTaskDetail, call?.body);
    expect(call?.body).toEqual(detail);
    expect(detail.status).toBe("completed");
    expect(await callbackOf(server, id)).toMatchObject({ state: "delivered", attempts: [{ attempt: 1, status: 200 }] });
  });

  it("sends a failed task's callback with its error", async () => {
    const clock = new FakeClock();
    const server = await start({ clock });
    const id = await createWithCallback(server, { prefer: "scenario=fails" });
    clock.advance(10 * 60 * 1000);
    server.api.sweep();
    await server.api.idle();
    expect(sink.received[0]?.body).toMatchObject({ id, status: "failed", error: { code: "video_download_failed" } });
  });

  it("retries after a non-2xx at 1/2 s and stops at the first 2xx", async () => {
    const clock = new FakeClock();
    const sleeps: number[] = [];
    const server = await start({ clock, sleeps });
    sink.plan = [500, 404, 204];
    const id = await createWithCallback(server);
    clock.advance(10 * 60 * 1000);
    server.api.sweep();
    await server.api.idle();
    expect(sink.received).toHaveLength(3);
    expect(sleeps).toEqual([1000, 2000]);
    const state = await callbackOf(server, id);
    expect(state?.state).toBe("delivered");
    expect(state?.attempts.map((a) => a.status)).toEqual([500, 404, 204]);
  });

  it("gives up after 3 retries at 1/2/4 s", async () => {
    const clock = new FakeClock();
    const sleeps: number[] = [];
    const server = await start({ clock, sleeps });
    sink.plan = [500, 502, 503, 500, 500];
    const id = await createWithCallback(server);
    clock.advance(10 * 60 * 1000);
    server.api.sweep();
    await server.api.idle();
    expect(sink.received).toHaveLength(4);
    expect(sleeps).toEqual([1000, 2000, 4000]);
    expect(await callbackOf(server, id)).toMatchObject({ state: "failed" });
    expect((await callbackOf(server, id))?.attempts.map((a) => a.attempt)).toEqual([1, 2, 3, 4]);
  });

  it("counts a receiver that does not answer within the timeout as a failed attempt, and retries", async () => {
    const clock = new FakeClock();
    const server = await start({ clock, callbackTimeoutMs: 100 });
    sink.plan = ["hang"];
    const id = await createWithCallback(server);
    clock.advance(10 * 60 * 1000);
    server.api.sweep();
    await server.api.idle();
    const state = await callbackOf(server, id);
    expect(state?.state).toBe("delivered");
    expect(state?.attempts[0]?.error).toMatch(/TimeoutError/);
    expect(state?.attempts[1]?.status).toBe(200);
  });

  it("sends callbacks on its own timer with the real clock, with nobody polling", async () => {
    const server = await start({ speed: 1_000_000 });
    const id = await createWithCallback(server);
    await sink.waitFor(1);
    expect(sink.received[0]?.body).toMatchObject({ id, status: "completed" });
  });

  it("reset drops pending callbacks", async () => {
    const clock = new FakeClock();
    const server = await start({ clock });
    await createWithCallback(server);
    await fetch(`${server.url}/__mock/reset`, { method: "POST" });
    clock.advance(10 * 60 * 1000);
    server.api.sweep();
    await server.api.idle();
    expect(sink.received).toEqual([]);
  });
});

describe("callback addresses (checked where the connection goes)", () => {
  /** A receiver URL whose name the test's resolver maps to `address`. */
  const named = (path = "/hooks/kling") => `https://hooks.example.com:${new URL(sink.url).port}${path}`;
  const resolveTo = (address: string) => async () => [{ address, family: address.includes(":") ? 6 : 4 }];

  it("refuses a public name that resolves to loopback, without connecting (like a line in /etc/hosts)", async () => {
    const clock = new FakeClock();
    const server = await start({ clock, allowLoopbackCallbacks: false, callbackResolve: resolveTo("127.0.0.1") });
    const res = await fetch(`${server.url}/v1/videos/generations`, {
      method: "POST",
      headers: headers(),
      body: JSON.stringify({ ...EXAMPLE_REQUEST, callback_url: named() }),
    });
    expect(res.status).toBe(200); // the URL itself names no internal host
    const id = ((await res.json()) as VideoGenerationResponse).id;
    const before = sink.connections;
    clock.advance(10 * 60 * 1000);
    server.api.sweep();
    await server.api.idle();
    const state = await callbackOf(server, id);
    expect(state?.state).toBe("failed");
    expect(state?.attempts[0]?.error).toMatch(/CallbackAddressError: .*internal address \(127\.0\.0\.1/);
    expect(sink.connections).toBe(before);
  });

  it("refuses a private address even when loopback receivers are allowed", async () => {
    const clock = new FakeClock();
    const server = await start({ clock, callbackResolve: resolveTo("10.1.2.3") });
    const id = await createWithCallback(server); // the sink's own loopback URL: allowed
    await fetch(`${server.url}/v1/videos/generations`, {
      method: "POST",
      headers: headers(),
      body: JSON.stringify({ ...EXAMPLE_REQUEST, callback_url: named() }),
    });
    clock.advance(10 * 60 * 1000);
    server.api.sweep();
    await server.api.idle();
    expect((await callbackOf(server, id))?.state).toBe("delivered");
    const other = server.engine.tasks().find((t) => t.id !== id);
    const refused = await callbackOf(server, other?.id ?? "");
    expect(refused?.attempts.map((a) => a.error)).toEqual(Array(4).fill(expect.stringMatching(/10\.1\.2\.3/)));
  });

  it("keeps the callback URL's query string (jobs add ?kling_job=<id> to reconcile a lost create)", async () => {
    const clock = new FakeClock();
    const server = await start({ clock });
    const url = `${sink.url}?kling_job=job-123&tenant=a%20b`;
    const res = await fetch(`${server.url}/v1/videos/generations`, {
      method: "POST",
      headers: headers(),
      body: JSON.stringify({ ...EXAMPLE_REQUEST, callback_url: url }),
    });
    expect(res.status).toBe(200);
    clock.advance(10 * 60 * 1000);
    server.api.sweep();
    await server.api.idle();
    expect(sink.received.map((r) => r.url)).toEqual(["/hooks/kling?kling_job=job-123&tenant=a%20b"]);
  });
});

describe("deliverCallback", () => {
  it("does not follow redirects (a redirect could lead to an internal address) and counts them as failures", async () => {
    const calls: RequestInit[] = [];
    const fetcher = (async (_url: string, init: RequestInit) => {
      calls.push(init);
      return new Response(null, { status: 302, headers: { location: "http://10.0.0.1/" } });
    }) as typeof fetch;
    const result = await deliverCallback(
      "https://example.com/cb",
      { id: "x" },
      { fetch: fetcher, sleep: async () => {} },
    );
    expect(result.delivered).toBe(false);
    expect(result.attempts.map((a) => a.status)).toEqual([302, 302, 302, 302]);
    expect(calls[0]).toMatchObject({ method: "POST", redirect: "manual", body: '{"id":"x"}' });
  });

  it("gives up on a slow receiver at its timeout even when garbage is collected meanwhile (nodejs/node#57736)", async () => {
    // Node 20 keeps an AbortSignal.timeout inside AbortSignal.any only weakly: one collection and the timeout never
    // fires, so a sender waits for the receiver's answer (the drift corpus's sender did, in CI: 4.6 s against 2 s).
    // The receiver answers 204 only after 5 s: a sender whose timeout never fired reads that 204.
    const held: ServerResponse[] = [];
    const answers = new Set<NodeJS.Timeout>();
    const slow = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        held.push(res);
        answers.add(setTimeout(() => res.writeHead(204).end(), 5_000));
      });
    });
    await new Promise<void>((resolve) => slow.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(slow.address() as AddressInfo).port}/cb`;
    const stopCollecting = collectGarbageEvery(25);
    try {
      for (const signal of [undefined, new AbortController().signal]) {
        const started = Date.now();
        const result = await deliverCallback(
          url,
          { id: "x" },
          { timeoutMs: 200, retryDelaysMs: [], ...(signal ? { signal } : {}) },
        );
        expect(result).toMatchObject({ delivered: false, attempts: [{ attempt: 1 }] });
        expect(result.attempts[0]?.status).toBeUndefined();
        expect(result.attempts[0]?.error).toBe("TimeoutError: no answer within 200 ms");
        expect(Date.now() - started).toBeLessThan(4_000);
      }
      expect(held).toHaveLength(2);
    } finally {
      stopCollecting();
      for (const answer of answers) clearTimeout(answer);
      slow.closeAllConnections();
      await new Promise<void>((resolve) => slow.close(() => resolve()));
    }
  });

  it("stops retrying when its signal aborts", async () => {
    const controller = new AbortController();
    const fetcher = (async () => {
      controller.abort();
      return new Response(null, { status: 500 });
    }) as typeof fetch;
    const result = await deliverCallback("https://example.com/cb", {}, { fetch: fetcher, signal: controller.signal });
    expect(result).toMatchObject({ delivered: false, attempts: [{ attempt: 1, status: 500 }] });
  });

  it("stops inside a retry wait when its signal aborts (the wait ends then, not after the delay)", async () => {
    const controller = new AbortController();
    const fetcher = (async () => new Response(null, { status: 500 })) as typeof fetch;
    const delivering = deliverCallback(
      "https://example.com/cb",
      {},
      { fetch: fetcher, signal: controller.signal, retryDelaysMs: [600_000], onAttempt: () => controller.abort() },
    );
    expect(await delivering).toMatchObject({ delivered: false, attempts: [{ attempt: 1, status: 500 }] });
  });
});

describe("realSleep", () => {
  it("rejects with the signal's reason when it aborts, as the client's sleep does", async () => {
    const controller = new AbortController();
    const reason = new Error("closing");
    const sleeping = realSleep(600_000, controller.signal);
    controller.abort(reason);
    await expect(sleeping).rejects.toBe(reason);
    await expect(realSleep(600_000, controller.signal)).rejects.toBe(reason);
    await expect(realSleep(1)).resolves.toBeUndefined();
  });
});
