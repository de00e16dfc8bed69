import { describe, expect, it } from "vitest";
import { MockClock, parseDurationMs } from "../../src/mock/clock.js";
import { FakeClock } from "./helpers.js";

describe("MockClock", () => {
  it("reads the underlying clock exactly until a control is used", () => {
    const base = new FakeClock();
    const clock = new MockClock(base);
    for (const step of [0, 1, 1234.5, 60_000]) {
      base.advance(step);
      expect(clock.now()).toBe(base.ms);
    }
    expect(clock.state()).toEqual({ now: base.ms, paused: false, rate: 1 });
  });

  it("stands still while paused and runs on from there when resumed", () => {
    const base = new FakeClock();
    const clock = new MockClock(base);
    const start = clock.now();
    clock.pause();
    base.advance(5000);
    expect(clock.now()).toBe(start);
    expect(clock.delayUntil(start + 1)).toBe(Number.POSITIVE_INFINITY);
    clock.resume();
    base.advance(100);
    expect(clock.now()).toBe(start + 100);
  });

  it("advances by a duration, paused or not, and refuses to go back", () => {
    const base = new FakeClock();
    const clock = new MockClock(base);
    const start = clock.now();
    clock.advance(60_000);
    expect(clock.now()).toBe(start + 60_000);
    clock.pause();
    clock.advance(1000);
    expect(clock.now()).toBe(start + 61_000);
    expect(() => clock.advance(-1)).toThrow(RangeError);
  });

  it("runs faster after setRate, and says how long (underlying ms) until a time is reached", () => {
    const base = new FakeClock();
    const clock = new MockClock(base);
    const start = clock.now();
    clock.setRate(4);
    base.advance(1000);
    expect(clock.now()).toBe(start + 4000);
    expect(clock.delayUntil(start + 8000)).toBe(1000);
    expect(clock.delayUntil(start)).toBe(0);
    expect(() => clock.setRate(0)).toThrow(RangeError);
  });
});

describe("parseDurationMs", () => {
  it.each([
    ["500ms", 500],
    ["30s", 30_000],
    ["10m", 600_000],
    ["24h", 86_400_000],
    ["1d", 86_400_000],
    ["1.5s", 1500],
    ["250", 250],
    [" 2 M ", 120_000],
  ])("%s is %d ms", (given, want) => {
    expect(parseDurationMs(given)).toBe(want);
  });

  it.each(["", "soon", "-5s", "5 weeks", "1e3"])("%s is not a duration", (given) => {
    expect(parseDurationMs(given)).toBeUndefined();
  });
});
