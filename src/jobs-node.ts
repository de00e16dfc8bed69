/**
 * `fileJobStore(dir)`: jobs as one JSON file each, written atomically and durably (temporary file, fsync, rename,
 * fsync of the folder), so a crash at any moment leaves either the old or the new state of a job, never a torn one.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { type JobSnapshot, type JobState, type JobStore, matchesState } from "./jobs.js";

const SUFFIX = ".job.json";

async function fsyncDir(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, "r");
    await handle.sync();
  } catch {
    // Some file systems (and Windows) cannot fsync a directory: the rename is still atomic.
  } finally {
    await handle?.close();
  }
}

/**
 * A {@link JobStore} in a folder: `<dir>/<job id>.job.json`. Safe for several processes on one machine to read and
 * write (each write replaces a whole file atomically); temporary files of a crashed writer are ignored and cleaned.
 */
export function fileJobStore(dir: string): JobStore {
  const root = path.resolve(dir);
  let ready: Promise<void> | undefined;
  const ensure = () => {
    ready ??= fs.mkdir(root, { recursive: true }).then(() => undefined);
    return ready;
  };
  const file = (id: string) => {
    if (!/^[A-Za-z0-9._-]{1,128}$/.test(id) || id.startsWith("."))
      throw new Error(`not a job id: ${JSON.stringify(id)}`);
    return path.join(root, `${id}${SUFFIX}`);
  };
  const read = async (target: string): Promise<JobSnapshot | undefined> => {
    try {
      return JSON.parse(await fs.readFile(target, "utf8")) as JobSnapshot;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
  };
  return {
    async get(id) {
      await ensure();
      return read(file(id));
    },
    async put(job) {
      await ensure();
      const target = file(job.id);
      const temp = `${target}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
      const handle = await fs.open(temp, "wx", 0o600);
      try {
        await handle.writeFile(`${JSON.stringify(job)}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      try {
        await fs.rename(temp, target);
      } catch (err) {
        await fs.rm(temp, { force: true });
        throw err;
      }
      await fsyncDir(root);
    },
    async list(filter?: { state?: JobState | readonly JobState[] }) {
      await ensure();
      const names = await fs.readdir(root);
      const out: JobSnapshot[] = [];
      for (const name of names) {
        if (!name.endsWith(SUFFIX)) continue;
        const job = await read(path.join(root, name));
        if (job && matchesState(job, filter)) out.push(job);
      }
      return out.sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
    },
    async delete(id) {
      await ensure();
      await fs.rm(file(id), { force: true });
      await fsyncDir(root);
    },
  };
}
