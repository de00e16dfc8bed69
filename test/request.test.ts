/**
 * The request loop (src/request.ts) on its own: what it sends (URL, method, headers, JSON body) through the runtime's
 * fetch and through a user's fetch, how it reads answers the way openapi-fetch did (empty bodies, malformed JSON,
 * non-JSON error bodies), and that the key never survives in an answer, however the server echoes it.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { validateTaskDetail } from "../generated/validators/TaskDetail.js";
import { APIConnectionError, type APIError, ContractViolationError, InternalServerError } from "../src/errors.js";
import { type Operation, Transport } from "../src/request.js";
import type { Task } from "../src/types.js";
import { json, scriptedFetch, TASK_ID, taskDetail } from "./support/fake-fetch.js";

const KEY = "sk-test-0123456789abcdef";
const BASE = "https://api.test/apiv1";

const getOp = (extra: Partial<Operation<Task>> = {}): Operation<Task> => ({
  method: "GET",
  path: `/v1/tasks/${TASK_ID}`,
  schema: "TaskDetail",
  validate: validateTaskDetail,
  idempotent: true,
  ...extra,
});

/** A stand-in for the runtime's fetch, recording each call's arguments as given. */
function stubGlobalFetch(...answers: (() => Response)[]) {
  const calls: { input: unknown; init: RequestInit | undefined }[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: unknown, init?: RequestInit) => {
      calls.push({ input, init });
      return (answers[Math.min(calls.length - 1, answers.length - 1)] as () => Response)();
    }),
  );
  return calls;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("what the loop sends", () => {
  it("calls the runtime's fetch with the URL and an init (no Request to copy), resolved at call time", async () => {
    const transport = new Transport({ apiKey: KEY, baseUrl: `${BASE}/` });
    // Stubbed after the transport was made: test tools replace globalThis.fetch late.
    const calls = stubGlobalFetch(() => json(200, taskDetail("completed")));
    const { data } = await transport.request(getOp(), {});
    expect(data.id).toBe(TASK_ID);
    expect(calls).toHaveLength(1);
    const [{ input, init }] = calls as [(typeof calls)[number]];
    expect(input).toBe(`${BASE}/v1/tasks/${TASK_ID}`);
    expect(init?.method).toBe("GET");
    expect(init?.body).toBeNull();
    expect(init?.signal).toBeInstanceOf(AbortSignal);
    const headers = new Headers(init?.headers);
    expect(headers.get("authorization")).toBe(`Bearer ${KEY}`);
    expect(headers.get("accept")).toBe("application/json");
    expect(headers.has("content-type")).toBe(false);
  });

  it("sends a body as JSON, and a caller's headers replace ours (never the key's)", async () => {
    const transport = new Transport({ apiKey: KEY, baseUrl: BASE, maxRetries: 0 });
    const calls = stubGlobalFetch(() => json(200, taskDetail("pending")));
    await transport.request(getOp({ method: "POST", path: "/v1/videos/generations", body: { prompt: "p" } }), {
      headers: { Accept: "application/json; q=1", "X-Trace": "t1", AUTHORIZATION: "Bearer someone-else" },
    });
    const init = calls[0]?.init;
    expect(init?.method).toBe("POST");
    expect(JSON.parse(String(init?.body))).toEqual({ prompt: "p" });
    const headers = new Headers(init?.headers);
    expect(headers.get("content-type")).toBe("application/json");
    expect(headers.get("accept")).toBe("application/json; q=1");
    expect(headers.get("x-trace")).toBe("t1");
    expect(headers.get("authorization")).toBe(`Bearer ${KEY}`);
  });

  it("gives a user's fetch a Request, as openapi-fetch did", async () => {
    const seen: unknown[][] = [];
    const transport = new Transport({
      apiKey: KEY,
      baseUrl: BASE,
      fetch: (async (...args: unknown[]) => {
        seen.push(args);
        return json(200, taskDetail("completed"));
      }) as typeof fetch,
    });
    await transport.request(getOp(), {});
    expect(seen).toHaveLength(1);
    const [request] = seen[0] as [Request];
    expect(request).toBeInstanceOf(Request);
    expect(request.url).toBe(`${BASE}/v1/tasks/${TASK_ID}`);
    expect(request.headers.get("authorization")).toBe(`Bearer ${KEY}`);
  });
});

