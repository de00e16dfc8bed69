/**
 * The CLI's exit codes, and the mapping from the client's errors to them. Scripts branch on these, so they are part
 * of the interface: keep them in sync with `--help` (HELP_EXIT_CODES) and the README's "Command line" section.
 */
import {
  APIConnectionError,
  APIError,
  APITimeoutError,
  APIUserAbortError,
  ContractViolationError,
  DownloadError,
  isTransient,
  MissingApiKeyError,
  outcomeOf,
  RequestValidationError,
  SubmitOutcomeUnknownError,
  TaskFailedError,
} from "../index.js";

/** Exit codes by meaning. */
export const EXIT = {
  /** Success. */
  ok: 0,
  /** A bug or an error the CLI did not expect. */
  unexpected: 1,
  /** Bad usage or invalid input: nothing was sent. */
  usage: 2,
  /** The API refused the request (a 4xx other than 429). */
  refused: 3,
  /** The task failed. */
  taskFailed: 4,
  /** Gave up on a transient fault: 429 or 5xx after retries, network error, timeout, a malformed response. */
  transient: 5,
  /** Interrupted (Ctrl-C). */
  interrupted: 130,
} as const;

/** One of the CLI's exit codes. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The exit code table as `--help` prints it. */
export const HELP_EXIT_CODES = `Exit codes:
  0    success
  2    bad usage or invalid input (nothing was sent)
  3    the API refused the request (4xx: key, quota, permission, not found, bad request; an expired result link)
  4    the task failed
  5    gave up on a transient fault (429 or 5xx after retries, network error, timeout, malformed response)
  130  interrupted (Ctrl-C); the task id and the command to resume are printed`;

/** A usage or input error the CLI found itself, before sending anything. */
export class UsageError extends Error {
  override name = "UsageError";
  /** Each problem on its own line (several for a manifest with several bad lines). */
  readonly problems: string[];
  constructor(message: string, problems: string[] = []) {
    super(message);
    this.problems = problems;
  }
}

/** Raised when the user pressed Ctrl-C; carries what is needed to resume. */
export class InterruptedError extends Error {
  override name = "InterruptedError";
}

/**
 * Thrown by a command after it has already reported how it ended (a JSON `task` or `error` event, a human message):
 * run.ts resolves with `exitCode` and prints nothing more.
 */
export class ReportedExit extends Error {
  override name = "ReportedExit";
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
  }
}

/** The exit code for an error thrown by a command. */
export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof UsageError || error instanceof RequestValidationError || error instanceof MissingApiKeyError) {
    return EXIT.usage;
  }
  if (error instanceof InterruptedError || error instanceof APIUserAbortError) return EXIT.interrupted;
  if (error instanceof TaskFailedError) return EXIT.taskFailed;
  // Transient or not is the client's decision (its policy); a permanent API answer is a refusal.
  if (error instanceof APIError) return isTransient(outcomeOf(error)) ? EXIT.transient : EXIT.refused;
  if (error instanceof APIConnectionError || error instanceof APITimeoutError) return EXIT.transient;
  if (error instanceof ContractViolationError) return EXIT.transient;
  // A task may exist: the create's answer was lost.
  if (error instanceof SubmitOutcomeUnknownError) return EXIT.transient;
  if (error instanceof DownloadError) return downloadExitCode(error);
  return EXIT.unexpected;
}

function downloadExitCode(error: DownloadError): ExitCode {
  switch (error.reason) {
    // A download comes after a task exists, so never 2 ("nothing was sent"): a destination that could not be
    // written is a fault the printed command resumes (5); an http:// link the CLI will not fetch is refused (3).
    case "io":
      return EXIT.transient;
    case "insecure":
    case "expired":
    case "too-large":
      return EXIT.refused;
    case "http":
      return error.status !== undefined && error.status < 500 && error.status !== 429 ? EXIT.refused : EXIT.transient;
    default:
      // truncated body, no result in a completed task: retrying may help.
      return EXIT.transient;
  }
}
