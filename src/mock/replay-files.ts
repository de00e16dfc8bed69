/**
 * Reading a folder of recordings for replay (Node only; the replay itself, in replay.ts, runs anywhere).
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseRecording, type Recording } from "./replay.js";

/** What a folder held: the recordings, and a line for each `.json` file that is not one. */
export interface LoadedRecordings {
  recordings: Recording[];
  problems: string[];
}

/** Reads every `*.json` file of `dir` as a recording. Rejects when the folder cannot be read. */
export async function loadRecordings(dir: string): Promise<LoadedRecordings> {
  const names = (await readdir(dir)).filter((name) => name.endsWith(".json")).sort();
  const recordings: Recording[] = [];
  const problems: string[] = [];
  for (const name of names) {
    let value: unknown;
    try {
      value = JSON.parse(await readFile(join(dir, name), "utf8"));
    } catch (error) {
      problems.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
      continue;
    }
    const parsed = parseRecording(value, name);
    if (typeof parsed === "string") problems.push(parsed);
    else recordings.push(parsed);
  }
  return { recordings, problems };
}
