/** The batch's shared back-off gate: everyone waits while it is closed, for the server's hint or a growing back-off. */
import { describe, expect, it } from "vitest";
import { BackoffGate } from "../../src/cli/gate.js";

describe("BackoffGate", () => {
  it("waits out the server's hint, then opens; a success restarts the back-off", async () => {
    let now = 0;
    const slept: number[] = [];
    const gate = new BackoffGate({
      now: () => now,
      random: () => 0.5,
      sleep: async (ms) => {
        slept.push(ms);
        now += ms;
      },
    });
    expect(gate.close(3000)).toBe(3000);
    expect(gate.close(1000)).toBe(3000); // never shortens a wait in force
    await gate.pass(new AbortController().signal);
    expect(slept).toEqual([3000]);
    expect(gate.waitMs).toBe(0);
    gate.succeeded();
    const first = gate.close(null);
    now += first;
    const second = gate.close(null);
    expect(second).toBeGreaterThan(first);
    now += second;
    gate.succeeded();
    expect(gate.close(null)).toBe(first);
  });

  it("with its default sleep, a Ctrl-C ends the wait at once, rejecting with the signal's reason", async () => {
    const gate = new BackoffGate();
    gate.close(60_000);
    const controller = new AbortController();
    const reason = new Error("Ctrl-C");
    const passing = gate.pass(controller.signal);
    controller.abort(reason);
    await expect(passing).rejects.toBe(reason);
  });
});
