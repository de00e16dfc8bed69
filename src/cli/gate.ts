/**
 * One back-off gate shared by every request of a batch: when the API answers 429 (or 503) to any of them, all of
 * them wait, for as long as the server asked (`Retry-After`), instead of each worker retrying on its own schedule
 * and keeping the rate limit tripped.
 */
import { setTimeout as delay } from "node:timers/promises";
import { backoffDelayMs } from "../index.js";

/** A sleep that ends early, rejecting, when the signal aborts. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

/** The default {@link Sleep}: Node's abortable timer (rejects when the signal aborts). */
export const abortableSleep: Sleep = (ms, signal) =>
  // Node's timer rejects with its own AbortError, not the reason the caller aborted with (which says why: Ctrl-C).
  delay(ms, undefined, { signal }).catch((error: unknown) => {
    signal.throwIfAborted();
    throw error;
  });

/** The gate's clock and sleep, injectable for tests. */
export interface GateOptions {
  /** @default Date.now */
  now?: () => number;
  /** @default an abortable setTimeout */
  sleep?: Sleep;
  /** Jitter source for the back-off without a server hint. @default Math.random */
  random?: () => number;
}

/** A shared "everybody wait until T" gate. */
export class BackoffGate {
  #openAt = 0;
  #streak = 0;
  readonly #now: () => number;
  readonly #sleep: Sleep;
  readonly #random: () => number;

  constructor(options: GateOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? abortableSleep;
    this.#random = options.random ?? Math.random;
  }

  /** Milliseconds until the gate opens (0 when open). */
  get waitMs(): number {
    return Math.max(0, this.#openAt - this.#now());
  }

  /** Resolves when the gate is open; rejects with the signal's reason if it aborts first. */
  async pass(signal: AbortSignal): Promise<void> {
    for (let wait = this.waitMs; wait > 0; wait = this.waitMs) await this.#sleep(wait, signal);
    signal.throwIfAborted();
  }

  /**
   * Closes the gate for everyone: for the server's requested wait when it gave one, else for an exponential back-off
   * that grows with each refusal in a row. Never shortens a wait already in force. Returns the wait now in force.
   */
  close(hintMs: number | null | undefined): number {
    const delay = hintMs ?? backoffDelayMs(this.#streak, this.#random);
    this.#streak++;
    this.#openAt = Math.max(this.#openAt, this.#now() + delay);
    return this.waitMs;
  }

  /** A request got through: the next refusal starts the back-off from the beginning. */
  succeeded(): void {
    this.#streak = 0;
  }
}

/**
 * A `fetch` for the batch's client: every API query (GET under `baseUrl`) first passes the gate, and a 429 answered to
 * any API request closes it, so one rate limit pauses every worker's polls, not just the one that met it. Creates are
 * not held here: a create waiting inside the client would run down its own deadline, and a create that times out may
 * have billed; the batch passes the gate before it submits instead.
 */
export function gatedFetch(
  gate: BackoffGate,
  baseUrl: () => string,
  inner: typeof fetch = globalThis.fetch,
): typeof fetch {
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    const api = `${baseUrl().replace(/\/+$/, "")}/`;
    const request = input instanceof Request ? input : undefined;
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const method = (init?.method ?? request?.method ?? "GET").toUpperCase();
    const signal = init?.signal ?? request?.signal ?? undefined;
    const toApi = url.startsWith(api);
    if (toApi && method === "GET") await gate.pass(signal ?? new AbortController().signal);
    const response = await inner(input, init);
    if (toApi && response.status === 429) gate.close(null);
    return response;
  }) as typeof fetch;
}
