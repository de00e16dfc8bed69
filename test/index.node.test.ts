/**
 * src/index.node.ts, the main entry as Node, Bun and Deno resolve it: the same exports as src/index.ts, and nothing
 * loads on a client's first call, so a first wait under fake timers runs like any other (through src/index.ts it
 * would wait, in real time, for the wait loop and validators to load).
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { json, scriptedFetch, TASK_ID, taskDetail } from "./support/fake-fetch.js";

afterEach(() => {
  vi.useRealTimers();
  vi.resetModules();
});

describe("src/index.node.ts", () => {
  it("exports what src/index.ts exports, the same objects", async () => {
    vi.resetModules();
    const [node, main] = await Promise.all([import("../src/index.node.js"), import("../src/index.js")]);
    expect(Object.keys(node).sort()).toEqual(Object.keys(main).sort());
    for (const key of Object.keys(main))
      expect(node[key as keyof typeof node], key).toBe(main[key as keyof typeof main]);
  });

  it("has the rules, validators, wait loop and download code loaded at import", async () => {
    vi.resetModules();
    await import("../src/index.node.js");
    const lazy = await import("../src/lazy.js");
    expect(lazy.loadSchemas.value?.createBody).toBeTypeOf("function");
    expect(lazy.loadWait.value?.waitForTask).toBeTypeOf("function");
    expect(lazy.loadDownload.value?.downloadBlob).toBeTypeOf("function");
    // The job runner stays lazy: a process that never uses jobs does not load it (nor the webhook module).
    expect(lazy.loadJobsRun.value).toBeUndefined();
  });

  it("a client's very first call is a wait under fake timers, and it completes", async () => {
    vi.resetModules();
    const { createKlingClient } = await import("../src/index.node.js");
    vi.useFakeTimers();
    const fake = scriptedFetch(
      json(200, taskDetail("processing", { progress: 40 })),
      json(200, taskDetail("completed")),
    );
    const client = createKlingClient({ apiKey: "sk-node-0123456789", baseUrl: "https://api.test", fetch: fake.fetch });
    const done = client.tasks.wait(TASK_ID, { pollIntervalMs: 5_000 }).then((task) => task.status);
    await vi.advanceTimersByTimeAsync(60_000);
    await expect(Promise.race([done, Promise.resolve("still waiting")])).resolves.toBe("completed");
    expect(fake.requests).toHaveLength(2);
  });
});
