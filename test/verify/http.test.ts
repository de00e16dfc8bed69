/** One request of a spec operation, with an injected fetch: what is sent, what the exchange keeps, and failures. */
import { describe, expect, it } from "vitest";
import { fetchHead, parseBody, plainHeaders, send, type Target, TransportError } from "../../src/verify/http.js";
import type { Exchange } from "../../src/verify/types.js";

interface Sent {
  url: string;
  init: RequestInit;
}

function target(answer: (sent: Sent) => Response | Promise<Response>, extra: Partial<Target> = {}) {
  const sent: Sent[] = [];
  const seen: Exchange[] = [];
  const t: Target = {
    name: "test",
    baseUrl: "http://api.test",
    token: "sk-test-token",
    fetch: (async (url: string, init: RequestInit) => {
      sent.push({ url, init });
      return answer({ url, init });
    }) as typeof fetch,
    onExchange: (e) => seen.push(e),
    ...extra,
  };
  return { t, sent, seen };
}
const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json", "X-Request-Id": "req_1" },
  });

describe("send", () => {
  it("sends the operation's method to its path, with the token, and keeps the token out of the exchange", async () => {
    const { t, sent, seen } = target(() => json({ id: "a/b", status: "pending" }));
    const exchange = await send(t, "getTaskDetail", { params: { task_id: "a/b" }, headers: { prefer: "code=200" } });
    expect(sent[0]?.url).toBe("http://api.test/v1/tasks/a%2Fb");
    expect(sent[0]?.init.method).toBe("GET");
    expect(sent[0]?.init.headers).toEqual({
      accept: "application/json",
      prefer: "code=200",
      authorization: "Bearer sk-test-token",
    });
    expect(JSON.stringify(exchange)).not.toContain("sk-test-token");
    expect(exchange).toEqual({
      operationId: "getTaskDetail",
      request: {
        method: "GET",
        path: "/v1/tasks/a%2Fb",
        headers: { accept: "application/json", prefer: "code=200" },
        body: null,
      },
      response: {
        status: 200,
        headers: { "content-type": "application/json", "x-request-id": "req_1" },
        body: { id: "a/b", status: "pending" },
      },
    });
    expect(seen).toEqual([exchange]);
  });

  it("sends one credential, from auth, whatever case a caller's headers use, and keeps every form out of the exchange", async () => {
    const { t, sent, seen } = target(() => json({ id: "x", status: "pending" }));
    const exchange = await send(t, "getTaskDetail", {
      params: { task_id: "x" },
      headers: { Authorization: "Bearer sk-other-key", Prefer: "code=200" },
    });
    expect(sent[0]?.init.headers).toEqual({
      accept: "application/json",
      prefer: "code=200",
      authorization: "Bearer sk-test-token",
    });
    expect(JSON.stringify(exchange)).not.toMatch(/sk-other-key|sk-test-token/i);
    expect(exchange.request.headers).toEqual({ accept: "application/json", prefer: "code=200" });
    expect(seen).toEqual([exchange]);
  });

  it("serialises a body with the spec's content type, sends a raw string as it is, and honours auth", async () => {
    const { t, sent } = target(() => json({}));
    const withBody = await send(t, "createVideoGeneration", { body: { prompt: "p" }, auth: "none" });
    expect(sent[0]?.init.body).toBe('{"prompt":"p"}');
    expect(sent[0]?.init.headers).toMatchObject({ "content-type": "application/json" });
    expect(sent[0]?.init.headers).not.toHaveProperty("authorization");
    expect(withBody.request.body).toEqual({ prompt: "p" });
    const raw = await send(t, "createVideoGeneration", { body: "{not json", auth: { bearer: "other" } });
    expect(sent[1]?.init.body).toBe("{not json");
    expect(sent[1]?.init.headers).toMatchObject({ authorization: "Bearer other" });
    expect(raw.request.body).toBe("{not json");
  });

  it("keeps a JSON response that does not parse as its text", async () => {
    const { t } = target(
      () => new Response("<html>", { status: 502, headers: { "content-type": "application/json" } }),
    );
    expect((await send(t, "getTaskDetail", { params: { task_id: "x" } })).response).toMatchObject({
      status: 502,
      body: "<html>",
    });
  });

  it("throws a TransportError naming the request and the cause when no response arrives", async () => {
    const refused = target(() => {
      throw new TypeError("fetch failed", { cause: new Error("connect ECONNREFUSED 127.0.0.1:9") });
    });
    const error = await send(refused.t, "getTaskDetail", { params: { task_id: "x" } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect((error as Error).message).toBe("GET /v1/tasks/x: connect ECONNREFUSED 127.0.0.1:9");
    expect(refused.seen).toEqual([]);
    const slow = target(() => {
      throw new DOMException("The operation timed out.", "TimeoutError");
    });
    await expect(send(slow.t, "getTaskDetail", { params: { task_id: "x" } })).rejects.toThrow(
      "GET /v1/tasks/x: no answer in time",
    );
  });

  it("refuses an operation the spec lacks, and a missing path parameter, before sending", async () => {
    const { t, sent } = target(() => json({}));
    await expect(send(t, "deleteTask")).rejects.toThrow("unknown operation deleteTask");
    await expect(send(t, "getTaskDetail")).rejects.toThrow("missing path parameter task_id");
    expect(sent).toEqual([]);
  });
});

describe("parseBody and plainHeaders", () => {
  it.each([
    ['{"a":1}', "application/json; charset=utf-8", { a: 1 }],
    ['{"a":1}', "application/problem+json", { a: 1 }],
    ['{"a":1}', "text/plain", '{"a":1}'],
    ["", "application/json", ""],
    ["nope", "application/json", "nope"],
  ])("%j as %s", (text, type, want) => {
    expect(parseBody(text, type)).toEqual(want);
  });

  it("lowercases header names", () => {
    expect(plainHeaders(new Headers({ "X-A": "1", "content-TYPE": "t" }))).toEqual({ "x-a": "1", "content-type": "t" });
  });
});

describe("fetchHead", () => {
  it("reads only the first maxBytes of a long body, whatever the chunking", async () => {
    const chunks = [new Uint8Array(3).fill(1), new Uint8Array(4).fill(2), new Uint8Array(100).fill(3)];
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = chunks[pulled++];
        if (next) controller.enqueue(next);
        else controller.close();
      },
    });
    const got = await fetchHead("http://r.test/v.mp4", {
      maxBytes: 5,
      fetch: (async () => new Response(body, { headers: { "Content-Type": "video/mp4" } })) as typeof fetch,
    });
    expect(got.status).toBe(200);
    expect(got.headers["content-type"]).toBe("video/mp4");
    expect([...got.head]).toEqual([1, 1, 1, 2, 2]);
  });

  it("never throws: a failed fetch is status null with the error's message", async () => {
    const got = await fetchHead("http://r.test/v.mp4", {
      fetch: (async () => {
        throw new Error("reset");
      }) as typeof fetch,
    });
    expect(got).toEqual({ status: null, headers: {}, head: new Uint8Array(), error: "reset" });
  });
});
