/**
 * The `mock` command in-process: option checks (commander's errors, no process started), --replay's usage errors,
 * --help, and the banner. test/mock/server-cli.test.ts runs it as a process once (start, serve, SIGTERM).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { CommanderError, InvalidArgumentError } from "commander";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { banner, createMockCommand, parseDuration, scenarioHelp } from "../../src/mock/command.js";
import { SCENARIOS } from "../../src/mock/scenarios.js";
import type { MockServer } from "../../src/mock/server.js";

/** Parses `args` without starting anything that passes: returns commander's error and what it printed. */
async function refusal(args: string[]): Promise<{ error: CommanderError; output: string }> {
  let output = "";
  const write = (text: string) => {
    output += text;
  };
  const command = createMockCommand("mock", { write })
    .exitOverride()
    .configureOutput({ writeOut: write, writeErr: write });
  try {
    await command.parseAsync(args, { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) return { error, output };
    throw error;
  }
  throw new Error(`mock ${args.join(" ")} was accepted`);
}

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "kling-mock-command-"));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("parseDuration", () => {
  // The units themselves are clock.ts's parseDurationMs (test/mock/clock.test.ts): this is the option's wrapper.
  it("passes a duration through and turns anything else into commander's InvalidArgumentError, with examples", () => {
    expect(parseDuration("1.5s")).toBe(1500);
    expect(() => parseDuration("soon")).toThrow(InvalidArgumentError);
    expect(() => parseDuration("-5s")).toThrow('"-5s" is not a duration (try 500ms, 30s, 10m, 24h)');
  });
});

describe("mock command options", () => {
  const bad: [string, string[], RegExp][] = [
    ["a port out of range", ["--port", "70000"], /--port must be an integer from 0 to 65535 \(got "70000"\)/],
    ["a fractional port", ["--port", "80.5"], /--port must be an integer/],
    ["a negative seed", ["--seed", "-1"], /--seed must be an integer from 0/],
    ["a zero speed", ["--speed", "0"], /must be a number > 0 \(got "0"\)/],
    ["an infinite speed", ["--speed", "Infinity"], /must be a number > 0/],
    ["a result TTL that is not a duration", ["--result-ttl", "forever"], /"forever" is not a duration/],
    ["an unknown scenario, naming the choices", ["--scenario", "sunny"], /sunny.*Allowed choices are happy, slow/s],
  ];
  it.each(bad)("refuses %s before starting anything", async (_name, args, message) => {
    const { error, output } = await refusal(args);
    expect(error.exitCode).toBe(1);
    expect(output).toMatch(message);
  });

  it("refuses a --replay folder that does not exist as a usage error (exit 2)", async () => {
    const missing = path.join(dir, "missing");
    const { error, output } = await refusal(["--port", "0", "--replay", missing]);
    expect(error).toMatchObject({ exitCode: 2, code: "kling.mock.replay" });
    expect(output).toContain(`--replay ${missing}: no such folder`);
  });

  it("refuses a --replay folder with no recording, listing each file it skipped", async () => {
    fs.writeFileSync(path.join(dir, "broken.json"), "{");
    const { error, output } = await refusal(["--port", "0", "--replay", dir]);
    expect(error.exitCode).toBe(2);
    expect(output).toMatch(/--replay: skipped broken\.json: /);
    expect(output).toMatch(/no recording in this folder/);
  });

  it("--help lists every scenario with its description, and the per-request header", async () => {
    const { error, output } = await refusal(["--help"]);
    expect(error.exitCode).toBe(0);
    for (const name of SCENARIOS) expect(output).toMatch(new RegExp(`^  ${name} +\\S`, "m"));
    expect(output).toContain("Prefer: scenario=NAME");
    expect(output).toContain(scenarioHelp().trim().split("\n")[0]);
  });
});

describe("banner", () => {
  const mock = (speed: number, replayed?: number) =>
    ({
      url: "http://127.0.0.1:4010",
      engine: { speed, seed: 42 },
      api: { replayer: replayed === undefined ? undefined : { size: replayed } },
    }) as unknown as MockServer;

  it("states the URL, the seed to replay the run, and how long a 300 s task takes at this speed", () => {
    const text = banner(mock(10), { scenario: "happy", resultTtlMs: 86_400_000 });
    expect(text).toMatch(/^Kling-O1 Video Edit mock listening on http:\/\/127\.0\.0\.1:4010$/m);
    expect(text).toContain("speed 10x (a 300 s task takes 30.0 s)");
    expect(text).toContain("seed 42 (--seed 42 replays this run)");
    expect(text).toContain("result links valid 1d");
    expect(text).toContain("KLING_BASE_URL=http://127.0.0.1:4010");
    expect(text).not.toContain("Replaying");
  });

  it.each([
    [90_000, "90s"],
    [5_400_000, "90m"],
    [1500, "1500ms"],
    [0, "0ms"],
  ])("writes a result TTL of %d ms as %s", (ms, shown) => {
    expect(banner(mock(10), { scenario: "slow", resultTtlMs: ms })).toContain(`result links valid ${shown}\n`);
  });

  it("shows milliseconds of a very fast run, and says when recordings answer first", () => {
    const text = banner(mock(1000, 3), { scenario: "happy", resultTtlMs: 1000 });
    expect(text).toContain("a 300 s task takes 0.300 s");
    expect(text).toContain("Replaying 3 recorded answers first");
  });
});

describe("mock command run", () => {
  it("listens for SIGINT and SIGTERM before it announces itself (a Ctrl-C right after the banner stops it cleanly)", async () => {
    const events: string[] = [];
    const before = { SIGINT: process.listenerCount("SIGINT"), SIGTERM: process.listenerCount("SIGTERM") };
    const handling = () =>
      process.listenerCount("SIGINT") > before.SIGINT && process.listenerCount("SIGTERM") > before.SIGTERM;
    let announced!: () => void;
    const announcedOnce = new Promise<void>((resolve) => {
      announced = resolve;
    });
    const command = createMockCommand("mock", {
      write: (text) => {
        events.push(`${text.includes("http://") ? "banner" : "line"} (handling: ${handling()})`);
        if (text.includes("http://")) announced();
      },
      onListening: () => events.push(`listening (handling: ${handling()})`),
    });
    const run = command.parseAsync(["--port", "0", "--host", "127.0.0.1"], { from: "user" });
    await announcedOnce;
    expect(events.slice(0, 2)).toEqual(["listening (handling: true)", "banner (handling: true)"]);
    // Stop it as a Ctrl-C would: its handler closes the server and the action returns.
    process.emit("SIGINT", "SIGINT");
    await run;
    expect(process.listenerCount("SIGINT")).toBe(before.SIGINT);
    expect(process.listenerCount("SIGTERM")).toBe(before.SIGTERM);
  });
});
