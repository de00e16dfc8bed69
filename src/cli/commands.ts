/**
 * The single-task commands: `edit`, `status`, `wait` and `download`. Each returns its exit code, or throws
 * {@link ReportedExit} once it has reported how the task ended; other errors propagate to run.ts, which prints them
 * (report.ts) and maps them to a code (exit-codes.ts). `batch` is batch-command.ts.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import {
  APITimeoutError,
  APIUserAbortError,
  type CreatedTask,
  type Job,
  RESULT_TTL_MS,
  RequestValidationError,
  SubmitOutcomeUnknownError,
  type Task,
  TaskFailedError,
} from "../index.js";
import { EXIT, exitCodeFor, InterruptedError, ReportedExit, UsageError } from "./exit-codes.js";
import { isJobFileArgument, jobFileStore, readJobFile } from "./job-file.js";
import { checkEditParams, type EditParams } from "./manifest.js";
import { describeTask, formatBytes, formatDuration, type Output, type TaskDetail } from "./output.js";
import { errorJson, errorLines } from "./report.js";
import {
  type GlobalOptions,
  MOCK_POLL_INTERVAL_MS,
  type Session,
  type SessionContext,
  withSession,
} from "./session.js";

/** The `edit` command's options, as commander parses them. */
export interface EditOptions {
  prompt?: string;
  video?: string[];
  image?: string[];
  aspectRatio?: string;
  keepSound?: boolean;
  callbackUrl?: string;
  wait?: boolean;
  out?: string;
}

/** The request an `edit` command line describes (not yet checked). */
export function editParams(opts: EditOptions): EditParams {
  const params: Record<string, unknown> = { prompt: opts.prompt, video_urls: opts.video ?? [] };
  if (opts.image && opts.image.length > 0) params.image_urls = opts.image;
  if (opts.aspectRatio !== undefined) params.aspect_ratio = opts.aspectRatio;
  if (opts.keepSound !== undefined) params.keep_original_sound = opts.keepSound;
  if (opts.callbackUrl !== undefined) params.callback_url = opts.callbackUrl;
  return params as EditParams;
}

/** The last line of a single-task command's `--json` output: the task, the exit code, and what else is known. */
function finalTask(output: Output, task: TaskDetail, exitCode: number, extra: Record<string, unknown> = {}): void {
  output.event("task", { task, exitCode, ...extra });
}

/** `kling-edit edit`. */
export async function editCommand(opts: EditOptions, globals: GlobalOptions, output: Output): Promise<number> {
  const params = editParams(opts);
  // Every rule, before a key is even looked for: the messages name the flags.
  const violations = checkEditParams(params);
  if (violations.length > 0) throw new RequestValidationError(violations);
  // The destination too: a result that cannot be saved must not be paid for (issue 11, item 3).
  if (opts.out) checkDestination(opts.out);
  const wait = opts.wait === true || opts.out !== undefined;
  return withSession(globals, output, async ({ session }) => {
    let created: CreatedTask;
    try {
      // Only a second Ctrl-C abandons the create: after the first, its answer still tells us the task id.
      created = await session.client.edits.create(params, { signal: session.interrupts.kill.signal });
    } catch (error) {
      if (error instanceof APIUserAbortError) {
        throw new InterruptedError(
          "Interrupted while the create request was in flight: a task may or may not have been created (and billed).",
        );
      }
      throw error;
    }
    output.event("created", { task: created });
    const estimate = created.task_info?.estimated_time;
    output.note(
      `Created task ${created.id} (${created.status}${typeof estimate === "number" ? `, server estimate ${formatDuration(estimate * 1000)}` : ""}).`,
    );
    if (session.interrupts.interrupted) return interrupted(session, output, created, opts.out);
    if (!wait) {
      finalTask(output, created, EXIT.ok);
      const gone = session.mock ? " (the built-in mock stops with this command: use --wait with --mock)" : "";
      output.say(`${created.id}\nFollow it: ${session.resumeCommand(created.id, "result.mp4")}${gone}`, created.id);
      return EXIT.ok;
    }
    return waitAndSave({ session, output }, created, opts.out);
  });
}

/** `kling-edit wait`: a task id, or a job file. */
export async function waitCommand(
  target: string,
  opts: { out?: string; timeout?: number },
  globals: GlobalOptions,
  output: Output,
): Promise<number> {
  if (opts.out) checkDestination(opts.out);
  const timeoutMs = opts.timeout === undefined ? undefined : opts.timeout * 1000;
  if (isJobFileArgument(target)) {
    const store = jobFileStore(target, (t) => output.scrubText(t));
    return withSession(globals, output, (ctx) => waitForJob(ctx, target, opts.out, timeoutMs), { jobs: store });
  }
  return withSession(globals, output, (ctx) =>
    waitAndSave(ctx, { id: target, status: "pending" }, opts.out, timeoutMs, false),
  );
}

