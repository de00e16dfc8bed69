/**
 * The `mock` command (commander): `npm run mock` runs it on its own, and the CLI can add it as `kling-edit mock`.
 */
import { Command, InvalidArgumentError, Option } from "commander";
import { operations } from "../../generated/operations.js";
import { parseDurationMs } from "./clock.js";
import { DEFAULT_RESULT_TTL_MS, DEFAULT_SPEED } from "./engine.js";
import type { Recording } from "./replay.js";
import { loadRecordings } from "./replay-files.js";
import { SCENARIO_DESCRIPTIONS, SCENARIOS, type ScenarioName } from "./scenarios.js";
import { DEFAULT_HOST, DEFAULT_PORT, type MockServer, type MockServerOptions, startMockServer } from "./server.js";

const UNITS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Parses a duration such as `500ms`, `30s`, `10m`, `24h`, `1d` or a plain number of milliseconds. */
export function parseDuration(value: string): number {
  const ms = parseDurationMs(value);
  if (ms === undefined) throw new InvalidArgumentError(`"${value}" is not a duration (try 500ms, 30s, 10m, 24h)`);
  return ms;
}

function integer(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max} (got "${value}")`);
    }
    return n;
  };
}

function positive(value: string): number {
  const n = Number(value);
  if (!(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError(`must be a number > 0 (got "${value}")`);
  return n;
}

function formatDuration(ms: number): string {
  for (const [unit, size] of [
    ["d", UNITS.d],
    ["h", UNITS.h],
    ["m", UNITS.m],
    ["s", UNITS.s],
  ] as const) {
    if (ms > 0 && ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** The scenario list `--help` prints. */
export function scenarioHelp(): string {
  const width = Math.max(...SCENARIOS.map((s) => s.length));
  const lines = SCENARIOS.map((name) => `  ${name.padEnd(width)}  ${SCENARIO_DESCRIPTIONS[name]}`);
  return `
Scenarios (--scenario for the whole server, or per request with the header "Prefer: scenario=NAME"):
${lines.join("\n")}

Control page: http://HOST:PORT/__mock/ (tasks, transitions, the clock, scenarios, callbacks, a create form).
Admin: GET /__mock/tasks (tasks, callbacks, createRequests, requests), POST /__mock/reset (forget everything),
  POST /__mock/tasks/ID/complete|fail|expire|progress, POST /__mock/clock/pause|resume|advance|speed,
  POST /__mock/scenario. Only the mock's own origin may call them (--admin-origin allows another).`;
}

/**
 * Reads a replay folder, telling the user about files that are not recordings. A folder that cannot be read or holds
 * no recording is a usage error of the command (exit 2), not a failure of the mock.
 */
async function loadReplay(dir: string, command: Command, write: (text: string) => void): Promise<Recording[]> {
  let loaded: Awaited<ReturnType<typeof loadRecordings>>;
  try {
    loaded = await loadRecordings(dir);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such folder" : String(error);
    return command.error(`error: --replay ${dir}: ${reason}`, { exitCode: 2, code: "kling.mock.replay" });
  }
  for (const problem of loaded.problems) write(`--replay: skipped ${problem}\n`);
  if (loaded.recordings.length === 0) {
    command.error(`error: --replay ${dir}: no recording in this folder (*.json files from --record)`, {
      exitCode: 2,
      code: "kling.mock.replay",
    });
  }
  return loaded.recordings;
}

/** What the server prints once it listens: its URL, its settings, and requests to paste. */
export function banner(mock: MockServer, options: { scenario: ScenarioName; resultTtlMs: number }): string {
  const body = JSON.stringify(operations.createVideoGeneration.requestBody.examples.video_edit);
  const { speed, seed } = mock.engine;
  return `Kling-O1 Video Edit mock listening on ${mock.url}
  scenario ${options.scenario}, speed ${speed}x (a 300 s task takes ${Math.max(300 / speed, 0.001).toFixed(speed > 100 ? 3 : 1)} s), seed ${seed} (--seed ${seed} replays this run), result links valid ${formatDuration(options.resultTtlMs)}
  Point a client at it: KLING_BASE_URL=${mock.url} KLING_API_KEY=any-token

  curl -s ${mock.url}${operations.createVideoGeneration.path} -H 'Authorization: Bearer test' -H 'Content-Type: application/json' -d '${body}'
  curl -s ${mock.url}/v1/tasks/TASK_ID -H 'Authorization: Bearer test'

  Control page: ${mock.url}/__mock/  Admin: GET ${mock.url}/__mock/tasks, POST ${mock.url}/__mock/reset. Ctrl-C stops.
${
  mock.api.replayer
    ? `  Replaying ${mock.api.replayer.size} recorded answers first; the simulation answers the rest.
`
    : ""
}`;
}

