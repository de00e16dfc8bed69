/**
 * What every API command needs: the client (key and base URL from flags, then the environment), the built-in mock
 * when `--mock` is given, the rule for insecure (`http://`) downloads, and Ctrl-C handling.
 */
import { readFile } from "node:fs/promises";
import { createKlingClient, type JobStore, type KlingClient } from "../index.js";
import { isScenarioName, type MockServer, type ScenarioName, startMockServer } from "../mock/index.js";
import { UsageError } from "./exit-codes.js";
import { type BackoffGate, gatedFetch } from "./gate.js";
import type { Output } from "./output.js";

/** The global options, as commander parses them. */
export interface GlobalOptions {
  apiKey?: string;
  apiKeyFile?: string;
  apiKeyStdin?: boolean;
  baseUrl?: string;
  mock?: boolean;
  json?: boolean;
  quiet?: boolean;
}

/** The key sent to the built-in mock when the user gave none (it accepts any non-empty token). */
const MOCK_KEY = "kling-edit-mock";

/** Where the key comes from when it is not in an argument: a file, or standard input. */
export interface KeySources {
  readFile(file: string): Promise<string>;
  stdin: AsyncIterable<Buffer | string> & { isTTY?: boolean };
}

const NODE_KEY_SOURCES: KeySources = { readFile: (file) => readFile(file, "utf8"), stdin: process.stdin };

/**
 * The API key: `--api-key`, else `--api-key-file FILE` (`-` for standard input) or `--api-key-stdin`, else
 * `KLING_API_KEY`. A key from a file or a pipe is trimmed (its newline) and must be one word; its content never
 * appears in a message.
 */
export async function resolveApiKey(
  globals: GlobalOptions,
  sources: KeySources = NODE_KEY_SOURCES,
): Promise<string | undefined> {
  const given = [
    globals.apiKey !== undefined && "--api-key",
    globals.apiKeyFile !== undefined && "--api-key-file",
    globals.apiKeyStdin && "--api-key-stdin",
  ].filter(Boolean);
  if (given.length > 1) throw new UsageError(`${given.join(" and ")} both give the API key: give one of them`);
  if (globals.apiKey !== undefined) return globals.apiKey;
  const fromStdin = globals.apiKeyStdin === true || globals.apiKeyFile === "-";
  const flag = globals.apiKeyStdin ? "--api-key-stdin" : `--api-key-file ${globals.apiKeyFile}`;
  let text: string;
  if (fromStdin) {
    if (sources.stdin.isTTY) {
      throw new UsageError(
        `${flag} reads the key from a pipe or a file, not a terminal (it would show as you type): ` +
          `printf %s "$KEY" | kling-edit ${globals.apiKeyStdin ? "--api-key-stdin" : "--api-key-file -"} ...`,
      );
    }
    text = "";
    for await (const chunk of sources.stdin) text += chunk.toString();
  } else if (globals.apiKeyFile !== undefined) {
    try {
      text = await sources.readFile(globals.apiKeyFile);
    } catch (error) {
      const code = (error as { code?: string }).code ?? "unreadable";
      throw new UsageError(`${flag}: cannot read the file (${code})`);
    }
  } else {
    return process.env.KLING_API_KEY || undefined;
  }
  const key = text.trim();
  if (!key) throw new UsageError(`${flag}: no API key in it (it is empty)`);
  if (/\s/.test(key)) throw new UsageError(`${flag}: it must hold the API key alone, on one line`);
  return key;
}

/** Reads a positive number from the environment (tuning knobs that are not flags), or undefined. */
export function envNumber(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return undefined;
  const n = Number(raw);
  if (!(n > 0) || !Number.isFinite(n)) throw new UsageError(`${name} must be a number > 0 (got "${raw}")`);
  return n;
}

function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || /^127\.\d+\.\d+\.\d+$/.test(hostname) || hostname === "[::1]";
}

/**
 * Ctrl-C handling in two steps. The first Ctrl-C aborts `stop`: waits and downloads end, nothing new is submitted,
 * but a create request already in flight is allowed to finish, so its task id is known (abandoning it would leave a
 * task that may exist, unrecorded). The second aborts `kill` (create requests too); a third exits at once.
 */
