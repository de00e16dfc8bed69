import { describe, expect, it, vi } from "vitest";
import { operations } from "../generated/operations.js";
import { ContractViolationError, createKlingClient, type Task } from "../src/index.js";
import { callbackKey, handleCallback, MemoryCallbackStore, parseCallback, readCallback } from "../src/webhooks.js";
import { apiError, json, scriptedFetch, TASK_ID, taskDetail } from "./support/fake-fetch.js";

const examples = operations.getTaskDetail.responses["200"].body.examples;

function post(body: unknown, headers: Record<string, string> = {}): Request {
  return new Request("https://hooks.example.com/kling", {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

describe("parseCallback", () => {
  it.each(Object.entries(examples))("accepts the spec's %s example, as text, bytes or object", (_name, example) => {
    const text = JSON.stringify(example);
    expect(parseCallback(text)).toEqual(example);
    expect(parseCallback(new TextEncoder().encode(text))).toEqual(example);
    expect(parseCallback(example)).toEqual(example);
  });

  it("rejects bad JSON", () => {
    expect(() => parseCallback("{nope")).toThrow(ContractViolationError);
    expect(() => parseCallback("{nope")).toThrow("Callback body is not JSON");
  });

  it.each([
    [
      "completed without results",
      { ...taskDetail("completed"), results: undefined },
      "must have required property 'results'",
    ],
    ["failed without error", { ...taskDetail("failed"), error: undefined }, "must have required property 'error'"],
    ["unknown status", taskDetail("exploded"), "/status must be equal to one of the allowed values"],
    ["no id", { status: "completed", results: ["https://a/b.mp4"] }, "must have required property 'id'"],
  ])("names the broken field: %s", (_name, body, message) => {
    let err: ContractViolationError | undefined;
    try {
      parseCallback(body);
    } catch (e) {
      err = e as ContractViolationError;
    }
    expect(err).toBeInstanceOf(ContractViolationError);
    expect(err?.message).toContain(message);
    expect(err?.issues.length).toBeGreaterThan(0);
  });
});

describe("handleCallback", () => {
  const completed = taskDetail("completed");

  it("reports a task once however often the API retries it", async () => {
    const store = new MemoryCallbackStore();
    const onTask = vi.fn();
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await handleCallback(post(completed), { onTask, store }));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(await answers[0]?.json()).toEqual({ received: true });
    expect(await answers[1]?.json()).toEqual({ received: true, duplicate: true });
    expect(onTask).toHaveBeenCalledTimes(1);
    expect(onTask).toHaveBeenCalledWith(completed);
  });

  it("reports the same task again in a new status", async () => {
    const store = new MemoryCallbackStore();
    const onTask = vi.fn();
    await handleCallback(post(taskDetail("processing", { progress: 50 })), { onTask, store });
    await handleCallback(post(completed), { onTask, store });
    expect(onTask).toHaveBeenCalledTimes(2);
  });

  it("reports concurrent duplicates once", async () => {
    const store = new MemoryCallbackStore();
    let calls = 0;
    const onTask = async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 5));
    };
    const answers = await Promise.all([1, 2, 3].map(() => handleCallback(post(completed), { onTask, store })));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(calls).toBe(1);
  });

  it("does not acknowledge a retry that arrives while the first delivery is still handled and then fails", async () => {
    // The API gives up on a slow delivery after 10 s and retries: a 200 "duplicate" for that retry, followed by the
    // first handler failing, would lose the event (the API stops retrying after a 2xx).
    const store = new MemoryCallbackStore();
    let fail: (err: Error) => void = () => {};
    const onTask = vi
      .fn()
      .mockImplementationOnce(() => new Promise<void>((_resolve, reject) => (fail = reject)))
      .mockResolvedValueOnce(undefined);
    const first = handleCallback(post(completed), { onTask, store });
    await vi.waitFor(() => expect(onTask).toHaveBeenCalledTimes(1));
    const retry = handleCallback(post(completed), { onTask, store });
    // Reading an in-memory body takes only microtasks: by the next macrotask the retry has met the first delivery.
    await new Promise((resolve) => setImmediate(resolve));
    fail(new Error("db down"));
    expect((await first).status).toBe(500);
    expect((await retry).status).toBe(500);
    expect((await handleCallback(post(completed), { onTask, store })).status).toBe(200);
    expect(onTask).toHaveBeenCalledTimes(2);
  });

  it("answers 500 when the handler throws, and handles the API's retry", async () => {
    const store = new MemoryCallbackStore();
    const onTask = vi.fn().mockRejectedValueOnce(new Error("db down")).mockResolvedValueOnce(undefined);
    expect((await handleCallback(post(completed), { onTask, store })).status).toBe(500);
    expect((await handleCallback(post(completed), { onTask, store })).status).toBe(200);
    expect(onTask).toHaveBeenCalledTimes(2);
  });

  it.each([
    ["bad JSON", post("{oops"), 400, "not JSON"],
    ["a schema violation", post({ id: TASK_ID, status: "completed" }), 400, "results"],
    ["another method", new Request("https://hooks.example.com/kling"), 405, "GET"],
    ["a declared oversized body", post(completed, { "content-length": "999999" }), 413, "over"],
  ])("rejects %s", async (_name, request, status, text) => {
    const onTask = vi.fn();
    const response = await handleCallback(request, { onTask, store: new MemoryCallbackStore() });
    expect(response.status).toBe(status);
    expect(JSON.stringify(await response.json())).toContain(text);
    expect(onTask).not.toHaveBeenCalled();
  });

  it("stops reading a streamed body past maxBodyBytes", async () => {
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new Uint8Array(1024).fill(32));
        if (pulled > 1000) controller.close();
      },
    });
    const request = new Request("https://hooks.example.com/kling", {
      method: "POST",
      body,
      duplex: "half",
    } as RequestInit);
    const response = await handleCallback(request, { onTask: vi.fn(), maxBodyBytes: 4096 });
    expect(response.status).toBe(413);
    expect(pulled).toBeLessThan(10);
  });

  it("shares its default store between calls", async () => {
    const onTask = vi.fn();
    const unique = taskDetail("completed", { id: `task-unified-shared-${Date.now()}` });
    await handleCallback(post(unique), { onTask });
    await handleCallback(post(unique), { onTask });
    expect(onTask).toHaveBeenCalledTimes(1);
  });

  describe('verify: "fetch" (the API documents no signature)', () => {
    const client = (...steps: Parameters<typeof scriptedFetch>) => {
      const fake = scriptedFetch(...steps);
      return {
        fake,
        client: createKlingClient({ apiKey: "k-verify-1", baseUrl: "https://api.test", fetch: fake.fetch }),
      };
    };

    it("hands over the API's task, not the request's", async () => {
      const fromApi = taskDetail("completed", { results: ["https://cdn.example.com/real.mp4"] });
      const { fake, client: c } = client(json(200, fromApi));
      const onTask = vi.fn();
      const forgedUrl = taskDetail("completed", { results: ["https://evil.example.com/x.mp4"] });
      const response = await handleCallback(post(forgedUrl), {
        onTask,
        verify: "fetch",
        client: c,
        store: new MemoryCallbackStore(),
      });
      expect(response.status).toBe(200);
      expect(onTask).toHaveBeenCalledWith(fromApi);
      expect(fake.requests[0]?.url).toBe(`https://api.test/v1/tasks/${TASK_ID}`);
    });

    it.each([
      ["a status the API does not confirm", json(200, taskDetail("processing")), 400],
      ["a task the API does not know", apiError(404, "not_found_error"), 400],
      [
        "an API that cannot answer now (the API retries the callback)",
        apiError(503, "service_unavailable_error", {}, { "retry-after": "0" }),
        503,
      ],
    ])("rejects %s", async (_name, answer, status) => {
      const { client: c } = client(answer);
      const onTask = vi.fn();
      const response = await handleCallback(post(completed), {
        onTask,
        verify: "fetch",
        client: c,
        store: new MemoryCallbackStore(),
      });
      expect(response.status).toBe(status);
      expect(onTask).not.toHaveBeenCalled();
    });
  });
});

