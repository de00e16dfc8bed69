/**
 * The suite's console lines: a skipped target, what a paid live run will create. They must be visible in a CI log
 * (the brief asks for it), so this one module may use the console.
 */

/** Prints one line prefixed with `[contract]`. */
export function log(line: string): void {
  // biome-ignore lint/suspicious/noConsole: visible status lines are the point (a skipped target, a paid run)
  console.log(`[contract] ${line}`);
}
