/**
 * Job files: `kling-edit status|wait|download` accept the path of a file holding one job (`job.toJSON()`, such as a
 * `fileJobStore` file or one a service saved) instead of a task id. The file is the job's store for the command: every
 * step the job takes (completed, downloaded) is written back to it, atomically, so the next command goes on from it.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { JobSnapshot, JobState, JobStore } from "../index.js";
import { UsageError } from "./exit-codes.js";
import { fsyncDirectory } from "./journal.js";

/** Whether a command's argument names a job file rather than a task id: an existing file, or a `.json` path. */
export function isJobFileArgument(arg: string): boolean {
  return arg.endsWith(".json") || fs.statSync(arg, { throwIfNoEntry: false })?.isFile() === true;
}

/** Reads a job file, or says plainly why it is not one. */
export function readJobFile(file: string): JobSnapshot {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read the job file ${file}: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UsageError(`${file} is not a job file: not JSON (a job file holds one job.toJSON())`);
  }
  const v = value as Partial<JobSnapshot> | null;
  if (typeof v !== "object" || v === null || typeof v.id !== "string" || typeof v.state !== "string") {
    throw new UsageError(`${file} is not a job file: no job id and state (a job file holds one job.toJSON())`);
  }
  return value as JobSnapshot;
}

/** Writes a file atomically and durably: a temporary file, fsync, rename, fsync of the folder (the rename). */
function writeAtomically(file: string, text: string): void {
  const temp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  const fd = fs.openSync(temp, "wx", 0o600);
  try {
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.renameSync(temp, file);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
  fsyncDirectory(path.dirname(file));
}

/** A {@link JobStore} holding the one job of a job file; `scrub` cleans what is written back. */
export function jobFileStore(file: string, scrub: (text: string) => string = (t) => t): JobStore {
  const absolute = path.resolve(file);
  let job = readJobFile(absolute);
  return {
    async get(id) {
      return id === job.id ? structuredClone(job) : undefined;
    },
    async put(next) {
      if (next.id !== job.id) throw new Error(`the job file ${absolute} holds job ${job.id}, not ${next.id}`);
      writeAtomically(absolute, `${scrub(JSON.stringify(next, null, 2))}\n`);
      job = structuredClone(next);
    },
    async list(filter?: { state?: JobState | readonly JobState[] }) {
      const states = filter?.state === undefined ? null : ([] as JobState[]).concat(filter.state);
      return states === null || states.includes(job.state) ? [structuredClone(job)] : [];
    },
    async delete() {
      // A job file is the user's record: it is never deleted by a command.
    },
  };
}