/** The job of a job file, through the session's store (the file). */
async function jobOf(session: Session, file: string): Promise<Job> {
  const job = await session.client.jobs.get(readJobFile(file).id);
  if (!job) throw new UsageError(`${file} holds no job`);
  return job;
}

/** What a job's `--json` events carry about it. */
function jobJson(job: Job, file: string): Record<string, unknown> {
  const expires = job.resultExpiresAt;
  return {
    id: job.id,
    state: job.state,
    file: path.resolve(file),
    ...(job.taskId ? { taskId: job.taskId } : {}),
    ...(expires ? { resultExpiresAt: expires.toISOString(), resultExpiresInMs: expires.getTime() - Date.now() } : {}),
  };
}

/** `2026-01-02T03:04:05.000Z (in 23h10m)`, or `(expired)`. */
function timeLeft(expires: Date): string {
  const left = expires.getTime() - Date.now();
  return `${expires.toISOString()} (${left > 0 ? `in ${formatDuration(left)}` : "expired"})`;
}

/** A job whose create's outcome is unknown: say so, and what to do; exit 5. */
function reportUnknownJob(output: Output, job: Job, file: string): never {
  const error = new SubmitOutcomeUnknownError(job, typeof job.params.callback_url === "string");
  output.event("error", { error: errorJson(error, EXIT.transient), exitCode: EXIT.transient, job: jobJson(job, file) });
  output.warn(
    `Error: ${error.message}\n  job file: ${path.resolve(file)}\n  ` +
      "(resubmitting is a program's decision: client.jobs.resubmit(job); kling-edit batch --resubmit-unknown for batches)",
  );
  throw new ReportedExit(EXIT.transient);
}

/** `wait` of a job file: the job's own wait (its file records every step), then its download with `out`. */
async function waitForJob(ctx: SessionContext, file: string, out: string | undefined, timeoutMs: number | undefined) {
  const { session, output } = ctx;
  const job = await jobOf(session, file);
  if (job.state === "unknown") reportUnknownJob(output, job, file);
  const start: TaskDetail = (job.task as Task | undefined) ?? { id: job.taskId ?? job.id, status: "pending" };
  let last: TaskDetail = start;
  output.startWatching(start);
  try {
    await job.wait({
      signal: session.interrupts.stop.signal,
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      ...(session.mock ? { pollIntervalMs: MOCK_POLL_INTERVAL_MS } : {}),
      onProgress: (t) => {
        last = t;
        output.taskProgress(t);
      },
    });
  } catch (error) {
    if (error instanceof SubmitOutcomeUnknownError) reportUnknownJob(output, job, file);
    if (error instanceof APIUserAbortError) return interrupted(session, output, last, out, file);
    if (error instanceof TaskFailedError) {
      output.stopBars();
      finalTask(output, error.task, EXIT.taskFailed, {
        error: errorJson(error, EXIT.taskFailed),
        job: jobJson(job, file),
      });
      output.warn(errorLines(error).join("\n"));
      throw new ReportedExit(EXIT.taskFailed);
    }
    if (error instanceof APITimeoutError && timeoutMs !== undefined) {
      output.stopBars();
      const resume = session.resumeCommand(file, out);
      const message = `Task ${last.id} is still ${last.status} after ${formatDuration(timeoutMs)} (--timeout). Wait again: ${resume}`;
      finalTask(output, last, EXIT.transient, {
        error: { exitCode: EXIT.transient, message },
        resume,
        job: jobJson(job, file),
      });
      output.warn(message);
      throw new ReportedExit(EXIT.transient);
    }
    return failWithTask(session, output, last, error, out, file);
  }
  const task = job.task as Task;
  output.taskProgress(task);
  output.stopBars();
  const expires = job.resultExpiresAt;
  output.note(`Task ${task.id} completed${expires ? `; its result link expires ${timeLeft(expires)}` : ""}.`);
  if (!out) {
    finalTask(output, task, EXIT.ok, { job: jobJson(job, file) });
    output.say(
      [
        `${task.id} completed`,
        ...(task.results ?? []).map((r) => `  result: ${r}`),
        ...(expires ? [`  link expires ${timeLeft(expires)}: download it with --out`] : []),
      ].join("\n"),
      task.results?.[0] ?? task.id,
    );
    return EXIT.ok;
  }
  return save(ctx, task, out, { job, file });
}

