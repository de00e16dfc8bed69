/**
 * src/cli/program.ts: the command line's shape, parsed in-process (commander's exitOverride: errors are thrown, not
 * exits). Each option's parse rule and default, what is refused (bad numbers, missing options and arguments, unknown
 * commands and shells) with a message naming the flag and the rule, --help and --version. A preAction hook captures
 * what an action would get and stops there, so no command runs (the commands: test/cli/commands.test.ts).
 */
import fs from "node:fs";
import { type Command, CommanderError } from "commander";
import { describe, expect, it } from "vitest";
import { DEFAULT_ITEM_WAIT_MS } from "../../src/cli/batch.js";
import { HELP_EXIT_CODES, UsageError } from "../../src/cli/exit-codes.js";
import { Output } from "../../src/cli/output.js";
import { buildProgram, type ProgramResult, packageVersion } from "../../src/cli/program.js";
import type { GlobalOptions } from "../../src/cli/session.js";

const PACKAGE = JSON.parse(fs.readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
  version: string;
};

class Stop extends Error {}

/** The program with its output captured; `globalsSeen` lists what makeOutput was called with. */
function program() {
  const io = { out: "", err: "" };
  const result: ProgramResult = {};
  const globalsSeen: GlobalOptions[] = [];
  const p = buildProgram(
    (globals) => {
      globalsSeen.push(globals);
      return new Output({ stdout: { write: () => true }, stderr: { write: () => true } });
    },
    result,
    {
      writeOut: (text) => {
        io.out += text;
      },
      writeErr: (text) => {
        io.err += text;
      },
    },
  );
  return { p, io, result, globalsSeen };
}

/** Parses `args` up to the action it would run; returns that command's options, with the global ones. */
async function parsed(args: string[]): Promise<{ name: string; opts: Record<string, unknown>; args: string[] }> {
  const { p } = program();
  let seen: { name: string; opts: Record<string, unknown>; args: string[] } | undefined;
  p.hook("preAction", (_root, action: Command) => {
    seen = { name: action.name(), opts: action.optsWithGlobals(), args: action.args };
    throw new Stop();
  });
  await expect(p.parseAsync(args, { from: "user" })).rejects.toBeInstanceOf(Stop);
  return seen as NonNullable<typeof seen>;
}

/** Parses `args`, which commander must refuse; returns its error and what it printed. */
async function refused(args: string[]): Promise<{ error: CommanderError; err: string }> {
  const { p, io } = program();
  p.hook("preAction", () => {
    throw new Stop();
  });
  const error = await p.parseAsync(args, { from: "user" }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(CommanderError);
  expect((error as CommanderError).exitCode).toBe(1);
  return { error: error as CommanderError, err: io.err };
}

describe("packageVersion and --version", () => {
  it("is package.json's version, printed by -V and --version (exit 0)", async () => {
    expect(packageVersion()).toBe(PACKAGE.version);
    for (const flag of ["-V", "--version"]) {
      const { p, io } = program();
      const error = await p.parseAsync([flag], { from: "user" }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "commander.version", exitCode: 0 });
      expect(io.out).toBe(`${PACKAGE.version}\n`);
    }
  });
});

describe("--help", () => {
  it("lists every command and ends with the exit codes, the environment and examples (exit 0)", async () => {
    const { p, io } = program();
    const error = await p.parseAsync(["--help"], { from: "user" }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "commander.helpDisplayed", exitCode: 0 });
    for (const name of [
      "edit",
      "status",
      "wait",
      "download",
      "batch",
      "worker",
      "mock",
      "verify",
      "drift",
      "completion",
    ])
      expect(io.out).toMatch(new RegExp(`^  ${name}\\b`, "m"));
    expect(io.out).toContain(HELP_EXIT_CODES);
    expect(io.out).toMatch(/KLING_API_KEY\s+the API key: the safe default/);
    expect(io.out).toContain("kling-edit edit --mock --wait --out result.mp4");
  });

  it("a command's help shows its own options and the global ones", async () => {
    const { p, io } = program();
    await p.parseAsync(["edit", "--help"], { from: "user" }).catch(() => undefined);
    expect(io.out).toContain("--aspect-ratio <ratio>");
    expect(io.out).toContain("--api-key-file <file>");
    expect(io.out).toContain(HELP_EXIT_CODES);
  });
});