// Issue 11 item 13: with verify "fetch", a forged callback for a running task reached onTask, and every forged
// callback cost one GET with the user's key.
describe('verify: "fetch" against forged callbacks', () => {
  const verifying = (...steps: Parameters<typeof scriptedFetch>) => {
    const fake = scriptedFetch(...steps);
    const client = createKlingClient({ apiKey: "k-forged-1", baseUrl: "https://api.test", fetch: fake.fetch });
    return { fake, client, store: new MemoryCallbackStore() };
  };

  it("refuses a callback for an unfinished task without asking the API, even when the API would agree", async () => {
    const { fake, client, store } = verifying(json(200, taskDetail("processing", { progress: 40 })));
    const onTask = vi.fn();
    for (const status of ["processing", "pending"]) {
      const response = await handleCallback(post(taskDetail(status)), { onTask, verify: "fetch", client, store });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({
        error: { message: expect.stringContaining("completed or failed") },
      });
    }
    expect(onTask).not.toHaveBeenCalled();
    expect(fake.requests).toHaveLength(0);
  });

  it("coalesces confirmations per task id: a flood of forgeries costs one GET", async () => {
    const { fake, client, store } = verifying(json(200, taskDetail("processing", { progress: 40 })));
    const onTask = vi.fn();
    const forged = post.bind(null, taskDetail("completed", { results: ["https://evil.example.com/x.mp4"] }));
    const concurrent = await Promise.all(
      Array.from({ length: 20 }, () => handleCallback(forged(), { onTask, verify: "fetch", client, store })),
    );
    const sequential = [];
    for (let i = 0; i < 20; i++)
      sequential.push(await handleCallback(forged(), { onTask, verify: "fetch", client, store }));
    expect([...concurrent, ...sequential].map((r) => r.status)).toEqual(Array(40).fill(400));
    expect(onTask).not.toHaveBeenCalled();
    expect(fake.requests).toHaveLength(1);
    // Another task id is another confirmation.
    await handleCallback(post(taskDetail("completed", { id: "task-unified-other" })), {
      onTask,
      verify: "fetch",
      client,
      store,
    });
    expect(fake.requests).toHaveLength(2);
  });

  it("tells the sender nothing the API said: the same answer whatever the task's real state", async () => {
    const bodies = [];
    for (const answer of [
      json(200, taskDetail("processing", { progress: 40 })),
      json(200, taskDetail("failed")),
      apiError(404, "not_found_error"),
    ]) {
      const { client, store } = verifying(answer);
      const response = await handleCallback(post(taskDetail("completed")), {
        onTask: vi.fn(),
        verify: "fetch",
        client,
        store,
      });
      expect(response.status).toBe(400);
      bodies.push(await response.text());
    }
    expect(new Set(bodies).size).toBe(1);
    expect(bodies[0]).not.toMatch(/processing|failed|not known/);
  });

  it("refuses an answer about another task", async () => {
    const other = taskDetail("completed", { id: "task-unified-someone-else" }) as Task;
    const onTask = vi.fn();
    const store = new MemoryCallbackStore();
    const viaConfirm = await handleCallback(post(taskDetail("completed")), {
      onTask,
      verify: "fetch",
      confirm: async () => other,
      store,
    });
    expect(viaConfirm.status).toBe(400);
    // The client itself refuses such an answer (ContractViolationError): not confirmed now, so 503 and a retry.
    const { client } = verifying(json(200, other));
    const viaClient = await handleCallback(post(taskDetail("completed")), { onTask, verify: "fetch", client, store });
    expect(viaClient.status).toBe(503);
    expect(onTask).not.toHaveBeenCalled();
  });

  it("does not reuse a failed confirmation: the API's retry is confirmed afresh and handled once", async () => {
    const { fake, client, store } = verifying(
      apiError(503, "service_unavailable_error", {}, { "retry-after": "0" }),
      apiError(503, "service_unavailable_error", {}, { "retry-after": "0" }),
      json(200, taskDetail("completed")),
    );
    const onTask = vi.fn();
    const first = await handleCallback(post(taskDetail("completed")), { onTask, verify: "fetch", client, store });
    expect(first.status).toBe(503);
    const retries = [];
    for (let i = 0; i < 3; i++) {
      retries.push(
        (await handleCallback(post(taskDetail("completed")), { onTask, verify: "fetch", client, store })).status,
      );
    }
    expect(retries).toEqual([200, 200, 200]);
    expect(onTask).toHaveBeenCalledTimes(1);
    expect(fake.requests).toHaveLength(3); // two attempts of the failed GET (one retry), one that answered
  });

  it("takes a confirm function instead of a client", async () => {
    const confirm = vi.fn(async (id: string) => taskDetail("failed", { id }) as Task);
    const onTask = vi.fn();
    const response = await handleCallback(post(taskDetail("failed")), {
      onTask,
      verify: "fetch",
      confirm,
      store: new MemoryCallbackStore(),
    });
    expect(response.status).toBe(200);
    expect(confirm).toHaveBeenCalledWith(TASK_ID, expect.any(AbortSignal));
    expect(onTask).toHaveBeenCalledTimes(1);
  });
});