/**
 * Waits for a task, then downloads its result when `out` is given. `known` says whether `start` is a task the API
 * returned (edit's create answer) or only a stand-in for an id given on the command line (wait), which is not a task
 * until a poll answers: the id may not exist at all.
 */
async function waitAndSave(
  ctx: SessionContext,
  start: TaskDetail,
  out: string | undefined,
  timeoutMs?: number,
  known = true,
): Promise<number> {
  const { session, output } = ctx;
  const { client, interrupts } = session;
  let last: TaskDetail = start;
  let seen = known;
  // The last moment the task was seen unfinished: it completed after this, so its links live at least 24 h from it.
  let unfinishedAt: number | null = known ? Date.now() : null;
  output.startWatching(start);
  let task: Task;
  try {
    task = await client.tasks.wait(start.id, {
      signal: interrupts.stop.signal,
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      ...(session.mock ? { pollIntervalMs: MOCK_POLL_INTERVAL_MS } : {}),
      onProgress: (t) => {
        last = t;
        seen = true;
        if (t.status !== "completed" && t.status !== "failed") unfinishedAt = Date.now();
        output.taskProgress(t);
      },
    });
  } catch (error) {
    if (error instanceof APIUserAbortError) return interrupted(session, output, last, out);
    if (error instanceof TaskFailedError) {
      output.taskProgress(error.task);
      output.stopBars();
      finalTask(output, error.task, EXIT.taskFailed, { error: errorJson(error, EXIT.taskFailed) });
      output.warn(errorLines(error).join("\n"));
      throw new ReportedExit(EXIT.taskFailed);
    }
    if (error instanceof APITimeoutError && timeoutMs !== undefined && seen) {
      output.stopBars();
      const message =
        `Task ${start.id} is still ${last.status} after ${formatDuration(timeoutMs)} (--timeout). ` +
        `Wait again: ${session.resumeCommand(start.id, out)}`;
      finalTask(output, last, EXIT.transient, {
        error: { exitCode: EXIT.transient, message },
        resume: session.resumeCommand(start.id, out),
      });
      output.warn(message);
      throw new ReportedExit(EXIT.transient);
    }
    // No poll answered: reporting the stand-in as a `task` (pending, "try again") would invent a task that may not
    // exist. A refusal (404 for an unknown id) ends like any request without a task; another fault keeps the hint.
    if (!seen) {
      if (exitCodeFor(error) === EXIT.refused) throw error;
      return failWithoutTask(session, output, start.id, error, out);
    }
    return failWithTask(session, output, last, error, out);
  }
  output.taskProgress(task);
  output.stopBars();
  // Links live 24 hours from completion. Seen unfinished earlier in this wait: at least that long from then.
  const expiresNoSooner = unfinishedAt === null ? null : new Date(unfinishedAt + RESULT_TTL_MS);
  const expiry = expiresNoSooner
    ? `its result link expires no sooner than ${timeLeft(expiresNoSooner)}`
    : "it completed before this wait began: its result link expires 24 hours after it completed";
  output.note(`Task ${task.id} completed after ${formatDuration(output.elapsedMs())}; ${expiry}.`);
  if (!out) {
    finalTask(
      output,
      task,
      EXIT.ok,
      expiresNoSooner ? { resultExpiresNoSoonerThan: expiresNoSooner.toISOString() } : {},
    );
    const results = task.results ?? [];
    output.say(
      [`${task.id} completed`, ...results.map((r) => `  result: ${r}`), `  (${expiry}: download it with --out)`].join(
        "\n",
      ),
      results[0] ?? task.id,
    );
    return EXIT.ok;
  }
  return save(ctx, task, out);
}

/** Downloads a completed task's result to `out` (through its job, for a job file). */
async function save(
  ctx: SessionContext,
  task: TaskDetail,
  out: string,
  from?: { job: Job; file: string },
): Promise<number> {
  const { session, output } = ctx;
  const url = task.results?.[0];
  const destination = path.resolve(out);
  output.event("downloading", { id: task.id, url, path: destination });
  output.note(`Downloading the result to ${destination}`);
  output.resetDownload();
  let result: { path: string; bytes: number };
  try {
    fs.mkdirSync(path.dirname(destination), { recursive: true });
    const options = {
      signal: session.interrupts.stop.signal,
      allowInsecure: url !== undefined && session.allowInsecure(url),
      onProgress: (bytes: number, total: number | null) => output.downloadProgress(bytes, total),
    };
    result = from
      ? await from.job.download(destination, options)
      : await session.client.download(task as Task, destination, options);
  } catch (error) {
    if (error instanceof APIUserAbortError) return interrupted(session, output, task, out, from?.file);
    return failWithTask(session, output, task, error, out, from?.file);
  }
  output.stopBars();
  output.event("downloaded", { id: task.id, path: result.path, bytes: result.bytes });
  finalTask(output, task, EXIT.ok, {
    file: { path: result.path, bytes: result.bytes },
    ...(from ? { job: jobJson(from.job, from.file) } : {}),
  });
  output.say(`Saved ${task.id}'s result to ${result.path} (${formatBytes(result.bytes)})`, result.path);
  return EXIT.ok;
}

