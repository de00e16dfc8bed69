/**
 * At most `size` tasks at once, the others queued in order: what `jobs.resumeAll` bounds its GETs and downloads with
 * (a restart that follows thousands of jobs must not send thousands of requests at once).
 */

/** Runs `task` once a place is free; a queued task whose signal aborts leaves the queue and rejects with the reason. */
export type Limit = <T>(task: () => Promise<T>, signal?: AbortSignal) => Promise<T>;

/** A {@link Limit} of `size` places (a whole number >= 1). */
export function limit(size: number): Limit {
  let free = size;
  const queue: (() => void)[] = [];
  const release = () => {
    const next = queue.shift();
    if (next) next();
    else free++;
  };
  return async (task, signal) => {
    if (free > 0) free--;
    else {
      signal?.throwIfAborted();
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          queue.splice(queue.indexOf(go), 1);
          reject(signal?.reason);
        };
        // Handed a place by release(): the place is this task's now.
        const go = () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        };
        signal?.addEventListener("abort", onAbort, { once: true });
        queue.push(go);
      });
    }
    try {
      return await task();
    } finally {
      release();
    }
  };
}