describe("how the loop reads answers", () => {
  const transport = (steps: Parameters<typeof scriptedFetch>) =>
    new Transport({ apiKey: KEY, baseUrl: BASE, maxRetries: 0, fetch: scriptedFetch(...steps).fetch });

  it("a 2xx without a body (204, or Content-Length: 0) is an empty-body contract violation", async () => {
    for (const response of [
      new Response(null, { status: 204 }),
      new Response("", { status: 200, headers: { "content-length": "0" } }),
    ]) {
      const err = await transport([response])
        .request(getOp(), {})
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ContractViolationError);
      expect((err as Error).message).toMatch(/^Empty body in 20[04] response/);
    }
  });

  it("a malformed 2xx body is a contract violation naming its content type", async () => {
    const response = new Response("{not json", { status: 200, headers: { "content-type": "application/json" } });
    const err = await transport([response])
      .request(getOp(), {})
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContractViolationError);
    expect((err as Error).message).toContain("Malformed JSON in 200 response (content-type application/json)");
  });

  it("an error status keeps a non-JSON body as text, and one without a body still maps to its class", async () => {
    const text = await transport([new Response("upstream exploded", { status: 500 })])
      .request(getOp(), {})
      .catch((e: unknown) => e);
    expect(text).toBeInstanceOf(InternalServerError);
    expect((text as APIError).body).toBe("upstream exploded");
    const empty = await transport([new Response(null, { status: 500, headers: { "content-length": "0" } })])
      .request(getOp(), {})
      .catch((e: unknown) => e);
    expect(empty).toBeInstanceOf(InternalServerError);
    expect((empty as APIError).body).toBeUndefined();
  });

  it("a body that breaks off after the headers is a connection error after the response", async () => {
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"id":'));
        controller.error(new TypeError("terminated"));
      },
    });
    const err = await transport([new Response(stream, { status: 200 })])
      .request(getOp(), {})
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(APIConnectionError);
    expect((err as APIConnectionError).message).toContain("after the response headers");
  });
});

describe("the key never survives in an answer", () => {
  // The scrubber is skipped for a body whose raw text shows no form of the key; these are the cases where the text
  // hides it: JSON escapes make a parsed string differ from the text sent.
  const echoes = {
    plainly: `{"note":"${KEY}"}`,
    "with every character \\u-escaped": `{"note":"${[...KEY].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`).join("")}"}`,
    "with one escaped character": `{"note":"${KEY.slice(0, 3)}\\u${KEY.charCodeAt(3).toString(16).padStart(4, "0")}${KEY.slice(4)}"}`,
    "in a property name, escaped": `{"\\u${KEY.charCodeAt(0).toString(16).padStart(4, "0")}${KEY.slice(1)}":1}`,
  };
  for (const [how, extra] of Object.entries(echoes)) {
    it(`removes a key echoed ${how} in a valid 2xx body`, async () => {
      const body = JSON.stringify(taskDetail("completed")).replace(/}$/, `,"metadata":${extra}}`);
      const response = new Response(body, { status: 200, headers: { "content-type": "application/json" } });
      const t = new Transport({ apiKey: KEY, baseUrl: BASE, fetch: scriptedFetch(response).fetch });
      // The echo really is in the parsed body (else the test would pass without scrubbing).
      expect(JSON.stringify(JSON.parse(body))).toContain(KEY);
      const { data } = await t.request(getOp(), {});
      expect(JSON.stringify(data)).not.toContain(KEY);
      expect(JSON.stringify(data)).toContain("[redacted]");
    });
  }

  it("returns a body with no trace of the key as parsed", async () => {
    const body = JSON.stringify(taskDetail("completed", { metadata: { note: "a \\ backslash" } }));
    const t = new Transport({ apiKey: KEY, baseUrl: BASE, fetch: scriptedFetch(new Response(body)).fetch });
    const { data } = await t.request(getOp(), {});
    expect(data).toEqual(JSON.parse(body));
  });
});