export class Interrupts {
  /** Aborted by the first Ctrl-C (or SIGTERM). */
  readonly stop = new AbortController();
  /** Aborted by the second. */
  readonly kill = new AbortController();
  #count = 0;
  readonly #handler = () => {
    this.#count++;
    if (this.#count === 1) {
      this.onFirst?.();
      this.stop.abort(new Error("interrupted"));
    } else if (this.#count === 2) {
      this.kill.abort(new Error("interrupted twice"));
    } else {
      process.exit(130);
    }
  };
  /** Told about the first Ctrl-C (to stop progress bars before anything else is printed). */
  onFirst: (() => void) | undefined;

  constructor() {
    process.on("SIGINT", this.#handler);
    process.on("SIGTERM", this.#handler);
  }

  /** Whether Ctrl-C was pressed. */
  get interrupted(): boolean {
    return this.#count > 0;
  }

  /** Removes the handlers. */
  dispose(): void {
    process.off("SIGINT", this.#handler);
    process.off("SIGTERM", this.#handler);
  }
}

/** A client ready to use, and what goes with it. */
export class Session {
  readonly client: KlingClient;
  readonly mock: MockServer | null;
  readonly interrupts = new Interrupts();
  readonly #globals: GlobalOptions;

  private constructor(client: KlingClient, mock: MockServer | null, globals: GlobalOptions) {
    this.client = client;
    this.mock = mock;
    this.#globals = globals;
  }

  /**
   * Opens a session: with `--mock`, starts the built-in mock on a free loopback port first. Without a key (and
   * without `--mock`) it says how to get one, or to try `--mock`.
   */
  static async open(
    globals: GlobalOptions,
    output: Output,
    options: { jobs?: JobStore; gate?: BackoffGate; sources?: KeySources } = {},
  ): Promise<Session> {
    if (globals.mock && globals.baseUrl) {
      throw new UsageError("--mock and --base-url both say where the API is: give one of them");
    }
    const apiKey = await resolveApiKey(globals, options.sources);
    if (!globals.mock && !apiKey) {
      throw new UsageError(
        "No API key: set KLING_API_KEY, or pass --api-key-file FILE or --api-key-stdin (a key from your Kling API\n" +
          "  account; --api-key KEY works too, but shows in ps and shell history).\n" +
          "  No key yet? Try everything offline against the built-in mock: add --mock, e.g.\n" +
          "  kling-edit edit --mock --wait --out result.mp4 --prompt 'Make it cinematic' --video https://example.com/in.mp4",
      );
    }
    if (apiKey) output.addSecret(apiKey);
    let mock: MockServer | null = null;
    if (globals.mock) {
      const scenario = process.env.KLING_MOCK_SCENARIO;
      if (scenario !== undefined && !isScenarioName(scenario)) {
        throw new UsageError(`KLING_MOCK_SCENARIO "${scenario}" is not a mock scenario (see kling-edit mock --help)`);
      }
      const speed = envNumber("KLING_MOCK_SPEED");
      const seed = envNumber("KLING_MOCK_SEED");
      mock = await startMockServer({
        port: 0,
        host: "127.0.0.1",
        ...(scenario ? { scenario: scenario as ScenarioName } : {}),
        ...(speed !== undefined ? { speed } : {}),
        ...(seed !== undefined ? { seed } : {}),
      });
      output.note(`Using the built-in mock at ${mock.url} (tasks live only as long as this command).`);
    }
    const baseUrl = mock?.url ?? globals.baseUrl;
    const gate = options.gate;
    const client: KlingClient = createKlingClient({
      apiKey: apiKey ?? MOCK_KEY,
      ...(baseUrl ? { baseUrl } : {}),
      ...(options.jobs ? { jobs: { store: options.jobs } } : {}),
      ...(gate ? { fetch: gatedFetch(gate, () => client.baseUrl) } : {}),
      // The client's warnings (a result link about to expire, an unknown create outcome) are worth a line.
      logger: {
        debug: () => {},
        info: () => {},
        warn: (message) => output.note(`warning: ${message}`),
        error: (message) => output.note(`error: ${message}`),
      },
      logLevel: "warn",
    });
    return new Session(client, mock, globals);
  }

  /**
   * Whether an `http://` result URL may be downloaded: only from the built-in mock, or from the same loopback origin
   * as an `http://` base URL (a mock the user started with `kling-edit mock`). Anything else must be https.
   */
  allowInsecure(url: string): boolean {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return false;
    }
    if (target.protocol !== "http:") return false;
    if (this.mock) return url.startsWith(`${this.mock.url}/`);
    const base = new URL(this.client.baseUrl);
    return base.protocol === "http:" && isLoopback(base.hostname) && base.origin === target.origin;
  }

  /** The command that resumes waiting for a task (never with the key). */
  resumeCommand(taskId: string, out?: string): string {
    const parts = ["kling-edit"];
    if (this.#globals.baseUrl) parts.push("--base-url", shellQuote(this.#globals.baseUrl));
    parts.push("wait", taskId);
    if (out) parts.push("--out", shellQuote(out));
    return parts.join(" ");
  }

  /** Stops the built-in mock and removes the Ctrl-C handlers. */
  async close(): Promise<void> {
    this.interrupts.dispose();
    await this.mock?.close();
  }
}

/** Polling the in-process mock costs nothing, so poll it often for a smooth progress bar. */
export const MOCK_POLL_INTERVAL_MS = 500;

/** What a command's action gets: its session and the output. */
export interface SessionContext {
  session: Session;
  output: Output;
}

/**
 * Runs a command's action in a session (`Session.open`), stopping the bars at the first Ctrl-C and closing the session
 * (the built-in mock, the Ctrl-C handlers) however the action ends.
 */
export async function withSession<T>(
  globals: GlobalOptions,
  output: Output,
  fn: (ctx: SessionContext) => Promise<T>,
  options: { jobs?: JobStore; gate?: BackoffGate } = {},
): Promise<T> {
  const session = await Session.open(globals, output, options);
  session.interrupts.onFirst = () => output.stopBars();
  try {
    return await fn({ session, output });
  } finally {
    output.stopBars();
    await session.close();
  }
}

/** Quotes a word for a POSIX shell when it needs it. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}
