import { describe, expect, it } from "vitest";
import { APIPromise } from "../src/api-promise.js";

const response = new Response("{}");

describe("APIPromise", () => {
  it("resolves to the data, and withResponse() to data, response and request id from the same call", async () => {
    let calls = 0;
    const inner = (async () => {
      calls++;
      return { data: 42, response, requestId: "r1", requestIds: ["r1"] };
    })();
    const promise = new APIPromise(inner);
    expect(await promise).toBe(42);
    expect(await promise.withResponse()).toEqual({ data: 42, response, requestId: "r1", requestIds: ["r1"] });
    expect(calls).toBe(1);
    expect(promise).toBeInstanceOf(Promise);
  });

  it("rejects through then, catch and finally alike", async () => {
    const make = () => new APIPromise<number>(Promise.reject(new Error("boom")));
    await expect(make()).rejects.toThrow("boom");
    expect(await make().catch((e: unknown) => (e as Error).message)).toBe("boom");
    let finished = false;
    await make()
      .finally(() => {
        finished = true;
      })
      .catch(() => {});
    expect(finished).toBe(true);
    await expect(make().withResponse()).rejects.toThrow("boom");
  });

  it("chains into plain promises", async () => {
    const chained = new APIPromise(Promise.resolve({ data: 1, response, requestId: null, requestIds: [] })).then(
      (n) => n + 1,
    );
    expect(chained).not.toBeInstanceOf(APIPromise);
    expect(await chained).toBe(2);
  });
});
