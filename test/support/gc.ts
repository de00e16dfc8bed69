/**
 * Garbage collection on a timer, for tests of code that must survive one at any moment: Node 20 holds some objects
 * only weakly that a caller relies on (an AbortSignal.timeout inside AbortSignal.any, nodejs/node#57736), and a busy
 * CI worker collects far more often than a quiet local run, so such a defect shows only there unless a test forces it.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/** Runs a full collection every `ms` until the returned function is called. */
export function collectGarbageEvery(ms: number): () => void {
  // --expose-gc after start-up defines `gc` only in contexts made from then on: take it from a fresh one.
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  const timer = setInterval(gc, ms);
  return () => clearInterval(timer);
}
