/**
 * src/internal/limit.ts: at most `size` tasks at once, the rest in order; a place is freed when a task settles, even
 * by throwing; a queued task whose signal aborts leaves the queue with the signal's reason.
 */
import { describe, expect, it } from "vitest";
import { limit } from "../../src/internal/limit.js";

/** A task that records when it starts and ends, and finishes when told. */
function gate(log: string[], name: string) {
  let open: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    open = resolve;
  });
  return {
    task: async () => {
      log.push(`start ${name}`);
      await done;
      log.push(`end ${name}`);
      return name;
    },
    open: () => open(),
  };
}

const ticks = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("limit", () => {
  it("runs at most size tasks at once, the others in the order they came", async () => {
    const log: string[] = [];
    const run = limit(2);
    const [a, b, c, d] = ["a", "b", "c", "d"].map((n) => gate(log, n));
    const results = [a, b, c, d].map((g) => run((g as ReturnType<typeof gate>).task));
    await ticks();
    expect(log).toEqual(["start a", "start b"]);
    b?.open();
    await ticks();
    expect(log).toEqual(["start a", "start b", "end b", "start c"]);
    a?.open();
    c?.open();
    d?.open();
    expect(await Promise.all(results)).toEqual(["a", "b", "c", "d"]);
  });

  it("a task that throws frees its place", async () => {
    const run = limit(1);
    await expect(run(async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    await expect(run(async () => "next")).resolves.toBe("next");
  });

  it("a queued task whose signal aborts rejects with the reason and never runs; the queue goes on", async () => {
    const log: string[] = [];
    const run = limit(1);
    const first = gate(log, "first");
    const running = run(first.task);
    const controller = new AbortController();
    let ran = false;
    const queued = run(async () => {
      ran = true;
    }, controller.signal);
    const after = run(async () => "after");
    controller.abort(new Error("stop"));
    await expect(queued).rejects.toThrow("stop");
    first.open();
    await expect(running).resolves.toBe("first");
    await expect(after).resolves.toBe("after");
    expect(ran).toBe(false);
  });

  it("an already aborted signal is refused at once when it would have to queue", async () => {
    const run = limit(1);
    const log: string[] = [];
    const first = gate(log, "first");
    const running = run(first.task);
    await expect(run(async () => "x", AbortSignal.abort(new Error("gone")))).rejects.toThrow("gone");
    first.open();
    await running;
  });
});
