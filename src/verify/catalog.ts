/**
 * The named checks, in the manner of Schemathesis's: each has a stable name (selectable with `--check NAME`), one
 * line saying what it holds the server to, and what it needs to run. `kling-edit verify --list` prints this table.
 */

/** What a check needs before it can run. */
export type CheckNeeds =
  /** Requests that cannot create a task: always run. */
  | "free"
  /** Creates tasks: only with `--spend`. */
  | "spend"
  /** Creates tasks and receives callbacks: `--spend` and `--callback-url`. */
  | "callback";

/** One named check. */
export interface CheckInfo {
  /** What it holds the server to, in one line. */
  description: string;
  needs: CheckNeeds;
  /** Why Prism (a stateless example server that accepts any token) cannot satisfy it, when it cannot. */
  notOnPrism?: string;
}

const STATELESS = "Prism serves static examples: no task is stored, nothing runs or ends";

/** Every check, in report order. */
export const CHECKS = {
  "server-answers": {
    description:
      "every request gets an HTTP answer from the server itself (no reset, no timeout, not one Prism made up)",
    needs: "free",
  },
  "status-documented": { description: "every status is one the operation documents", needs: "free" },
  "content-type": { description: "every body comes with the documented Content-Type", needs: "free" },
  "body-schema": {
    description: "every body is JSON and validates against the documented schema (strict, formats on)",
    needs: "free",
  },
  "error-envelope": { description: 'every error body carries the "error" object', needs: "free" },
  "error-code-matches-status": {
    description: "an integer error.code equals the HTTP status (string business codes are allowed)",
    needs: "free",
  },
  "auth-enforced": {
    description: "every operation answers 401 without a token and with a token it does not accept",
    needs: "free",
  },
  "invalid-bodies-rejected": {
    description:
      "a create body missing a required field or with a wrong JSON type answers 400 (with --spend: every broken rule)",
    needs: "free",
  },
  "unknown-task-404": {
    description: "a well-formed unknown task id answers 404, a malformed one 400 or 404",
    needs: "free",
    notOnPrism: "Prism answers any task id with its static example",
  },
  "task-visible": {
    description: "a created task is found by GET right after its create, under the id the create returned",
    needs: "spend",
    notOnPrism: STATELESS,
  },
  "status-order": {
    description: "the statuses seen while polling go pending -> processing -> completed | failed, never back",
    needs: "spend",
    notOnPrism: STATELESS,
  },
  "progress-monotonic": { description: "progress never decreases", needs: "spend", notOnPrism: STATELESS },
  "terminal-sticky": {
    description: "a completed or failed task never changes status, results or error again",
    needs: "spend",
    notOnPrism: STATELESS,
  },
  "task-finishes": {
    description: "a created task ends (completed or failed) within the polling budget",
    needs: "spend",
    notOnPrism: STATELESS,
  },
  "result-url": {
    description: "results are present exactly when the task completed, and the first one serves a video",
    needs: "spend",
    notOnPrism: STATELESS,
  },
  "failure-reason": {
    description: "a failed task carries its reason (error.code and a non-blank error.message)",
    needs: "spend",
    notOnPrism: STATELESS,
  },
  "callback-delivered": {
    description: "the callback is delivered once the task ends, and once only after a 2xx",
    needs: "callback",
    notOnPrism: STATELESS,
  },
  "callback-schema": {
    description: "the callback is a POST of JSON that validates against the callback schema",
    needs: "callback",
    notOnPrism: STATELESS,
  },
  "callback-after-end": {
    description: "the callback is sent after the task ended, never while GET still shows it running",
    needs: "callback",
    notOnPrism: STATELESS,
  },
  "callback-matches-get": {
    description: "the callback body equals what GET returns for the task at that moment",
    needs: "callback",
    notOnPrism: STATELESS,
  },
  "callback-retries": {
    description: "after a non-2xx the callback is retried at about 1, 2 and 4 s, and no more than 3 times",
    needs: "callback",
    notOnPrism: STATELESS,
  },
  "callback-timeout": {
    description: "a receiver slower than 10 s is given up on (the next attempt comes about 10 + 1 s later)",
    needs: "callback",
    notOnPrism: STATELESS,
  },
} as const satisfies Record<string, CheckInfo>;

/** A check's name. */
export type CheckName = keyof typeof CHECKS;

/** Every check's name, in report order. */
export const CHECK_NAMES = Object.keys(CHECKS) as CheckName[];

/** Whether `name` is a check's name. */
export function isCheckName(name: string): name is CheckName {
  return Object.hasOwn(CHECKS, name);
}

/** `kling-edit verify --list`: one line per check. */
export function listChecks(): string {
  const width = Math.max(...CHECK_NAMES.map((n) => n.length));
  const needs = { free: "", spend: " [--spend]", callback: " [--spend --callback-url]" } as const;
  return CHECK_NAMES.map((name) => {
    const info: CheckInfo = CHECKS[name];
    return `${name.padEnd(width)}  ${info.description}${needs[info.needs]}`;
  }).join("\n");
}
