/**
 * src/cli/gate.ts: one back-off gate for every request of a batch. Closed by a refusal, for the server's hint or an
 * exponential back-off; never shortened; opened for everyone at once; abortable. gatedFetch holds only API queries
 * (GET under the base URL) at the gate, and any 429 from the API closes it. Clock and sleep are injected: no waiting.
 */
import { describe, expect, it } from "vitest";
import { BackoffGate, gatedFetch } from "../../src/cli/gate.js";
import { backoffDelayMs } from "../../src/index.js";

/** A gate on a fake clock whose sleep moves the clock; `slept` lists each sleep. */
function fakeGate(random = () => 0) {
  const clock = { now: 1_000_000 };
  const slept: number[] = [];
  const gate = new BackoffGate({
    now: () => clock.now,
    random,
    sleep: async (ms, signal) => {
      signal.throwIfAborted();
      slept.push(ms);
      clock.now += ms;
    },
  });
  return { gate, clock, slept };
}

const open = () => new AbortController().signal;

describe("BackoffGate", () => {
  it("is open until closed: pass() does not sleep", async () => {
    const { gate, slept } = fakeGate();
    expect(gate.waitMs).toBe(0);
    await gate.pass(open());
    expect(slept).toEqual([]);
  });

  it("a server hint closes it for exactly that long; pass() sleeps until then", async () => {
    const { gate, clock, slept } = fakeGate();
    expect(gate.close(2_500)).toBe(2_500);
    clock.now += 1_000;
    expect(gate.waitMs).toBe(1_500);
    await gate.pass(open());
    expect(slept).toEqual([1_500]);
    expect(gate.waitMs).toBe(0);
  });

  it("never shortens a wait in force: a shorter hint keeps the longer wait, a longer one extends it", () => {
    const { gate } = fakeGate();
    gate.close(10_000);
    expect(gate.close(1_000)).toBe(10_000);
    expect(gate.close(0)).toBe(10_000);
    expect(gate.close(12_000)).toBe(12_000);
  });

  it("without a hint backs off exponentially with each refusal in a row, and a success starts it over", () => {
    const { gate, clock } = fakeGate();
    const waits: number[] = [];
    for (let i = 0; i < 3; i++) {
      waits.push(gate.close(null));
      clock.now += gate.waitMs; // let it open before the next refusal
    }
    expect(waits).toEqual([0, 1, 2].map((n) => backoffDelayMs(n, () => 0)));
    expect(waits[1]).toBe(2 * (waits[0] as number));
    gate.succeeded();
    expect(gate.close(undefined)).toBe(waits[0]);
  });

  it("a hinted refusal counts in the streak too", () => {
    const { gate, clock } = fakeGate();
    gate.close(100);
    clock.now += 100;
    expect(gate.close(null)).toBe(backoffDelayMs(1, () => 0));
  });

  it("uses its jitter source for the back-off", () => {
    const { gate } = fakeGate(() => 1);
    expect(gate.close(null)).toBe(backoffDelayMs(0, () => 1));
    expect(backoffDelayMs(0, () => 1)).toBeLessThan(backoffDelayMs(0, () => 0));
  });

  it("refuses to let a caller through once its signal aborts: while waiting, and when already open", async () => {
    const { gate } = fakeGate();
    gate.close(5_000);
    const aborted = new AbortController();
    aborted.abort(new Error("stop"));
    await expect(gate.pass(aborted.signal)).rejects.toThrow("stop");
    const { gate: openGate } = fakeGate();
    await expect(openGate.pass(aborted.signal)).rejects.toThrow("stop");
  });

  it("with the real sleep, an abort ends the wait at once", async () => {
    const gate = new BackoffGate();
    gate.close(60_000);
    const controller = new AbortController();
    const passing = gate.pass(controller.signal);
    controller.abort(new Error("cancelled"));
    await expect(passing).rejects.toThrow("cancelled");
  });
});

describe("gatedFetch", () => {
  const BASE = "https://api.example.com/v1";

  /** A gated fetch over a fake inner fetch answering `status`; records which requests reached it. */
  function gated(status = 200, base = BASE) {
    const { gate, clock, slept } = fakeGate();
    const reached: string[] = [];
    const inner = (async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
      reached.push(`${init?.method ?? (input instanceof Request ? input.method : "GET")} ${url}`);
      return new Response(null, { status });
    }) as typeof fetch;
    return { fetch: gatedFetch(gate, () => base, inner), gate, clock, slept, reached };
  }

  it("holds an API query (GET under the base URL) until the gate opens", async () => {
    const { fetch, gate, slept, reached } = gated();
    gate.close(3_000);
    await fetch(`${BASE}/videos/generations/task-1`);
    expect(slept).toEqual([3_000]);
    expect(reached).toEqual([`GET ${BASE}/videos/generations/task-1`]);
  });

  it.each<[string, Parameters<typeof fetch>]>([
    ["a create (POST): the batch gates creates itself", [`${BASE}/videos/generations`, { method: "POST" }]],
    ["a create given as a Request", [new Request(`${BASE}/videos/generations`, { method: "POST" })]],
    ["a result download from another host", ["https://cdn.example.com/result.mp4"]],
    ["a host that only starts like the API's", ["https://api.example.com/v1evil/x"]],
  ])("does not hold %s", async (_name, args) => {
    const { fetch, gate, slept, reached } = gated();
    gate.close(3_000);
    await fetch(...args);
    expect(slept).toEqual([]);
    expect(reached).toHaveLength(1);
  });

  it("matches the base URL with or without its trailing slash, and holds a GET given as a Request or a URL", async () => {
    const { fetch, gate, slept } = gated(200, `${BASE}//`);
    gate.close(1_000);
    await fetch(new Request(`${BASE}/videos/generations/a`));
    gate.close(1_000);
    await fetch(new URL(`${BASE}/videos/generations/b`));
    expect(slept).toEqual([1_000, 1_000]);
  });

  it("a 429 to any API request, a create too, closes the gate for every other request", async () => {
    const { fetch, gate } = gated(429);
    const response = await fetch(`${BASE}/videos/generations`, { method: "POST" });
    expect(response.status).toBe(429);
    expect(gate.waitMs).toBe(backoffDelayMs(0, () => 0));
  });

  it.each([200, 503, 500])("an answer %i from the API leaves the gate open", async (status) => {
    const { fetch, gate } = gated(status);
    await fetch(`${BASE}/videos/generations/task-1`);
    expect(gate.waitMs).toBe(0);
  });

  it("a 429 from another host (the CDN) does not close the API's gate", async () => {
    const { fetch, gate } = gated(429);
    await fetch("https://cdn.example.com/result.mp4");
    expect(gate.waitMs).toBe(0);
  });

  it("a query whose signal aborts while it waits is never sent", async () => {
    const { fetch, gate, reached } = gated();
    gate.close(3_000);
    const controller = new AbortController();
    controller.abort(new Error("ctrl-c"));
    await expect(fetch(`${BASE}/videos/generations/t`, { signal: controller.signal })).rejects.toThrow("ctrl-c");
    expect(reached).toEqual([]);
  });

  it("reads the base URL at each request (the client may be given another)", async () => {
    let base = BASE;
    const { gate } = fakeGate();
    const inner = (async () => new Response(null, { status: 429 })) as unknown as typeof fetch;
    const f = gatedFetch(gate, () => base, inner);
    base = "https://other.example.com";
    await f(`${BASE}/videos/generations/t`);
    expect(gate.waitMs).toBe(0);
    await f("https://other.example.com/videos/generations/t");
    expect(gate.waitMs).toBeGreaterThan(0);
  });
});
