import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import {
  APITimeoutError,
  APIUserAbortError,
  AuthenticationError,
  ContractViolationError,
  createKlingClient,
  NotFoundError,
  type Task,
  TaskFailedError,
} from "../src/index.js";
import { loadSchemas, loadWait } from "../src/lazy.js";
import {
  apiError,
  created,
  json,
  networkError,
  params,
  type Step,
  scriptedFetch,
  TASK_ID,
  taskDetail,
} from "./support/fake-fetch.js";

const KEY = "sk-wait-0123456789";

function setup(steps: Step[], options: Parameters<typeof createKlingClient>[0] = {}) {
  const fake = scriptedFetch(...steps);
  const client = createKlingClient({ apiKey: KEY, baseUrl: "https://api.test", fetch: fake.fetch, ...options });
  return { fake, client };
}

/** Records when (fake ms) each request arrives. */
function timed(steps: Step[]) {
  const times: number[] = [];
  const start = Date.now();
  const wrapped: Step[] = steps.map((step) => (request: Request) => {
    times.push(Date.now() - start);
    return typeof step === "function" ? step(request) : step === "hang" ? new Promise<never>(() => {}) : step;
  });
  return { steps: wrapped, times };
}

async function settle<T>(promise: Promise<T>, ms: number): Promise<{ value?: T; error?: unknown }> {
  const outcome = promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  await vi.advanceTimersByTimeAsync(ms);
  return outcome;
}

// The wait loop and the validators load on a client's first call (src/lazy.ts), from disk: in real time, which fake
// timers advanced at once would outrun. Load them first, as any earlier call would have.
beforeAll(async () => {
  await Promise.all([loadSchemas(), loadWait()]);
});
beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("tasks.wait", () => {
  it("polls until completed, calling onProgress only when status or progress changes", async () => {
    const seen: string[] = [];
    const { client, fake } = setup([
      json(200, taskDetail("pending")),
      json(200, taskDetail("pending")),
      json(200, taskDetail("processing", { progress: 10 })),
      json(200, taskDetail("processing", { progress: 10 })),
      json(200, taskDetail("processing", { progress: 60 })),
      json(200, taskDetail("completed")),
    ]);
    const { value } = await settle(
      client.tasks.wait(TASK_ID, { onProgress: (t) => seen.push(`${t.status}:${t.progress}`) }),
      600_000,
    );
    expect(value?.status).toBe("completed");
    expect(value?.results?.[0]).toMatch(/^https:/);
    expect(seen).toEqual(["pending:0", "processing:10", "processing:60", "completed:100"]);
    expect(fake.requests).toHaveLength(6);
  });

  it("throws TaskFailedError with the API's reason", async () => {
    const { client } = setup([json(200, taskDetail("processing", { progress: 50 })), json(200, taskDetail("failed"))]);
    const { error } = await settle(client.tasks.wait(TASK_ID), 600_000);
    expect(error).toBeInstanceOf(TaskFailedError);
    expect((error as TaskFailedError).code).toBe("video_download_failed");
    expect((error as TaskFailedError).task.status).toBe("failed");
    expect((error as Error).message).toBe(
      `Task ${TASK_ID} failed (video_download_failed): The source video could not be downloaded`,
    );
  });

  it.each([
    [401, AuthenticationError],
    [404, NotFoundError],
  ])("ends at once on %i (no retries, no further polls)", async (status, Class) => {
    const { client, fake } = setup([json(200, taskDetail("processing", { progress: 5 })), apiError(status, "x")]);
    const { error } = await settle(client.tasks.wait(TASK_ID), 600_000);
    expect(error).toBeInstanceOf(Class);
    expect(fake.requests).toHaveLength(2);
  });

  it("rides out transient errors (each poll's own retries, then more polls)", async () => {
    const { client, fake } = setup([
      json(200, taskDetail("processing", { progress: 10 })),
      apiError(503, "service_unavailable_error"),
      apiError(503, "service_unavailable_error"),
      apiError(503, "service_unavailable_error"),
      networkError("ECONNRESET"),
      apiError(502, "upstream_error"),
      json(200, taskDetail("completed")),
    ]);
    const { value } = await settle(client.tasks.wait(TASK_ID), 600_000);
    expect(value?.status).toBe("completed");
    expect(fake.requests).toHaveLength(7);
  });

  it("gives up after 5 failed polls in a row", async () => {
    const { client, fake } = setup([apiError(500, "internal_server_error")], { maxRetries: 0 });
    const { error } = await settle(client.tasks.wait(TASK_ID), 600_000);
    expect((error as Error).name).toBe("InternalServerError");
    expect(fake.requests).toHaveLength(5);
  });

  it("treats a status the spec does not list as a contract violation, not an endless wait", async () => {
    const { client, fake } = setup([json(200, taskDetail("cancelled"))], { validateResponses: false });
    const { error } = await settle(client.tasks.wait(TASK_ID), 600_000);
    expect(error).toBeInstanceOf(ContractViolationError);
    expect((error as Error).message).toMatch(/status "cancelled", which the spec does not list/);
    expect(fake.requests).toHaveLength(1);
  });

  it("stops at the total timeoutMs, naming the last status seen", async () => {
    const { client, fake } = setup([json(200, taskDetail("processing", { progress: 1 }))]);
    const { error } = await settle(client.tasks.wait(TASK_ID, { timeoutMs: 120_000 }), 200_000);
    expect(error).toBeInstanceOf(APITimeoutError);
    expect((error as Error).message).toBe(
      `Timed out after 120000 ms: waiting for task ${TASK_ID} (last seen processing 1%)`,
    );
    const polls = fake.requests.length;
    await vi.advanceTimersByTimeAsync(600_000);
    expect(fake.requests).toHaveLength(polls);
  });

  it("honours pollIntervalMs", async () => {
    const { steps, times } = timed([
      json(200, taskDetail("pending")),
      json(200, taskDetail("processing", { progress: 50 })),
      json(200, taskDetail("completed")),
    ]);
    const { client } = setup(steps);
    await settle(client.tasks.wait(TASK_ID, { pollIntervalMs: 700 }), 10_000);
    expect(times).toEqual([0, 700, 1400]);
  });

  it("aborts during a sleep: APIUserAbortError, no further poll", async () => {
    const { client, fake } = setup([json(200, taskDetail("processing", { progress: 10 }))]);
    const controller = new AbortController();
    const outcome = client.tasks.wait(TASK_ID, { signal: controller.signal }).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(100);
    expect(fake.requests).toHaveLength(1);
    controller.abort();
    expect(await outcome).toBeInstanceOf(APIUserAbortError);
    await vi.advanceTimersByTimeAsync(600_000);
    expect(fake.requests).toHaveLength(1);
  });

  it("aborts during a poll request", async () => {
    const { client } = setup(["hang"]);
    const controller = new AbortController();
    const outcome = client.tasks.wait(TASK_ID, { signal: controller.signal }).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(100);
    controller.abort();
    expect(await outcome).toBeInstanceOf(APIUserAbortError);
  });
});

