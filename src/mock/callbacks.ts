/**
 * Callback delivery as the spec's `taskFinished` callback states it: POST the task (the task query body) to
 * `callback_url`, 10 s timeout, at most 3 retries at 1/2/4 s after a failure, any 2xx acknowledges.
 */

/** Per-attempt timeout the spec states. */
export const CALLBACK_TIMEOUT_MS = 10_000;
/** Waits before each retry the spec states (1/2/4 s): at most 3 retries. */
export const CALLBACK_RETRY_DELAYS_MS: readonly number[] = [1000, 2000, 4000];

/** A cancellable wait; resolves early (without throwing) when `signal` aborts. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** The default {@link Sleep}: a timer that never keeps the process alive. */
export const realSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    (timer as { unref?: () => void }).unref?.();
    signal?.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });

/** One delivery attempt: the receiver's status, or why no status came back. */
export interface CallbackAttempt {
  /** 1 for the first try, up to 4. */
  attempt: number;
  /** When it was sent (ISO 8601, from the wall clock). */
  at: string;
  /** The receiver's HTTP status, when it answered. */
  status?: number;
  /** Why the attempt failed without a status (timeout, connection refused, ...). */
  error?: string;
}

/** The outcome of a delivery. */
export interface CallbackResult {
  /** Whether an attempt got a 2xx. */
  delivered: boolean;
  /** Every attempt, in order. */
  attempts: CallbackAttempt[];
}

/** How to deliver. */
export interface DeliverOptions {
  /** The fetch to send with. @default globalThis.fetch */
  fetch?: typeof fetch;
  /** The wait between attempts (tests inject an instant one). @default realSleep */
  sleep?: Sleep;
  /** Per-attempt timeout in ms. @default CALLBACK_TIMEOUT_MS (10 s) */
  timeoutMs?: number;
  /** Wait before each retry; its length is the number of retries. @default CALLBACK_RETRY_DELAYS_MS (1/2/4 s) */
  retryDelaysMs?: readonly number[];
  /** Stops the delivery (the server is closing). */
  signal?: AbortSignal;
  /** Called after each attempt, so a caller can show progress. */
  onAttempt?: (attempt: CallbackAttempt) => void;
}

/**
 * POSTs `payload` as JSON to `url` until a 2xx or the retries run out. Redirects are not followed (a redirect could
 * lead to an internal address the create request was not allowed to name). Never throws.
 */
export async function deliverCallback(
  url: string,
  payload: unknown,
  options: DeliverOptions = {},
): Promise<CallbackResult> {
  const send = options.fetch ?? globalThis.fetch;
  const sleep = options.sleep ?? realSleep;
  const timeoutMs = options.timeoutMs ?? CALLBACK_TIMEOUT_MS;
  const delays = options.retryDelaysMs ?? CALLBACK_RETRY_DELAYS_MS;
  const body = JSON.stringify(payload);
  const attempts: CallbackAttempt[] = [];
  for (let i = 0; i <= delays.length; i++) {
    if (i > 0) await sleep(delays[i - 1] ?? 0, options.signal);
    if (options.signal?.aborted) break;
    const attempt: CallbackAttempt = { attempt: i + 1, at: new Date().toISOString() };
    const signals = [AbortSignal.timeout(timeoutMs), ...(options.signal ? [options.signal] : [])];
    try {
      const response = await send(url, {
        method: "POST",
        headers: { "content-type": "application/json", "user-agent": "kling-o1-video-edit-mock" },
        body,
        redirect: "manual",
        signal: AbortSignal.any(signals),
      });
      attempt.status = response.status;
      await response.body?.cancel().catch(() => {});
    } catch (error) {
      attempt.error = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    }
    attempts.push(attempt);
    options.onAttempt?.(attempt);
    if (attempt.status !== undefined && attempt.status >= 200 && attempt.status < 300) {
      return { delivered: true, attempts };
    }
  }
  return { delivered: false, attempts };
}
