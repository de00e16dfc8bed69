/**
 * src/cli/run.ts: the run of the CLI around the program: exit codes (0 help and version, 2 anything commander
 * refuses, an action's code, reportError's code for what an action throws), the `--json` error event for a usage
 * error, and the API key (from KLING_API_KEY, `--api-key K`, `--api-key=K`) scrubbed from everything printed.
 * In-process: `main()` is called with each argv, printing to the process's streams, which are captured. No command
 * here sends a request.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { HELP_EXIT_CODES } from "../../src/cli/exit-codes.js";
import { packageVersion } from "../../src/cli/program.js";
import { main } from "../../src/cli/run.js";

const KEY = "sk-main-secret-0123456789";
const out = { stdout: "", stderr: "" };

function capture(name: "stdout" | "stderr") {
  return vi.spyOn(process[name], "write").mockImplementation(((chunk: unknown, ...rest: unknown[]) => {
    out[name] += String(chunk);
    const callback = rest.find((r) => typeof r === "function") as (() => void) | undefined;
    callback?.();
    return true;
  }) as typeof process.stdout.write);
}

beforeAll(() => {
  capture("stdout");
  capture("stderr");
});
afterAll(() => {
  vi.restoreAllMocks();
});
beforeEach(() => {
  out.stdout = "";
  out.stderr = "";
  vi.stubEnv("KLING_API_KEY", "");
  return () => vi.unstubAllEnvs();
});

const run = (...args: string[]) => main([process.execPath, "kling-edit", ...args]);

describe("exit codes", () => {
  it("--help and --version exit 0", async () => {
    expect(await run("--help")).toBe(0);
    expect(out.stdout).toContain(HELP_EXIT_CODES);
    out.stdout = "";
    expect(await run("--version")).toBe(0);
    expect(out.stdout).toBe(`${packageVersion()}\n`);
  });

  it("what commander refuses exits 2, with its message on stderr and nothing on stdout", async () => {
    expect(await run("edti")).toBe(2);
    expect(out.stderr).toContain("error: unknown command 'edti'");
    expect(out.stdout).toBe("");
  });

  it("with --json, a usage error is also one NDJSON error event on stdout", async () => {
    expect(await run("--json", "wait", "t", "--timeout", "0")).toBe(2);
    const lines = out.stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toEqual({
      event: "error",
      error: { exitCode: 2, message: expect.stringContaining('must be a number of seconds > 0 (got "0")') },
      exitCode: 2,
    });
  });

  it("an action's exit code is main's (completion: 0)", async () => {
    expect(await run("completion", "bash")).toBe(0);
    expect(out.stdout).toContain("kling-edit");
  });

  it("an error an action throws is reported and mapped (no API key: 2), as text or as a JSON event", async () => {
    expect(await run("--base-url", "http://127.0.0.1:9", "status", "task-unified-1-x")).toBe(2);
    expect(out.stderr).toMatch(/No API key: set KLING_API_KEY/);
    out.stderr = "";
    expect(await run("--json", "--base-url", "http://127.0.0.1:9", "status", "task-unified-1-x")).toBe(2);
    const event = JSON.parse(out.stdout.trim().split("\n").at(-1) as string);
    expect(event).toMatchObject({ event: "error", exitCode: 2, error: { exitCode: 2, name: "UsageError" } });
  });
});

describe("the API key is printed nowhere", () => {
  it.each<[string, () => void, string[]]>([
    ["from KLING_API_KEY", () => vi.stubEnv("KLING_API_KEY", KEY), [KEY]],
    ["from --api-key KEY", () => {}, ["--api-key", KEY, KEY]],
    ["from --api-key=KEY", () => {}, [`--api-key=${KEY}`, KEY]],
  ])("%s, even when commander quotes it back (it was typed as the command)", async (_name, setup, args) => {
    setup();
    expect(await run(...args)).toBe(2);
    expect(out.stderr).toContain("error: unknown command '***'");
    expect(out.stderr).not.toContain(KEY);
    expect(await run("--json", ...args)).toBe(2);
    expect(out.stdout).toContain('"event":"error"');
    expect(out.stdout + out.stderr).not.toContain(KEY);
  });
});