describe("edits.createAndWait", () => {
  it("hands over the created task, then polls on the estimate's schedule", async () => {
    const { steps, times } = timed([
      json(200, { ...created, task_info: { estimated_time: 20 } }),
      json(200, taskDetail("processing", { progress: 50 })),
      json(200, taskDetail("processing", { progress: 75 })),
      json(200, taskDetail("completed")),
    ]);
    const { client } = setup(steps);
    const onCreated = vi.fn();
    const { value } = await settle(client.edits.createAndWait(params, { onCreated }), 600_000);
    expect(value?.status).toBe("completed");
    expect(onCreated).toHaveBeenCalledWith(expect.objectContaining({ id: TASK_ID, status: "pending" }));
    // Half the 20 s estimate; 50% there predicts 20 s, so look again half-way (15 s); the rate of the two
    // readings predicts 20 s: one poll just after it.
    expect(times).toEqual([0, 10_000, 15_000, 20_400]);
  });

  it("counts the create in the total deadline, and a timeout there is APITimeoutError", async () => {
    const { client, fake } = setup(["hang"]);
    const { error } = await settle(client.edits.createAndWait(params, { timeoutMs: 5_000 }), 10_000);
    expect(error).toBeInstanceOf(APITimeoutError);
    expect(fake.requests).toHaveLength(1);
  });

  it("aborting before the first poll sends no poll", async () => {
    const { client, fake } = setup([json(200, created), json(200, taskDetail("completed"))]);
    const controller = new AbortController();
    const outcome = client.edits
      .createAndWait(params, { signal: controller.signal, onCreated: () => controller.abort() })
      .catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(await outcome).toBeInstanceOf(APIUserAbortError);
    expect(fake.requests).toHaveLength(1);
  });

  it("returns the completed task typed as Task", async () => {
    const { client } = setup([json(200, { ...created, status: "completed" }), json(200, taskDetail("completed"))]);
    const { value } = await settle(client.edits.createAndWait(params), 1_000);
    const task: Task | undefined = value;
    expect(task?.results).toHaveLength(1);
  });
});
