/**
 * How errors read: the API's message with its suggestion and request id, violations named by flag or manifest key,
 * the `--json` error object, and reportError's exit code and wording. The key never reaches the output.
 */
import { describe, expect, it } from "vitest";
import { EXIT, InterruptedError, ReportedExit, UsageError } from "../../src/cli/exit-codes.js";
import { Output } from "../../src/cli/output.js";
import { errorJson, errorLines, errorOneLine, reportError } from "../../src/cli/report.js";
import {
  APITimeoutError,
  APIUserAbortError,
  DownloadError,
  makeAPIError,
  RequestValidationError,
  TaskFailedError,
} from "../../src/index.js";

const KEY = "sk-REPORT-SECRET-7";

function printer(json = false) {
  const out = { stdout: "", stderr: "" };
  const sink = (name: keyof typeof out) => ({
    write(chunk: string) {
      out[name] += chunk;
      return true;
    },
  });
  const output = new Output({ json, secrets: [KEY], stdout: sink("stdout"), stderr: sink("stderr") });
  return { output, out };
}

const rateLimited = () =>
  makeAPIError({
    status: 429,
    method: "POST",
    path: "/v1/videos/generations",
    body: {
      error: {
        code: 429,
        type: "rate_limit_error",
        message: "Rate limit exceeded",
        fallback_suggestion: "retry after 60 seconds",
      },
    },
    requestId: "req-42",
  });

const imageViolation = new RequestValidationError([
  { field: "image_urls[1]", param: "image_urls", rule: "fileExtension", message: "image_urls[1] must end in .jpg" },
]);

describe("errorLines", () => {
  it("an API error: its message, then the API's suggestion and the request id", () => {
    expect(errorLines(rateLimited())).toEqual([
      "Rate limit exceeded (429 rate_limit_error): POST /v1/videos/generations",
      "  suggestion: retry after 60 seconds",
      "  request id: req-42",
    ]);
  });

  it("a rule violation names the flag, or the manifest key, the user wrote", () => {
    expect(errorLines(imageViolation)).toEqual([
      "Invalid input, nothing was sent:",
      "  --image #2 must end in .jpg (fileExtension)",
    ]);
    expect(errorLines(imageViolation, "manifest")[1]).toBe("  images[1] must end in .jpg (fileExtension)");
  });

  it("a failed task: its id, business code and message", () => {
    const error = new TaskFailedError({
      id: "task-1",
      status: "failed",
      error: { code: "video_download_failed", message: "could not fetch the video" },
    });
    expect(errorLines(error)).toEqual(["Task task-1 failed (video_download_failed): could not fetch the video"]);
  });

  it("a usage error lists each problem on its own line", () => {
    expect(errorLines(new UsageError("bad manifest", ["line 2: no prompt", "line 5: no video"]))).toEqual([
      "bad manifest",
      "  line 2: no prompt",
      "  line 5: no video",
    ]);
  });

  it("shows a cause, except the abort through which a deadline acted", () => {
    const refused = new Error("connect ECONNREFUSED");
    expect(errorLines(new Error("fetch failed", { cause: refused }))).toEqual(["fetch failed (connect ECONNREFUSED)"]);
    const timeout = new APITimeoutError("Timed out after 5 ms: GET /v1/tasks/t", {
      cause: new APIUserAbortError("Aborted by the caller"),
    });
    expect(errorLines(timeout)).toEqual(["Timed out after 5 ms: GET /v1/tasks/t"]);
  });
});

describe("errorOneLine", () => {
  it("joins the lines, trimmed, for a summary or a journal record", () => {
    expect(errorOneLine(rateLimited())).toBe(
      "Rate limit exceeded (429 rate_limit_error): POST /v1/videos/generations; suggestion: retry after 60 seconds; request id: req-42",
    );
  });
});

describe("errorJson", () => {
  it("carries the fields a script branches on", () => {
    expect(errorJson(rateLimited(), EXIT.transient)).toMatchObject({
      exitCode: EXIT.transient,
      name: "RateLimitError",
      status: 429,
      type: "rate_limit_error",
      code: 429,
      param: null,
      fallbackSuggestion: "retry after 60 seconds",
      requestId: "req-42",
    });
    expect(errorJson(imageViolation, EXIT.usage).violations).toEqual(imageViolation.violations);
    expect(errorJson(new DownloadError("gone", { reason: "expired", status: 403 }), EXIT.refused)).toMatchObject({
      reason: "expired",
      status: 403,
    });
  });
});

describe("reportError", () => {
  it("returns a ReportedExit's code and prints nothing more (the command already reported)", () => {
    const { output, out } = printer(true);
    expect(reportError(new ReportedExit(EXIT.taskFailed), output)).toBe(EXIT.taskFailed);
    expect(out).toEqual({ stdout: "", stderr: "" });
  });

  it("maps the error to its exit code and prints `Error:` with the details", () => {
    const { output, out } = printer();
    expect(reportError(rateLimited(), output)).toBe(EXIT.transient);
    expect(out.stderr).toBe(
      "Error: Rate limit exceeded (429 rate_limit_error): POST /v1/videos/generations\n" +
        "  suggestion: retry after 60 seconds\n  request id: req-42\n",
    );
    expect(out.stdout).toBe("");
  });

  it("prints bad usage without `Error:`, and flags a bug as one", () => {
    const usage = printer();
    expect(reportError(new UsageError("--out is a directory"), usage.output)).toBe(EXIT.usage);
    expect(usage.out.stderr).toBe("--out is a directory\n");
    const bug = printer();
    expect(reportError(new TypeError("x is undefined"), bug.output)).toBe(EXIT.unexpected);
    expect(bug.out.stderr).toMatch(/^Error: x is undefined\n {2}This looks like a bug in kling-edit/);
  });

  it("says Interrupted for a Ctrl-C that escaped a command", () => {
    const { output, out } = printer();
    expect(reportError(new InterruptedError("create in flight"), output)).toBe(EXIT.interrupted);
    expect(out.stderr).toBe("Error: create in flight\n  Interrupted.\n");
  });

  it("--json: one `error` event on stdout, the message on stderr; the key echoed by a server appears in neither", () => {
    const { output, out } = printer(true);
    const error = makeAPIError({
      status: 401,
      method: "GET",
      path: "/v1/tasks/t",
      body: { error: { code: 401, type: "authentication_error", message: `invalid key ${KEY}` } },
    });
    expect(reportError(error, output)).toBe(EXIT.refused);
    const events = out.stdout
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(events).toEqual([
      expect.objectContaining({
        event: "error",
        exitCode: EXIT.refused,
        error: expect.objectContaining({ name: "AuthenticationError", status: 401 }),
      }),
    ]);
    expect(out.stderr).toContain("invalid key ***");
    expect(`${out.stdout}${out.stderr}`).not.toContain(KEY);
  });
});
