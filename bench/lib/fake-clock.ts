/**
 * Runs the client's real waiting code on a fake clock (@sinonjs/fake-timers), so a 30-minute task takes milliseconds
 * and every run gives the same numbers.
 */
import FakeTimers from "@sinonjs/fake-timers";

/** The fake clock's start (any fixed instant: runs are repeatable). */
const EPOCH_MS = 1_757_169_743_000;

let installs = 0;

/** How many times this process has installed a fake clock (the smoke test checks who did). */
export function fakeClockInstalls(): number {
  return installs;
}

/**
 * Installs a fake clock (timers and Date), runs `start` and steps the clock from timer to timer until the promise it
 * returned settles; resolves or rejects with it. Between steps every promise in flight settles (real immediates), so
 * a step is "the next thing the code waits for". Starts at `now` (a fixed instant by default). Bounded: a runaway loop fails instead of spinning.
 */
export async function onFakeClock<T>(
  start: () => Promise<T>,
  options: { maxSteps?: number; now?: number } = {},
): Promise<T> {
  const { maxSteps = 100_000, now = EPOCH_MS } = options;
  const realImmediate = globalThis.setImmediate;
  installs++;
  const clock = FakeTimers.withGlobal(globalThis).install({
    now,
    toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"],
  });
  try {
    let settled: { value?: T; error?: unknown; done: true } | undefined;
    start().then(
      (value) => {
        settled = { value, done: true };
      },
      (error: unknown) => {
        settled = { error, done: true };
      },
    );
    for (let step = 0; step < maxSteps; step++) {
      for (let i = 0; i < 4 && !settled; i++) await new Promise((resolve) => realImmediate(resolve));
      if (settled) break;
      if (clock.countTimers() === 0) throw new Error("the code is waiting on nothing");
      clock.next();
    }
    if (!settled) throw new Error(`not finished within ${maxSteps} timer steps`);
    if ("error" in settled) throw settled.error;
    return settled.value as T;
  } finally {
    clock.uninstall();
  }
}
