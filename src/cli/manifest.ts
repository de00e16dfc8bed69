/**
 * The batch manifest: one JSON object per line (`prompt`, `video`, optional `images`, `aspect_ratio`,
 * `keep_original_sound`, `callback_url`, `out`). Every line is checked before anything is submitted, with the same
 * rules the client applies (src/rules.ts), and every bad line is reported with its number.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { DEFAULT_MODEL, type VideoGenerationRequest } from "../index.js";
import { checkCreateRequest } from "../rules.js";
import { UsageError } from "./exit-codes.js";
import { describeViolation } from "./flags.js";

/** The create request's body without `model` (the client fills in the spec's default). */
export type EditParams = Omit<VideoGenerationRequest, "model">;

/** One valid manifest line. */
export interface ManifestItem {
  /** 1-based line number in the manifest. */
  line: number;
  /**
   * A stable identity for the journal: a hash of the request and `out`, so a resumed run finds an item even when
   * lines were added or reordered, and an edited line is a new item.
   */
  key: string;
  /** The request to send. */
  params: EditParams;
  /** Where to save the result: `out` resolved against the output folder, or null for `<task id>.mp4` there. */
  out: string | null;
}

/** The manifest's problems, each `line N: ...`, or its items. */
export interface ParsedManifest {
  items: ManifestItem[];
  problems: string[];
}

const KEYS = new Set(["prompt", "video", "images", "aspect_ratio", "keep_original_sound", "callback_url", "out"]);

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** The journal key of a request and its `out` as written in the manifest. */
export function itemKey(params: EditParams, out: string | null): string {
  return createHash("sha256").update(canonical({ params, out })).digest("hex").slice(0, 16);
}

/** Checks a request body with the client's rules, with the model the client will send. */
export function checkEditParams(params: EditParams) {
  return checkCreateRequest({ model: DEFAULT_MODEL, ...params });
}

/** Turns one parsed line into request params, or says what is wrong with it. */
function toParams(value: Record<string, unknown>): { params: EditParams; problems: string[] } {
  const problems: string[] = [];
  for (const key of Object.keys(value)) {
    if (!KEYS.has(key)) problems.push(`unknown key "${key}" (allowed: ${[...KEYS].join(", ")})`);
  }
  const params: Record<string, unknown> = { prompt: value.prompt };
  if (value.video === undefined) problems.push("video is required (the URL of the .mp4 or .mov to edit)");
  else if (typeof value.video !== "string") problems.push("video must be a string (one URL)");
  else params.video_urls = [value.video];
  if (value.images !== undefined) params.image_urls = value.images;
  if (value.aspect_ratio !== undefined) params.aspect_ratio = value.aspect_ratio;
  if (value.keep_original_sound !== undefined) params.keep_original_sound = value.keep_original_sound;
  if (value.callback_url !== undefined) params.callback_url = value.callback_url;
  const violations = checkEditParams(params as EditParams).filter(
    (v) => v.param !== "video_urls" || "video_urls" in params,
  );
  for (const v of violations) problems.push(describeViolation(v, "manifest"));
  return { params: params as EditParams, problems };
}

/**
 * Parses and validates a manifest. `outDir` resolves each line's relative `out`. Blank lines are skipped. Two lines
 * asking for the same edit with the same `out` (or none) are refused: a duplicate is a second bill.
 */
export function parseManifest(text: string, outDir: string): ParsedManifest {
  const items: ManifestItem[] = [];
  const problems: string[] = [];
  const byKey = new Map<string, number>();
  const byOut = new Map<string, number>();
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      problems.push(`line ${line}: not valid JSON (${(error as Error).message})`);
      return;
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      problems.push(`line ${line}: must be a JSON object like {"prompt": "...", "video": "https://.../in.mp4"}`);
      return;
    }
    const record = value as Record<string, unknown>;
    const { params, problems: own } = toParams(record);
    let out: string | null = null;
    if (record.out !== undefined) {
      if (typeof record.out !== "string" || record.out.trim() === "") own.push("out must be a non-empty file path");
      else out = path.resolve(outDir, record.out);
    }
    if (out !== null) {
      const first = byOut.get(out);
      if (first !== undefined) own.push(`out "${record.out}" is also line ${first}'s: each result needs its own file`);
      else byOut.set(out, line);
    }
    const key = itemKey(params, typeof record.out === "string" ? record.out : null);
    if (own.length === 0) {
      const first = byKey.get(key);
      if (first !== undefined) {
        own.push(
          `the same edit as line ${first} (a duplicate is a second bill; give it its own "out" to run it twice)`,
        );
      } else {
        byKey.set(key, line);
      }
    }
    if (own.length > 0) {
      for (const problem of own) problems.push(`line ${line}: ${problem}`);
      return;
    }
    items.push({ line, key, params, out });
  });
  if (items.length === 0 && problems.length === 0) problems.push("the manifest has no lines");
  return { items, problems };
}

/**
 * Reads and parses a manifest file for a batch whose results go to `outDir`; a file that cannot be read, or any bad
 * line, is a `UsageError` (nothing was sent). `verb` says what did not happen: "submitted", "enqueued".
 */
export function readManifest(manifestPath: string, outDir: string, verb: string): ManifestItem[] {
  let text: string;
  try {
    text = fs.readFileSync(manifestPath, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read the manifest ${manifestPath}: ${(error as Error).message}`);
  }
  const { items, problems } = parseManifest(text, outDir);
  if (problems.length > 0) {
    const bad = new Set(problems.map((p) => p.split(":")[0])).size;
    throw new UsageError(`${manifestPath}: ${bad} bad line${bad === 1 ? "" : "s"}, nothing was ${verb}:`, problems);
  }
  return items;
}