/**
 * Reports an error once the task is known (a poll or the download failed): the error with the API's suggestion and
 * request id, the task id and how to continue; in --json, the final `task` event carries the error.
 */
function failWithTask(
  session: Session,
  output: Output,
  task: TaskDetail,
  error: unknown,
  out?: string,
  file?: string,
): never {
  const exitCode = exitCodeFor(error);
  output.stopBars();
  const resume = session.mock ? null : session.resumeCommand(file ?? task.id, out);
  finalTask(output, task, exitCode, { error: errorJson(error, exitCode), resume });
  const lines = errorLines(error);
  lines.push(
    resume ? `  task ${task.id}: to try again, ${resume}` : `  task ${task.id} (in the built-in mock, gone with it)`,
  );
  output.warn(`Error: ${lines.join("\n")}`);
  throw new ReportedExit(exitCode);
}

/**
 * Reports a fault before any poll of a `wait` answered (the server down, say): the id may or may not be a task, so
 * the final event is an `error`, with the command to try again.
 */
function failWithoutTask(session: Session, output: Output, taskId: string, error: unknown, out?: string): never {
  const exitCode = exitCodeFor(error);
  output.stopBars();
  const resume = session.mock ? null : session.resumeCommand(taskId, out);
  output.event("error", { error: errorJson(error, exitCode), exitCode, ...(resume ? { resume } : {}) });
  const lines = errorLines(error);
  if (resume) lines.push(`  task ${taskId}: to try again, ${resume}`);
  output.warn(`Error: ${lines.join("\n")}`);
  throw new ReportedExit(exitCode);
}

/**
 * Reports a Ctrl-C: the task id, what is known of it, and the exact command that resumes. Exit 130. A completed task
 * (its download interrupted) does not "keep running": its result waits for 24 hours from completion.
 */
function interrupted(session: Session, output: Output, task: TaskDetail, out?: string, file?: string): never {
  output.stopBars();
  const resume = session.resumeCommand(file ?? task.id, out);
  const finished = task.status === "completed" || task.status === "failed";
  const where = session.mock
    ? "It lived in the built-in mock, which stops with this command."
    : task.status === "completed"
      ? `It completed; its result was not saved (links are valid for 24 hours from completion). Resume with:\n  ${resume}`
      : finished
        ? `It ${task.status}. See it with:\n  ${resume}`
        : `It keeps running on the server. Resume with:\n  ${resume}`;
  finalTask(output, task, EXIT.interrupted, { resume: session.mock ? null : resume });
  output.warn(`Interrupted: task ${task.id} (last seen ${describeTask(task).slice(task.id.length + 1)}). ${where}`);
  throw new ReportedExit(EXIT.interrupted);
}

/** `kling-edit status`: a task id, or a job file. Exit 4 when the task failed, 5 when a job's create is unknown. */
export async function statusCommand(target: string, globals: GlobalOptions, output: Output): Promise<number> {
  const file = isJobFileArgument(target) ? target : undefined;
  const store = file ? jobFileStore(file, (t) => output.scrubText(t)) : undefined;
  return withSession(
    globals,
    output,
    async ({ session }) => {
      const job = file ? await jobOf(session, file) : undefined;
      if (job && file && job.taskId === undefined) {
        if (job.state === "unknown") reportUnknownJob(output, job, file);
        throw new UsageError(`job ${job.id} (${file}) has no task yet (state ${job.state})`);
      }
      const taskId = job?.taskId ?? target;
      const task = await session.client.tasks.get(taskId, { signal: session.interrupts.stop.signal });
      const code = task.status === "failed" ? EXIT.taskFailed : EXIT.ok;
      const expires = job?.resultExpiresAt;
      finalTask(output, task, code, job && file ? { job: jobJson(job, file) } : {});
      const lines = [describeTask(task)];
      if (job && file) lines.push(`  job      ${job.id} (${job.state}) in ${file}`);
      if (typeof task.created === "number") lines.push(`  created  ${new Date(task.created * 1000).toISOString()}`);
      const estimate = task.task_info?.estimated_time;
      if (typeof estimate === "number" && (task.status === "pending" || task.status === "processing")) {
        lines.push(`  server estimate  ${formatDuration(estimate * 1000)}`);
      }
      for (const result of task.results ?? []) lines.push(`  result   ${result}`);
      if (task.status === "completed") {
        lines.push(
          expires
            ? `  link expires ${timeLeft(expires)}`
            : `  links are valid for 24 hours from completion${file ? "" : " (a job file records when: see kling-edit wait)"}`,
        );
      }
      if (task.error) lines.push(`  error    ${task.error.code}: ${task.error.message}`);
      if (task.status === "pending" || task.status === "processing") {
        lines.push(`  wait for it: ${session.resumeCommand(file ?? task.id, "result.mp4")}`);
      }
      output.say(lines.join("\n"), task.status);
      return code;
    },
    store ? { jobs: store } : {},
  );
}