describe("readCallback", () => {
  it("returns the task, the 200 to send and the job reference from the URL", async () => {
    const request = new Request("https://hooks.example.com/kling?kling_job=job-42&x=1", {
      method: "POST",
      body: JSON.stringify(taskDetail("completed")),
    });
    const { response, task, jobRef } = await readCallback(request);
    expect(response.status).toBe(200);
    expect(task?.id).toBe(TASK_ID);
    expect(jobRef).toBe("job-42");
  });

  it("reads the job reference from a configured parameter, and keeps it on a rejection", async () => {
    const request = new Request("https://hooks.example.com/kling?job=j1", { method: "POST", body: "{bad" });
    const reading = await readCallback(request, { jobParam: "job" });
    expect(reading.response.status).toBe(400);
    expect(reading.task).toBeUndefined();
    expect(reading.jobRef).toBe("j1");
    expect((await readCallback(post(taskDetail("completed")))).jobRef).toBeUndefined();
  });

  it("confirms with the given function and returns the API's task", async () => {
    const fromApi = taskDetail("completed", { results: ["https://cdn.example.com/real.mp4"] }) as Task;
    const { task } = await readCallback(
      post(taskDetail("completed", { results: ["https://evil.example.com/x.mp4"] })),
      {
        confirm: async () => fromApi,
      },
    );
    expect(task).toEqual(fromApi);
  });

  // Issue 11 item 14: a sender that never finishes its body held the handler (and the connection) indefinitely.
  it("answers 408 to a body that does not arrive in time, and closes the connection", async () => {
    let cancelled = false;
    const trickle = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"id":'));
      },
      cancel() {
        cancelled = true;
      },
    });
    const request = new Request("https://hooks.example.com/kling", {
      method: "POST",
      body: trickle,
      duplex: "half",
    } as RequestInit);
    const onTask = vi.fn();
    const response = await handleCallback(request, { onTask, bodyTimeoutMs: 20, store: new MemoryCallbackStore() });
    expect(response.status).toBe(408);
    expect(response.headers.get("connection")).toBe("close");
    expect(cancelled).toBe(true);
    expect(onTask).not.toHaveBeenCalled();
  });
});

describe("MemoryCallbackStore", () => {
  it("is bounded: the oldest keys are forgotten", () => {
    const store = new MemoryCallbackStore(2);
    expect(store.claim("a")).toBe(true);
    expect(store.claim("b")).toBe(true);
    expect(store.claim("a")).toBe(false);
    expect(store.claim("c")).toBe(true);
    expect(store.size).toBe(2);
    expect(store.claim("a")).toBe(true);
  });

  it("keys by task id and status", () => {
    expect(callbackKey(taskDetail("completed") as Task)).toBe(`${TASK_ID}:completed`);
  });
});
