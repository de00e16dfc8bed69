/**
 * Everything the CLI prints goes through here, in one of three modes:
 * - human: progress on stderr (cli-progress bars when stderr is a TTY, plain lines when it is not), results on stdout;
 * - quiet (`--quiet`): only the essential result on stdout (a task id, a saved path) and errors on stderr;
 * - JSON (`--json`): nothing but NDJSON on stdout, one `{"event": ...}` object per line, the final task last;
 *   errors are also written to stderr for a human reading the terminal.
 * Every string is scrubbed of the API key before it is written, whatever its origin (defence in depth: the client
 * never puts the key in a message, but a server could echo it back).
 */
import { MultiBar, type SingleBar } from "cli-progress";
import { createScrubber, type Scrubber, type Task } from "../index.js";

/** A task as `GET /v1/tasks/{task_id}` returns it. */
export type TaskDetail = Task;

/** A writable the output layer can print to (process.stdout, process.stderr, or a test double). */
export interface OutStream {
  write(chunk: string): boolean;
  isTTY?: boolean;
  columns?: number;
}

/** How the CLI prints. */
export interface OutputOptions {
  /** NDJSON events on stdout. @default false */
  json?: boolean;
  /** Only the essential result and errors. @default false */
  quiet?: boolean;
  /** @default process.stdout */
  stdout?: OutStream;
  /** @default process.stderr */
  stderr?: OutStream;
  /** Strings that must never be printed (the API key). */
  secrets?: readonly string[];
  /** Clock, for elapsed times. @default Date.now */
  now?: () => number;
}

const KIB = 1024;

/** `1536` -> `1.5 KiB`. */
export function formatBytes(bytes: number): string {
  if (bytes < KIB) return `${bytes} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = bytes / KIB;
  let unit = 0;
  while (value >= KIB && unit < units.length - 1) {
    value /= KIB;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** `65_000` -> `1m05s`; `4_200` -> `4s`. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h}h${String(m).padStart(2, "0")}m`;
  if (m > 0) return `${m}m${String(s).padStart(2, "0")}s`;
  return `${s}s`;
}

/** A compact one-line description of a task: `task-... processing 40%`. */
export function describeTask(task: TaskDetail): string {
  const progress = typeof task.progress === "number" ? ` ${task.progress}%` : "";
  return `${task.id} ${task.status}${progress}`;
}

/** What the CLI prints where a secret was. */
export const CLI_PLACEHOLDER = "***";

/**
 * The CLI's scrubber for these secrets: every form a server can echo (a key from a CRLF `.env` file goes out
 * trimmed), replaced with `***`.
 */
export function cliScrubber(secrets: readonly string[]): Scrubber {
  return createScrubber(secrets, { placeholder: CLI_PLACEHOLDER });
}

/** Replaces each secret in a string with `***` (see {@link cliScrubber}). */
export function scrub(text: string, secrets: readonly string[]): string {
  return cliScrubber(secrets).text(text);
}

/** What a download progress report carries. */
interface DownloadState {
  bytes: number;
  total: number | null;
  startedAt: number;
  lastReported: number;
}

/** What a batch's total bar counts besides the items finished. */
export interface BatchCounts {
  done: number;
  failed: number;
  unknown: number;
}

/**
 * A batch's bars, from {@link Output.batchBars}: one total bar, and a row for each item in flight (its manifest line,
 * status and percent). Rows are drawn in the output's current bar group, so a row after `stopBars()` starts a new one.
 */
export class BatchBars {
  readonly #group: () => MultiBar;
  readonly #total: SingleBar;
  readonly #rows = new Map<string, SingleBar>();

  constructor(group: () => MultiBar, items: number, counts: BatchCounts) {
    this.#group = group;
    this.#total = group().create(
      items,
      0,
      { ...counts },
      {
        format: "batch      [{bar}] {value}/{total} finished | {done} done, {failed} failed, {unknown} unknown",
      },
    );
  }

  /** Moves the total bar: `finished` items so far, with the counts. */
  total(finished: number, counts: BatchCounts): void {
    this.#total.update(finished, { ...counts });
  }

  /** Shows an item's row, created at its first report. */
  row(key: string, line: number, status: string, percent: number): void {
    const payload = { line: String(line).padStart(4), status: status.padEnd(10) };
    const bar = this.#rows.get(key);
    if (bar) bar.update(percent, payload);
    else this.#rows.set(key, this.#group().create(100, percent, payload, { format: ROW_FORMAT }));
  }

  /** Removes an item's row (the item finished). */
  remove(key: string): void {
    const bar = this.#rows.get(key);
    if (!bar) return;
    this.#group().remove(bar);
    this.#rows.delete(key);
  }
}

