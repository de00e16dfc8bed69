/**
 * src/lazy.ts: the client's code loaded on first use. A load happens once and is then at hand synchronously; a load
 * that fails is a typed "nothing was sent" (not billed, transient) and the next call loads again. Through the client:
 * a create, a wait and a job submit whose code cannot load send nothing and store nothing.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { APIConnectionError, LOAD_FAILED_CODE } from "../src/errors.js";
import { lazy } from "../src/lazy.js";
import { createMayHaveBilled, isTransient, outcomeOf } from "../src/policy.js";
import { created, json, params, scriptedFetch, TASK_ID, taskDetail } from "./support/fake-fetch.js";

describe("lazy", () => {
  it("loads once, on first use, and then holds the module", async () => {
    let loads = 0;
    const mod = { answer: 42 };
    const load = lazy("answer", async () => {
      loads++;
      return mod;
    });
    expect(loads).toBe(0);
    expect(load.value).toBeUndefined();
    const [a, b] = await Promise.all([load(), load()]);
    expect(a).toBe(mod);
    expect(b).toBe(mod);
    expect(load.value).toBe(mod);
    await load();
    expect(loads).toBe(1);
  });

  it("a failed load rejects with APIConnectionError (not sent, not billed, transient); the next call loads again", async () => {
    let fail = true;
    const load = lazy("request checks", async () => {
      if (fail) throw new TypeError("Failed to fetch dynamically imported module: /assets/schemas-1a2b.js");
      return { ok: true };
    });
    const error = await load().catch((err: unknown) => err);
    expect(error).toBeInstanceOf(APIConnectionError);
    expect((error as APIConnectionError).code).toBe(LOAD_FAILED_CODE);
    expect((error as Error).message).toBe(
      "Could not load the client's request checks, so nothing was sent: " +
        "Failed to fetch dynamically imported module: /assets/schemas-1a2b.js",
    );
    expect((error as Error).cause).toBeInstanceOf(TypeError);
    expect(createMayHaveBilled(error)).toBe(false);
    expect(isTransient(outcomeOf(error))).toBe(true);
    expect(load.value).toBeUndefined();
    fail = false;
    await expect(load()).resolves.toEqual({ ok: true });
  });
});

describe("a client's first call, before its code has loaded", () => {
  it("tasks.get checks the id once: one warning for an id without the API's prefix, one request", async () => {
    vi.resetModules();
    const pkg = await import("../src/index.js");
    const lines: string[] = [];
    const log = (message: string) => lines.push(message);
    const fake = scriptedFetch(json(200, { ...taskDetail("completed"), id: "legacy-42" }));
    const client = pkg.createKlingClient({
      apiKey: "sk-lazy-0123456789",
      baseUrl: "https://api.test",
      fetch: fake.fetch,
      logger: { debug: log, info: log, warn: log, error: log },
    });
    await expect(client.tasks.get("legacy-42")).resolves.toMatchObject({ id: "legacy-42" });
    expect(lines.filter((line) => line.includes("does not start with"))).toHaveLength(1);
    expect(fake.requests).toHaveLength(1);
  });
});

describe("a client whose code cannot load", () => {
  afterEach(() => {
    vi.doUnmock("../src/schemas.js");
    vi.doUnmock("../src/wait.js");
    vi.resetModules();
  });

  /** A fresh copy of the package with `file` failing to load, as a lost chunk does in a browser. */
  async function clientWithout(file: "../src/schemas.js" | "../src/wait.js") {
    vi.resetModules();
    vi.doMock(file, () => {
      throw new TypeError(`Failed to fetch dynamically imported module: ${file}`);
    });
    const pkg = await import("../src/index.js");
    const fake = scriptedFetch(json(200, created), json(200, taskDetail("completed")));
    const client = pkg.createKlingClient({
      apiKey: "sk-lazy-0123456789",
      baseUrl: "https://api.test",
      fetch: fake.fetch,
    });
    return { pkg, client, fake };
  }

  it("a create sends nothing and says so; once the code loads, the same call goes through", async () => {
    const { pkg, client, fake } = await clientWithout("../src/schemas.js");
    const error = await client.edits.create(params).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(pkg.APIConnectionError);
    expect((error as APIConnectionError).code).toBe(pkg.LOAD_FAILED_CODE);
    expect(pkg.createMayHaveBilled(error)).toBe(false);
    expect(fake.requests).toHaveLength(0);
    vi.doUnmock("../src/schemas.js");
    await expect(client.edits.create(params)).resolves.toMatchObject({ id: TASK_ID });
    expect(fake.requests).toHaveLength(1);
  });

  it("jobs.submit rejects with nothing sent and no job stored (its runner needs the rules)", async () => {
    const { pkg, client, fake } = await clientWithout("../src/schemas.js");
    const error = await client.jobs.submit(params, { id: "lazy-1" }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(pkg.APIConnectionError);
    expect(pkg.createMayHaveBilled(error)).toBe(false);
    expect(fake.requests).toHaveLength(0);
    expect(await client.jobs.get("lazy-1")).toBeUndefined();
  });

  it("createAndWait checks that it can wait before it creates: no task is left behind", async () => {
    const { pkg, client, fake } = await clientWithout("../src/wait.js");
    const error = await client.edits.createAndWait(params).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(pkg.APIConnectionError);
    expect((error as APIConnectionError).code).toBe(pkg.LOAD_FAILED_CODE);
    expect(fake.requests).toHaveLength(0);
  });
});