/** Where the command writes. */
export interface MockCommandIo {
  /** Writes a chunk of text to the user. @default process.stdout.write */
  write?: (text: string) => void;
  /**
   * Called once the server listens, before the banner is written: lets a host (the CLI's `--json`) report the URL in
   * its own format. @default none
   */
  onListening?: (mock: MockServer, settings: { scenario: ScenarioName; resultTtlMs: number }) => void;
}

/**
 * Builds the `mock` command. Its action starts the server and stops it on SIGINT/SIGTERM.
 *
 * @example
 * program.addCommand(createMockCommand("mock"));
 */
export function createMockCommand(name = "mock", io: MockCommandIo = {}): Command {
  const write = io.write ?? ((text: string) => void process.stdout.write(text));
  return new Command(name)
    .description(
      "Start the stateful mock of the Kling-O1 Video Edit API (tasks progress over time, scenarios, callbacks)",
    )
    .option("-p, --port <port>", "port to listen on (0 picks a free one)", integer("--port", 0, 65535), DEFAULT_PORT)
    .option("-H, --host <host>", "interface to listen on", DEFAULT_HOST)
    .addOption(
      new Option("-s, --scenario <name>", "server-wide scenario (see below)").choices(SCENARIOS).default("happy"),
    )
    .option(
      "--speed <factor>",
      "simulated seconds per real second (100 runs a 300 s task in 3 s)",
      positive,
      DEFAULT_SPEED,
    )
    .option(
      "--seed <n>",
      "seed of ids, timings and flaky answers (default: random, printed)",
      integer("--seed", 0, 2 ** 31 - 1),
    )
    .option(
      "--result-ttl <duration>",
      "how long result links stay valid, e.g. 10m, 24h",
      parseDuration,
      DEFAULT_RESULT_TTL_MS,
    )
    .option("--api-key <token>", "accept only this bearer token (default: any non-empty token)")
    .option(
      "--allow-loopback-callbacks",
      "accept callback_url on 127.0.0.1/localhost (http:// too) so a local receiver gets callbacks",
      false,
    )
    .option(
      "--replay <dir>",
      "answer matching requests with the recordings in DIR (the contract suite's --record files), in order",
    )
    .option(
      "--admin-origin <origin...>",
      "let pages from ORIGIN (or * for any) call the admin endpoints; by default only the mock's own page may",
    )
    .addHelpText("after", scenarioHelp())
    .action(async (opts: Record<string, unknown>, command: Command) => {
      const replay = typeof opts.replay === "string" ? await loadReplay(opts.replay, command, write) : undefined;
      const origins = opts.adminOrigin as string[] | undefined;
      const options: MockServerOptions = {
        port: opts.port as number,
        host: opts.host as string,
        scenario: opts.scenario as ScenarioName,
        speed: opts.speed as number,
        resultTtlMs: opts.resultTtl as number,
        allowLoopbackCallbacks: opts.allowLoopbackCallbacks as boolean,
        onCallbackAttempt: (taskId, attempt) =>
          write(
            `callback ${taskId} attempt ${attempt.attempt}: ${attempt.status !== undefined ? `HTTP ${attempt.status}` : attempt.error}\n`,
          ),
        ...(opts.seed !== undefined ? { seed: opts.seed as number } : {}),
        ...(replay ? { replay } : {}),
        ...(origins?.length ? { adminOrigins: origins.includes("*") ? "*" : origins } : {}),
        ...(typeof opts.apiKey === "string" ? { apiKey: opts.apiKey } : {}),
      };
      const mock = await startMockServer(options);
      const settings = { scenario: options.scenario ?? "happy", resultTtlMs: options.resultTtlMs ?? 0 };
      // The handlers come first: whoever reads the banner may send a Ctrl-C at once, and a signal that arrives
      // before a handler is installed kills the process with Node's default action, the server unclosed.
      const stopped = new Promise<void>((resolve) => {
        const stop = (signal: NodeJS.Signals) => {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
          write(`\n${signal}: stopping the mock\n`);
          void mock.close().then(resolve);
        };
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      });
      io.onListening?.(mock, settings);
      write(banner(mock, settings));
      await stopped;
    });
}