const ROW_FORMAT = "line {line}  {status} [{bar}] {percentage}%";

/** The CLI's printer. One per process. */
export class Output {
  /** NDJSON mode. */
  readonly json: boolean;
  /** Quiet mode. */
  readonly quiet: boolean;
  private readonly stdout: OutStream;
  private readonly stderr: OutStream;
  /**
   * What every printed string goes through; also for text written elsewhere (the batch journal): `scrubber.text`.
   */
  readonly scrubber: Scrubber;
  private readonly now: () => number;
  /** Bars are drawn only for humans on a terminal. */
  private readonly bars: boolean;
  private multi: MultiBar | null = null;
  private taskBar: SingleBar | null = null;
  private downloadBar: SingleBar | null = null;
  private lastTaskLine = "";
  private lastTask: TaskDetail | null = null;
  private ticker: ReturnType<typeof setInterval> | null = null;
  private watchStartedAt: number | null = null;
  private download: DownloadState | null = null;

  constructor(options: OutputOptions = {}) {
    this.json = options.json ?? false;
    this.quiet = !this.json && (options.quiet ?? false);
    this.stdout = options.stdout ?? process.stdout;
    this.stderr = options.stderr ?? process.stderr;
    this.scrubber = cliScrubber(options.secrets ?? []);
    this.now = options.now ?? Date.now;
    this.bars = !this.json && !this.quiet && this.stderr.isTTY === true;
  }

  /** Adds a string that must never be printed (an API key learnt after start-up). */
  addSecret(secret: string): void {
    this.scrubber.add(secret);
  }

  /** A string with every secret replaced: for text written elsewhere (the batch journal, a job file). */
  scrubText(text: string): string {
    return this.scrubber.text(text);
  }

  /** Whether progress bars are drawn (a human on a terminal). */
  get drawsBars(): boolean {
    return this.bars;
  }

  /** An NDJSON event on stdout (JSON mode only). */
  event(name: string, data: Record<string, unknown> = {}): void {
    if (!this.json) return;
    this.stdout.write(`${this.scrubber.text(JSON.stringify({ event: name, ...data }))}\n`);
  }

  /** Progress or information for a human (stderr), above any bar; silent with --quiet and --json. */
  note(text: string): void {
    if (this.json || this.quiet) return;
    const line = `${this.scrubber.text(text)}\n`;
    if (this.multi) this.multi.log(line);
    else this.stderr.write(line);
  }

  /** The human result (stdout). With --quiet, `quietText` instead (nothing when omitted); silent with --json. */
  say(text: string, quietText?: string): void {
    if (this.json) return;
    if (this.quiet) {
      if (quietText !== undefined) this.stdout.write(`${this.scrubber.text(quietText)}\n`);
      return;
    }
    this.stopBars();
    this.stdout.write(`${this.scrubber.text(text)}\n`);
  }

  /** An error or a warning for a human: stderr in every mode (stdout stays pure JSON). */
  warn(text: string): void {
    this.stopBars();
    this.stderr.write(`${this.scrubber.text(text)}\n`);
  }

  /** Starts watching a task: the elapsed time counts from its creation when the server says when that was. */
  startWatching(task: TaskDetail): void {
    const now = this.now();
    const created = typeof task.created === "number" ? task.created * 1000 : Number.NaN;
    // A created time in the future or more than two days old means another clock: count from now instead.
    this.watchStartedAt = created <= now && now - created < 2 * 86_400_000 ? created : now;
    this.lastTaskLine = "";
  }

  /** Time since the watched task was created (or since watching began). */
  elapsedMs(): number {
    return this.watchStartedAt === null ? 0 : this.now() - this.watchStartedAt;
  }