describe("parsing", () => {
  it("edit: repeated --image and --video collect in order; --no-keep-sound is false; globals reach the action", async () => {
    const { name, opts } = await parsed([
      "--json",
      "--base-url",
      "http://127.0.0.1:4010",
      "edit",
      "--prompt",
      "Make it cinematic",
      "--video",
      "https://e.com/in.mp4",
      "--image",
      "https://e.com/a.jpg",
      "--image",
      "https://e.com/b.jpg",
      "--aspect-ratio",
      "1:1",
      "--no-keep-sound",
      "-q",
    ]);
    expect(name).toBe("edit");
    expect(opts).toMatchObject({
      json: true,
      quiet: true,
      baseUrl: "http://127.0.0.1:4010",
      prompt: "Make it cinematic",
      video: ["https://e.com/in.mp4"],
      image: ["https://e.com/a.jpg", "https://e.com/b.jpg"],
      aspectRatio: "1:1",
      keepSound: false,
    });
    expect((await parsed(["edit", "--keep-sound"])).opts.keepSound).toBe(true);
  });

  it("batch: defaults for --concurrency and --wait-timeout; the manifest is optional to the parser", async () => {
    const { opts, args } = await parsed(["batch", "edits.jsonl", "--out", "results"]);
    expect(args).toEqual(["edits.jsonl"]);
    expect(opts).toMatchObject({ out: "results", concurrency: 4, waitTimeout: DEFAULT_ITEM_WAIT_MS / 1000 });
    expect(opts.resubmitUnknown).toBeUndefined();
    expect((await parsed(["batch", "--queue", "redis://h:1", "--status", "--out", "r"])).args).toEqual([]);
  });

  it.each<[string[], Record<string, unknown>]>([
    [
      ["batch", "m", "--out", "r", "--concurrency", "32", "--wait-timeout", "0.5"],
      { concurrency: 32, waitTimeout: 0.5 },
    ],
    [["batch", "m", "--out", "r", "--concurrency", "1"], { concurrency: 1 }],
    [["wait", "task-1", "--timeout", "600"], { timeout: 600 }],
    [
      ["worker", "--queue", "redis://h:1", "--out", "r", "--concurrency", "64", "--rate-limit", "1000"],
      { concurrency: 64, rateLimit: 1000 },
    ],
    [["worker", "--queue", "redis://h:1", "--out", "r"], { concurrency: 4 }],
  ])("numbers: %j", async (args, want) => {
    expect((await parsed(args)).opts).toMatchObject(want);
  });

  it("hands a global --api-key to `mock`'s own --api-key, before or after the command name", async () => {
    for (const args of [
      ["--api-key", "tok-1", "mock"],
      ["mock", "--api-key", "tok-1"],
    ]) {
      const { p } = program();
      const mock = p.commands.find((c) => c.name() === "mock") as Command;
      let key: unknown;
      mock.hook("preAction", (command) => {
        key = command.getOptionValue("apiKey");
        throw new Stop();
      });
      await expect(p.parseAsync(args, { from: "user" })).rejects.toBeInstanceOf(Stop);
      expect(key).toBe("tok-1");
    }
  });
});

describe("refusals", () => {
  it.each<[string[], string]>([
    [["batch", "m", "--out", "r", "--concurrency", "0"], '--concurrency must be a whole number from 1 to 32 (got "0")'],
    [
      ["batch", "m", "--out", "r", "--concurrency", "33"],
      '--concurrency must be a whole number from 1 to 32 (got "33")',
    ],
    [
      ["batch", "m", "--out", "r", "--concurrency", "1.5"],
      '--concurrency must be a whole number from 1 to 32 (got "1.5")',
    ],
    [
      ["batch", "m", "--out", "r", "--concurrency", "four"],
      '--concurrency must be a whole number from 1 to 32 (got "four")',
    ],
    [
      ["worker", "--queue", "q", "--out", "r", "--concurrency", "65"],
      "--concurrency must be a whole number from 1 to 64",
    ],
    [
      ["worker", "--queue", "q", "--out", "r", "--rate-limit", "1001"],
      "--rate-limit must be a whole number from 1 to 1000",
    ],
    [["wait", "t", "--timeout", "0"], 'must be a number of seconds > 0 (got "0")'],
    [["wait", "t", "--timeout", "-5"], 'must be a number of seconds > 0 (got "-5")'],
    [["wait", "t", "--timeout", "Infinity"], 'must be a number of seconds > 0 (got "Infinity")'],
    [["batch", "m", "--out", "r", "--wait-timeout", "soon"], 'must be a number of seconds > 0 (got "soon")'],
  ])("a bad number: %j", async (args, message) => {
    const { error, err } = await refused(args);
    expect(error.code).toBe("commander.invalidArgument");
    expect(err).toContain(message);
    // Commander names the option too: `error: option '--concurrency <n>' argument '33' is invalid. ...`
    expect(err).toContain(`option '${args.at(-2)} <`);
  });

  it.each<[string[], string, string]>([
    [["download", "task-1"], "commander.missingMandatoryOptionValue", "required option '--out <file>' not specified"],
    [["batch", "m"], "commander.missingMandatoryOptionValue", "required option '--out <dir>' not specified"],
    [["worker", "--out", "r"], "commander.missingMandatoryOptionValue", "required option '--queue <redis-url>'"],
    [["status"], "commander.missingArgument", "missing required argument 'task_id|job_file'"],
    [["edit", "--prompt"], "commander.optionMissingArgument", "option '--prompt <text>' argument missing"],
    [["completion", "tcsh"], "commander.invalidArgument", "Allowed choices are bash, zsh, fish"],
    [["edti"], "commander.unknownCommand", "unknown command 'edti'"],
    [["edit", "--promt", "x"], "commander.unknownOption", "unknown option '--promt'"],
  ])("%j", async (args, code, message) => {
    const { error, err } = await refused(args);
    expect(error.code).toBe(code);
    expect(err).toContain(message);
    expect(err).toContain("(kling-edit --help shows usage)");
  });

  it("batch without a manifest (and without --queue) is bad usage from the action", async () => {
    const { p, globalsSeen } = program();
    await expect(p.parseAsync(["batch", "--out", "r"], { from: "user" })).rejects.toThrow(
      new UsageError("batch needs a manifest"),
    );
    expect(globalsSeen).toHaveLength(1);
  });
});

describe("completion", () => {
  it("prints the script for the shell and sets exit code 0", async () => {
    const { p, io, result } = program();
    await p.parseAsync(["completion", "fish"], { from: "user" });
    expect(result.exitCode).toBe(0);
    expect(io.out).toContain("complete -c kling-edit");
  });
});
