/**
 * The command line's shape (commander 14): commands, options, help, and the global options every command shares.
 * Parsing only: the actions live in commands.ts.
 */
import fs from "node:fs";
import { Argument, Command, InvalidArgumentError, Option } from "commander";
import { DEFAULT_BASE_URL as SPEC_SERVER_URL } from "../index.js";
import { createMockCommand, SCENARIOS } from "../mock/index.js";
import { DEFAULT_ITEM_WAIT_MS } from "./batch.js";
import { type BatchOptions, batchCommand } from "./batch-command.js";
import { downloadCommand, type EditOptions, editCommand, statusCommand, waitCommand } from "./commands.js";
import { completionScript, SHELLS, type Shell } from "./completion.js";
import { addDriftCommand } from "./drift.js";
import { EXIT, HELP_EXIT_CODES, UsageError } from "./exit-codes.js";
import type { Output } from "./output.js";
import type { GlobalOptions } from "./session.js";
import { addVerifyCommand } from "./verify.js";

/** The package's version, read from the package.json above this file (src/cli or dist/src/cli). */
export function packageVersion(): string {
  for (let dir = new URL("./", import.meta.url); ; dir = new URL("../", dir)) {
    const file = new URL("package.json", dir);
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, "utf8")) as { name?: string; version?: string };
      if (pkg.name === "kling-o1-video-edit" && pkg.version) return pkg.version;
    }
    if (dir.pathname === "/" || new URL("../", dir).href === dir.href) return "0.0.0";
  }
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

function positiveInteger(name: string, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > max) {
      throw new InvalidArgumentError(`${name} must be a whole number from 1 to ${max} (got "${value}")`);
    }
    return n;
  };
}

function positiveSeconds(value: string): number {
  const n = Number(value);
  if (!(n > 0) || !Number.isFinite(n))
    throw new InvalidArgumentError(`must be a number of seconds > 0 (got "${value}")`);
  return n;
}

const ENVIRONMENT = `Environment:
  KLING_API_KEY        the API key: the safe default (an --api-key argument shows in ps and shell history);
                       --api-key-file FILE and --api-key-stdin are safe too
  KLING_BASE_URL       the API's base URL (--base-url overrides it; default ${SPEC_SERVER_URL})
  KLING_MOCK_SPEED     --mock only: simulated seconds per real second (default 10)
  KLING_MOCK_SCENARIO  --mock only: the built-in mock's scenario (${SCENARIOS.join(", ")})
  KLING_MOCK_SEED      --mock only: seed of the mock's ids and timings`;

const EXAMPLES = `Examples:
  kling-edit edit --mock --wait --out result.mp4 --prompt "Make it cinematic" --video https://example.com/in.mp4
  kling-edit edit --prompt "Make it cinematic" --video https://example.com/in.mp4 --image https://example.com/ref.jpg
  kling-edit status task-unified-1757169743-7cvnl5zw
  kling-edit wait task-unified-1757169743-7cvnl5zw --out result.mp4 --timeout 600
  kling-edit download task-unified-1757169743-7cvnl5zw --out result.mp4
  kling-edit wait jobs/job-1234.job.json --out result.mp4   (a job file: job.toJSON(), updated as the job moves on)
  kling-edit batch edits.jsonl --out results/ --concurrency 4
  kling-edit mock --port 4010 --scenario flaky --speed 100
  source <(kling-edit completion bash)`;

/** What the program reports back to run.ts. */
export interface ProgramResult {
  /** The exit code the action returned (unset when commander printed help or the version). */
  exitCode?: number;
}

/**
 * Builds the program. `makeOutput` is called once per command with the global options (the printer depends on
 * `--json` and `--quiet`).
 */