  /** A poll's result: moves the bar (TTY), prints a line when the status or progress changed, emits `progress`. */
  taskProgress(task: TaskDetail): void {
    if (this.watchStartedAt === null) this.startWatching(task);
    this.lastTask = task;
    const elapsedMs = this.elapsedMs();
    const estimate = task.task_info?.estimated_time;
    const progress = task.progress ?? 0;
    const line = describeTask(task);
    const changed = line !== this.lastTaskLine;
    this.lastTaskLine = line;
    if (changed) this.event("progress", { task, elapsedMs });
    if (this.bars) {
      const payload = {
        id: task.id,
        status: task.status.padEnd(10),
        elapsed: formatDuration(elapsedMs),
        estimate: typeof estimate === "number" ? `server estimate ${formatDuration(estimate * 1000)}` : "",
      };
      if (!this.taskBar) {
        this.taskBar = this.multiBar().create(100, progress, payload, {
          format: "{id} {status} [{bar}] {percentage}% | {elapsed} elapsed | {estimate}",
        });
        // Polls can be 30 s apart: keep the elapsed time moving between them.
        this.ticker = setInterval(() => {
          if (this.taskBar && this.lastTask) this.taskBar.update({ elapsed: formatDuration(this.elapsedMs()) });
        }, 1000);
        this.ticker.unref();
      } else {
        this.taskBar.update(progress, payload);
      }
      return;
    }
    if (changed) {
      const extra = typeof estimate === "number" ? `, server estimate ${formatDuration(estimate * 1000)}` : "";
      this.note(`${line} (${formatDuration(elapsedMs)} elapsed${extra})`);
    }
  }

  /** A download's progress: a bar (TTY), a line each quarter (plain), an event each tenth (JSON). */
  downloadProgress(bytes: number, total: number | null): void {
    const now = this.now();
    if (!this.download) {
      this.download = { bytes: 0, total, startedAt: now, lastReported: -1 };
    }
    const state = this.download;
    state.bytes = bytes;
    state.total = total;
    const rate = bytes / Math.max(0.001, (now - state.startedAt) / 1000);
    if (this.bars) {
      const payload = {
        done: formatBytes(bytes),
        size: total === null ? "?" : formatBytes(total),
        rate: `${formatBytes(Math.round(rate))}/s`,
      };
      if (!this.downloadBar) {
        this.downloadBar = this.multiBar().create(total ?? 0, bytes, payload, {
          format:
            total === null
              ? "download {done} | {rate}"
              : "download   [{bar}] {percentage}% | {done} of {size} | {rate}",
        });
      } else {
        this.downloadBar.update(bytes, payload);
      }
      return;
    }
    // Report in steps: tenths (JSON) or quarters (plain) of a known size, every 10 MiB of an unknown one.
    const steps = this.json ? 10 : 4;
    const step = total ? Math.floor((bytes / total) * steps) : Math.floor(bytes / (10 * KIB * KIB));
    if (step === state.lastReported) return;
    state.lastReported = step;
    this.event("download", { bytes, total });
    if (bytes === 0 && !total) return;
    const of = total ? ` of ${formatBytes(total)} (${Math.floor((bytes / total) * 100)}%)` : "";
    this.note(`downloading: ${formatBytes(bytes)}${of}, ${formatBytes(Math.round(rate))}/s`);
  }

  /** Forgets the current download (before the next one in a batch). */
  resetDownload(): void {
    this.download = null;
  }

  /** Stops and removes the bars, restoring the cursor; call before printing results or exiting. */
  stopBars(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
    if (!this.multi) return;
    // A last redraw flushes lines logged since the previous frame: stop() alone would drop them.
    this.multi.update();
    this.multi.stop();
    this.multi = null;
    this.taskBar = null;
    this.downloadBar = null;
  }

  /** A batch's bars (a total bar, a row per item in flight), or null when no bars are drawn. */
  batchBars(items: number, counts: BatchCounts): BatchBars | null {
    return this.bars ? new BatchBars(() => this.multiBar(), items, counts) : null;
  }

  /** The bar group every bar is drawn in (one at a time; `stopBars()` ends it). */
  private multiBar(): MultiBar {
    if (!this.multi) {
      this.multi = new MultiBar({
        stream: this.stderr as NodeJS.WritableStream,
        hideCursor: true,
        clearOnComplete: false,
        barsize: 30,
        fps: 5,
        // The CLI handles SIGINT itself: it stops the bars, then prints how to resume.
        gracefulExit: false,
      });
    }
    return this.multi;
  }
}
