/**
 * The package's abortable sleep (src/internal/scope.ts), made instant and recorded, for tests whose subject is what a
 * retry does, not how long it waits: a file mocks the module with it,
 *
 *   vi.mock("../src/internal/scope.js", async (original) =>
 *     (await import("./support/instant-sleep.js")).instantSleep(original));
 *
 * and reads the delays the code asked for in {@link slept} (so a back-off that went missing still fails the test).
 * Each sleep still yields to the event loop once (a 0 ms timer) and still rejects when its signal aborts.
 */
import type * as Scope from "../../src/internal/scope.js";

/** Every delay asked of the mocked sleep, in ms, in order. Clear it in `beforeEach`. */
export const slept: number[] = [];

/** The scope module with its `sleep` replaced. */
export async function instantSleep(original: () => Promise<typeof Scope>): Promise<typeof Scope> {
  const real = await original();
  return {
    ...real,
    sleep: (ms: number, signal: AbortSignal) => {
      slept.push(ms);
      return real.sleep(0, signal);
    },
  };
}
