/**
 * The mock's own clock: time a developer can pause, resume, advance and speed up while tasks run. It reads an
 * underlying {@link Clock} (the wall clock, or a test's fake one) and, until someone touches the controls, returns
 * exactly its time, so a fake clock drives the mock unchanged.
 */

/** A source of the current time in milliseconds; tests inject a fake one. */
export interface Clock {
  /** Milliseconds since the epoch (or any monotonic origin the engine's tasks share). */
  now(): number;
}

/** The wall clock. */
export const systemClock: Clock = { now: () => Date.now() };

/** What the clock's controls report. */
export interface ClockState {
  /** The mock's time now (ms since the epoch). */
  now: number;
  /** Whether time stands still. */
  paused: boolean;
  /** Mock milliseconds per underlying millisecond (1 unless the speed was changed while running). */
  rate: number;
}

/** A clock whose time stands still, jumps ahead or runs faster on request; it never goes back. */
export class MockClock implements Clock {
  readonly #base: Clock;
  #anchorBase: number;
  #anchorMock: number;
  #rate = 1;
  #paused = false;

  constructor(base: Clock) {
    this.#base = base;
    this.#anchorBase = base.now();
    this.#anchorMock = this.#anchorBase;
  }

  /** The mock's time: the underlying clock's, shifted by every advance and scaled by every rate change since. */
  now(): number {
    if (this.#paused) return this.#anchorMock;
    return this.#anchorMock + (this.#base.now() - this.#anchorBase) * this.#rate;
  }

  /** Whether time stands still. */
  get paused(): boolean {
    return this.#paused;
  }

  /** Mock milliseconds per underlying millisecond. */
  get rate(): number {
    return this.#rate;
  }

  /** Stops time: tasks keep their status and progress, result links keep their time left. */
  pause(): void {
    this.#reanchor();
    this.#paused = true;
  }

  /** Lets time run again from where it stood. */
  resume(): void {
    this.#reanchor();
    this.#paused = false;
  }

  /** Moves time forward by `ms` (paused or not). */
  advance(ms: number): void {
    if (!(ms >= 0) || !Number.isFinite(ms)) throw new RangeError(`advance takes a duration >= 0 ms (got ${ms})`);
    this.#reanchor();
    this.#anchorMock += ms;
  }

  /** Runs time `rate` times as fast as the underlying clock from now on. */
  setRate(rate: number): void {
    if (!(rate > 0) || !Number.isFinite(rate)) throw new RangeError(`rate must be > 0 (got ${rate})`);
    this.#reanchor();
    this.#rate = rate;
  }

  /** Underlying milliseconds until the mock's time reaches `at`; `Infinity` while paused. */
  delayUntil(at: number): number {
    if (this.#paused) return Number.POSITIVE_INFINITY;
    return Math.max(0, (at - this.now()) / this.#rate);
  }

  /** The clock's state, for the admin surface. */
  state(): ClockState {
    return { now: this.now(), paused: this.#paused, rate: this.#rate };
  }

  #reanchor(): void {
    const now = this.now();
    this.#anchorBase = this.#base.now();
    this.#anchorMock = now;
  }
}

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Reads a duration such as `500ms`, `30s`, `10m`, `24h`, `1d` or a plain number of milliseconds; undefined if not one. */
export function parseDurationMs(value: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/i.exec(value);
  if (!match) return undefined;
  return Math.round(Number(match[1]) * (UNITS[(match[2] ?? "ms").toLowerCase()] ?? 1));
}
