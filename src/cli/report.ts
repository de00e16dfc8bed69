/**
 * How errors read on the terminal: the API's message, its `fallback_suggestion` and the request id, rule violations
 * named by flag; and {@link reportError}, which prints an error that escaped a command and picks its exit code.
 * Nothing here ever sees the API key (the client keeps it out of errors; the output layer scrubs it again).
 */
import {
  APIError,
  APITimeoutError,
  APIUserAbortError,
  DownloadError,
  RequestValidationError,
  TaskFailedError,
} from "../index.js";
import { EXIT, exitCodeFor, InterruptedError, ReportedExit, UsageError } from "./exit-codes.js";
import { describeViolation, type InputKind } from "./flags.js";
import type { Output } from "./output.js";

/** The lines describing an error: the message first, then the suggestion and the request id when there are any. */
export function errorLines(error: unknown, kind: InputKind = "flags"): string[] {
  if (error instanceof UsageError) return [error.message, ...error.problems.map((p) => `  ${p}`)];
  if (error instanceof RequestValidationError) {
    return ["Invalid input, nothing was sent:", ...error.violations.map((v) => `  ${describeViolation(v, kind)}`)];
  }
  if (error instanceof TaskFailedError) {
    const code = error.task.error?.code;
    return [
      `Task ${error.task.id} failed${code ? ` (${code})` : ""}: ${error.task.error?.message ?? "no reason given"}`,
    ];
  }
  if (error instanceof APIError) {
    const lines = [error.message];
    if (error.fallbackSuggestion) lines.push(`  suggestion: ${error.fallbackSuggestion}`);
    if (error.requestId) lines.push(`  request id: ${error.requestId}`);
    return lines;
  }
  if (error instanceof DownloadError) {
    return [error.message];
  }
  if (error instanceof Error) {
    // A deadline cuts the request in flight by aborting it; that abort is how the timeout acted, not a Ctrl-C, so it
    // is not shown as a cause ("Aborted by the caller") (issue 11, item 19).
    const abortedByTimeout = error instanceof APITimeoutError && error.cause instanceof APIUserAbortError;
    const cause = error.cause instanceof Error && !abortedByTimeout ? ` (${error.cause.message})` : "";
    return [`${error.message}${cause}`];
  }
  return [String(error)];
}

/** The error on one line, for a batch summary or a journal record. */
export function errorOneLine(error: unknown): string {
  const [first = "", ...rest] = errorLines(error, "manifest");
  return [first, ...rest.map((l) => l.trim())].join("; ");
}

/** The error as a JSON object for `--json` output: the fields a script branches on, no secrets. */
export function errorJson(error: unknown, exitCode: number): Record<string, unknown> {
  const out: Record<string, unknown> = { exitCode, message: errorLines(error).join("\n") };
  if (error instanceof Error) out.name = error.name;
  if (error instanceof APIError) {
    Object.assign(out, {
      status: error.status,
      type: error.type ?? null,
      code: error.code ?? null,
      param: error.param ?? null,
      fallbackSuggestion: error.fallbackSuggestion ?? null,
      requestId: error.requestId,
    });
  }
  if (error instanceof RequestValidationError) out.violations = error.violations;
  if (error instanceof DownloadError) Object.assign(out, { reason: error.reason, status: error.status ?? null });
  if (error instanceof UsageError) out.problems = error.problems;
  return out;
}

/** Prints an error that escaped a command and returns its exit code. */
export function reportError(error: unknown, output: Output): number {
  if (error instanceof ReportedExit) return error.exitCode;
  const exitCode = exitCodeFor(error);
  output.stopBars();
  output.event("error", { error: errorJson(error, exitCode), exitCode });
  const lines = errorLines(error);
  if (exitCode === EXIT.unexpected && error instanceof Error && !(error instanceof APIError)) {
    lines.push("  This looks like a bug in kling-edit; please report it with the command you ran (without the key).");
  }
  if (error instanceof InterruptedError) lines.push("  Interrupted.");
  output.warn(exitCode === EXIT.usage ? lines.join("\n") : `Error: ${lines.join("\n")}`);
  return exitCode;
}