/** `kling-edit download`: a task id, or a job file. */
export async function downloadCommand(
  target: string,
  opts: { out: string },
  globals: GlobalOptions,
  output: Output,
): Promise<number> {
  checkDestination(opts.out);
  const file = isJobFileArgument(target) ? target : undefined;
  const store = file ? jobFileStore(file, (t) => output.scrubText(t)) : undefined;
  return withSession(
    globals,
    output,
    async (ctx) => {
      const job = file ? await jobOf(ctx.session, file) : undefined;
      if (job && file) {
        if (job.state === "unknown") reportUnknownJob(output, job, file);
        if (job.state === "completed" || job.state === "downloaded" || job.state === "expired") {
          // The job knows when its link expires: past it, nothing is sent.
          return save(ctx, job.task as Task, opts.out, { job, file });
        }
      }
      const task = await ctx.session.client.tasks.get(job?.taskId ?? target, {
        signal: ctx.session.interrupts.stop.signal,
      });
      if (task.status === "failed") {
        // The task is known: end with its `task` event (as wait does), not a bare `error` event.
        const error = new TaskFailedError(task);
        finalTask(output, task, EXIT.taskFailed, { error: errorJson(error, EXIT.taskFailed) });
        output.warn(errorLines(error).join("\n"));
        throw new ReportedExit(EXIT.taskFailed);
      }
      if (task.status !== "completed" || job) {
        // A job file's job learns of completion by waiting (which records when its link expires): send it there.
        finalTask(output, task, EXIT.usage);
        output.warn(
          `Task ${task.id} is ${task.status}${typeof task.progress === "number" ? ` (${task.progress}%)` : ""}: ` +
            `${task.status === "completed" ? "its job has not recorded it yet" : "nothing to download yet"}.\n` +
            `Wait for it and download: ${ctx.session.resumeCommand(file ?? task.id, opts.out)}`,
        );
        throw new ReportedExit(EXIT.usage);
      }
      return save(ctx, task, opts.out);
    },
    store ? { jobs: store } : {},
  );
}

/** A path's stat, or undefined when nothing is there (ENOENT) or a file stands in the way (ENOTDIR). */
function statOrNothing(file: string, stat: (p: string) => fs.Stats): fs.Stats | undefined {
  try {
    return stat(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw error;
  }
}

/**
 * Refuses a destination the result cannot be written to, before anything is sent (issue 11, item 3): an existing
 * directory or non-file, a path under a regular file, a folder this process cannot create files in (found by
 * creating and removing a probe file there, which also holds for root and for read-only mounts).
 */
export function checkDestination(out: string, flag = "--out"): void {
  const target = path.resolve(out);
  const found = statOrNothing(target, fs.lstatSync);
  if (found?.isDirectory()) {
    throw new UsageError(`${flag} ${out} is a directory: give a file name, such as ${path.join(out, "result.mp4")}`);
  }
  if (found && !found.isFile())
    throw new UsageError(`${flag} ${out} exists and is not a regular file: nothing was sent`);
  let dir = path.dirname(target);
  for (;;) {
    const stat = statOrNothing(dir, fs.statSync);
    if (stat) {
      if (!stat.isDirectory()) throw new UsageError(`${flag} ${out}: ${dir} is a file, not a folder; nothing was sent`);
      break;
    }
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  const probe = path.join(dir, `.kling-edit-probe-${process.pid}-${randomBytes(4).toString("hex")}`);
  try {
    fs.closeSync(fs.openSync(probe, "wx", 0o600));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "error";
    throw new UsageError(`${flag} ${out}: cannot create files in ${dir} (${code}); nothing was sent`);
  }
  fs.rmSync(probe, { force: true });
}