export function buildProgram(
  makeOutput: (globals: GlobalOptions) => Output,
  result: ProgramResult,
  io: { writeOut(text: string): void; writeErr(text: string): void },
): Command {
  const program = new Command("kling-edit")
    .description(
      "Edit videos with the Kling-O1 Video Edit API: submit, watch progress, download; resumable batches; a built-in mock.",
    )
    .version(packageVersion(), "-V, --version", "print the version")
    .helpOption("-h, --help", "show help (also for each command: kling-edit edit --help)")
    .option(
      "--api-key <key>",
      "API key (default: $KLING_API_KEY, the safe way: an argument shows in ps); never printed",
    )
    .option("--api-key-file <file>", "read the API key from this file (- for standard input)")
    .option("--api-key-stdin", 'read the API key from standard input (a pipe: printf %s "$KEY" | kling-edit ...)')
    .option("--base-url <url>", `API base URL (default: $KLING_BASE_URL, else ${SPEC_SERVER_URL})`)
    .option("--mock", "start the built-in mock server in this process and use it: no key, no network")
    .option("--json", "print NDJSON events on stdout (one object per line, the final task or summary last)")
    .option("-q, --quiet", "print only the result (task id, status, saved path) and errors")
    .showHelpAfterError("(kling-edit --help shows usage)")
    .addHelpText("after", `\n${HELP_EXIT_CODES}\n\n${ENVIRONMENT}\n\n${EXAMPLES}`)
    .configureOutput({ writeOut: io.writeOut, writeErr: io.writeErr })
    .configureHelp({ showGlobalOptions: true })
    .exitOverride();

  const run = (fn: (command: Command, globals: GlobalOptions, output: Output) => Promise<number>) => {
    return async (...args: unknown[]) => {
      const command = args[args.length - 1] as Command;
      const globals = command.optsWithGlobals() as GlobalOptions;
      result.exitCode = await fn(command, globals, makeOutput(globals));
    };
  };
  const arg = (command: Command) => String(command.args[0] ?? "");

  program
    .command("edit")
    .description("submit a video edit; with --wait (or --out) follow it to the end and download the result")
    .option("--prompt <text>", "how to edit the video (1 to 5000 characters)")
    .option("--video <url>", "the video to edit: an http(s) URL of a .mp4 or .mov, 3 to 10 s, up to 100 MB", collect)
    .option("--image <url>", "a reference image (.jpg, .jpeg, .png, .webp, up to 10 MB); repeat for up to 4", collect)
    .option("--aspect-ratio <ratio>", "16:9, 9:16 or 1:1")
    .option("--keep-sound", "keep the original sound")
    .option("--no-keep-sound", "drop the original sound")
    .option("--callback-url <url>", "an https URL the API calls when the task ends (not an internal address)")
    .option("--wait", "wait for the task to finish, showing its progress")
    .option("--out <file>", "download the result to this file (implies --wait)")
    .addHelpText("after", `\n${HELP_EXIT_CODES}`)
    .action(run((c, g, o) => editCommand(c.opts() as EditOptions, g, o)));

  program
    .command("status")
    .description(
      "show a task's status, progress, result links and when they expire, or its error (exit 4 if it failed)",
    )
    .argument("<task_id|job_file>", "the id the edit command printed (task-unified-...), or a job file (job.toJSON())")
    .action(run((c, g, o) => statusCommand(arg(c), g, o)));

  program
    .command("wait")
    .description("wait for a task to finish, showing its progress; with --out download the result")
    .argument("<task_id|job_file>", "the task to wait for, or a job file (job.toJSON(); its steps are written back)")
    .option("--out <file>", "download the result to this file")
    .option("--timeout <seconds>", "give up after this many seconds (exit 5; the task keeps running)", positiveSeconds)
    .action(run((c, g, o) => waitCommand(arg(c), c.opts() as { out?: string; timeout?: number }, g, o)));

  program
    .command("download")
    .description("download a completed task's result (links are valid for 24 hours)")
    .argument("<task_id|job_file>", "the completed task, or a job file (job.toJSON())")
    .requiredOption("--out <file>", "the file to write")
    .action(run((c, g, o) => downloadCommand(arg(c), c.opts() as { out: string }, g, o)));

  program
    .command("batch")
    .description(
      "run every edit in a JSONL manifest: validate all lines, submit with bounded concurrency, download each result; re-run to resume",
    )
    .argument(
      "[manifest]",
      'a .jsonl file, one {"prompt", "video", "images"?, "aspect_ratio"?, "keep_original_sound"?, "out"?} a line',
    )
    .requiredOption(
      "--out <dir>",
      "folder for the results (`out` in a line is relative to it; default name <task id>.mp4)",
    )
    .option("--concurrency <n>", "items in flight at once", positiveInteger("--concurrency", 32), 4)
    .option("--journal <file>", "the journal that makes re-runs resume (default: <dir>/kling-edit-journal.ndjson)")
    .option(
      "--wait-timeout <seconds>",
      "give up waiting for an item's task after this long (it keeps running; a re-run polls it again)",
      positiveSeconds,
      DEFAULT_ITEM_WAIT_MS / 1000,
    )
    .addOption(
      new Option(
        "--resubmit-unknown",
        "also submit items whose earlier submission outcome is unknown (may create and bill a duplicate task)",
      ),
    )
    .option("--queue <redis-url>", "enqueue on a Redis queue (redis://host:port) for `kling-edit worker`s, and follow")
    .option("--detach", "with --queue: return once enqueued")
    .option("--status", "with --queue: print how many edits are in each state")
    .addHelpText(
      "after",
      `
Each item is a durable job, and each of its steps is journaled before it happens (submitting -> submitted ->
completed -> downloaded, or failed, expired, unknown), so running the same command again resumes: finished items are
skipped, submitted ones are polled and downloaded, never submitted again. An item whose create request may have
reached the API without an answer (the process died, the connection dropped, a 408 or 5xx) is reported as unknown
and left alone unless --resubmit-unknown is given: a duplicate is a second bill. A 429 to any request pauses every
worker. An item not done after --wait-timeout is left running and polled again by the next run. Ctrl-C stops cleanly
and prints the command to resume; a second Ctrl-C also abandons create requests in flight (their outcome becomes
unknown). One run per journal: its lock file (<journal>.lock) is taken over once its holder has exited or stopped
touching it for 30 s.

Exit codes: 0 every item downloaded; 2 invalid manifest (nothing sent); 3 the API refused an item; 5 an item gave
up on a transient fault or has an unknown outcome; 4 only task failures; 130 interrupted.`,
    )
    .action(
      run(async (c, _g, o) => {
        const opts = c.opts() as BatchOptions & { queue?: string; detach?: boolean; status?: boolean };
        if (opts.queue) {
          const { queueBatchCommand } = await import("./queue.js");
          return queueBatchCommand(c.args[0], { ...opts, queue: opts.queue }, o);
        }
        if (!c.args[0]) throw new UsageError("batch needs a manifest");
        return batchCommand(arg(c), opts, _g, o);
      }),
    );

  program
    .command("worker")
    .description("run a queue worker: submit, follow and download edits enqueued with `batch --queue`, until Ctrl-C")
    .requiredOption("--queue <redis-url>", "the Redis queue (redis://host:port)")
    .requiredOption("--out <dir>", "folder for the results (<task id>.mp4)")
    .option("--concurrency <n>", "edits handled at once", positiveInteger("--concurrency", 64), 4)
    .option(
      "--rate-limit <n>",
      "at most n creates per second across every worker",
      positiveInteger("--rate-limit", 1000),
    )
    .action(
      run(async (c, g, o) => {
        const { workerCommand } = await import("./queue.js");
        return workerCommand(c.opts() as { queue: string; out: string; concurrency: number; rateLimit?: number }, g, o);
      }),
    );

  // With --json, stdout carries only NDJSON: a `mock` event says where the server listens; the banner, callback
  // attempts and the stop message (plain text) go to stderr for a human.
  const json = () => program.opts().json === true;
  const mock = createMockCommand("mock", {
    write: (text) => (json() ? io.writeErr(text) : io.writeOut(text)),
    onListening: (server, settings) => {
      if (!json()) return;
      makeOutput(program.opts() as GlobalOptions).event("mock", {
        url: server.url,
        scenario: settings.scenario,
        speed: server.engine.speed,
        seed: server.engine.seed,
        resultTtlMs: settings.resultTtlMs,
      });
    },
  });
  mock.copyInheritedSettings(program);
  // `--api-key` is also a global option, which commander matches first: hand it to the mock's own option.
  mock.hook("preAction", (command) => {
    const key = program.opts().apiKey as string | undefined;
    if (key !== undefined && command.getOptionValue("apiKey") === undefined) command.setOptionValue("apiKey", key);
  });
  program.addCommand(mock);
  addVerifyCommand(program, result, io);
  addDriftCommand(program, result, io);

  program
    .command("completion")
    .description("print the shell completion script (bash, zsh or fish); its first lines say how to load it")
    .addArgument(new Argument("<shell>", "the shell").choices(SHELLS))
    .action((shell: Shell) => {
      io.writeOut(completionScript(program, shell));
      result.exitCode = EXIT.ok;
    });

  return program;
}
