/** The CLI's exit codes: one per kind of error, the contract scripts branch on (README "Command line", `--help`). */
import { describe, expect, it } from "vitest";
import { EXIT, exitCodeFor, HELP_EXIT_CODES, InterruptedError, UsageError } from "../../src/cli/exit-codes.js";
import {
  APIConnectionError,
  APITimeoutError,
  APIUserAbortError,
  ContractViolationError,
  DownloadError,
  type DownloadErrorReason,
  MissingApiKeyError,
  makeAPIError,
  RequestValidationError,
  SubmitOutcomeUnknownError,
  TaskFailedError,
} from "../../src/index.js";

const api = (status: number) => makeAPIError({ status, method: "GET", path: "/v1/tasks/t", body: "" });
const download = (reason: DownloadErrorReason, status?: number) =>
  new DownloadError(`download failed (${reason})`, { reason, ...(status !== undefined ? { status } : {}) });
const job = { id: "job-1", toJSON: () => ({}) };

describe("exitCodeFor", () => {
  const table: [string, { given: unknown; want: number }][] = [
    ["a usage error", { given: new UsageError("bad flag"), want: EXIT.usage }],
    [
      "a rule violation (nothing sent)",
      {
        given: new RequestValidationError([{ field: "prompt", param: "prompt", rule: "required", message: "x" }]),
        want: EXIT.usage,
      },
    ],
    ["no API key", { given: new MissingApiKeyError(), want: EXIT.usage }],
    ["Ctrl-C", { given: new InterruptedError("stop"), want: EXIT.interrupted }],
    ["the caller's abort", { given: new APIUserAbortError("aborted"), want: EXIT.interrupted }],
    ["a failed task", { given: new TaskFailedError({ id: "t", status: "failed" }), want: EXIT.taskFailed }],
    ["400", { given: api(400), want: EXIT.refused }],
    ["401", { given: api(401), want: EXIT.refused }],
    ["402", { given: api(402), want: EXIT.refused }],
    ["403", { given: api(403), want: EXIT.refused }],
    ["404", { given: api(404), want: EXIT.refused }],
    ["undocumented 409", { given: api(409), want: EXIT.refused }],
    ["408", { given: api(408), want: EXIT.transient }],
    ["429", { given: api(429), want: EXIT.transient }],
    ["500", { given: api(500), want: EXIT.transient }],
    ["502", { given: api(502), want: EXIT.transient }],
    ["503", { given: api(503), want: EXIT.transient }],
    ["undocumented 504", { given: api(504), want: EXIT.transient }],
    ["no connection", { given: new APIConnectionError("refused", { code: "ECONNREFUSED" }), want: EXIT.transient }],
    ["the deadline", { given: new APITimeoutError("timed out"), want: EXIT.transient }],
    ["a body that breaks the spec", { given: new ContractViolationError("bad body"), want: EXIT.transient }],
    ["a create whose outcome is unknown", { given: new SubmitOutcomeUnknownError(job, false), want: EXIT.transient }],
    ["a download that could not be written", { given: download("io"), want: EXIT.transient }],
    ["an http:// link", { given: download("insecure"), want: EXIT.refused }],
    ["an expired link", { given: download("expired", 403), want: EXIT.refused }],
    ["a result over the size limit", { given: download("too-large"), want: EXIT.refused }],
    ["a result host's 404", { given: download("http", 404), want: EXIT.refused }],
    ["a result host's 429", { given: download("http", 429), want: EXIT.transient }],
    ["a result host's 503", { given: download("http", 503), want: EXIT.transient }],
    ["a truncated body", { given: download("truncated"), want: EXIT.transient }],
    ["a bug", { given: new TypeError("x is undefined"), want: EXIT.unexpected }],
    ["a thrown string", { given: "boom", want: EXIT.unexpected }],
  ];
  it.each(table)("%s", (_name, { given, want }) => {
    expect(exitCodeFor(given)).toBe(want);
  });
});

describe("HELP_EXIT_CODES", () => {
  it("lists every code a command can end with except the bug code, each once", () => {
    const listed = HELP_EXIT_CODES.split("\n")
      .slice(1)
      .map((line) => Number(line.trim().split(/\s+/)[0]));
    const codes = Object.values(EXIT).filter((code) => code !== EXIT.unexpected);
    expect(listed.sort((a, b) => a - b)).toEqual([...codes].sort((a, b) => a - b));
  });
});
