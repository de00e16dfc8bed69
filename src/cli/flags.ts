/**
 * Maps the create request's rule violations (named by wire field: `video_urls[0]`) to what the user typed: a
 * command-line flag (`--video`, `--image #2`) or a batch manifest key (`video`, `images[1]`), so a message points at
 * the thing to fix.
 */
import type { RuleViolation } from "../index.js";

/** How the user spelled the request: as `edit` flags or as a manifest line's keys. */
export type InputKind = "flags" | "manifest";

const FLAG_OF: Record<string, string> = {
  prompt: "--prompt",
  video_urls: "--video",
  image_urls: "--image",
  aspect_ratio: "--aspect-ratio",
  keep_original_sound: "--keep-sound",
  callback_url: "--callback-url",
  model: "model",
};

const KEY_OF: Record<string, string> = {
  prompt: "prompt",
  video_urls: "video",
  image_urls: "images",
  aspect_ratio: "aspect_ratio",
  keep_original_sound: "keep_original_sound",
  callback_url: "callback_url",
  model: "model",
};

/** The flag or manifest key a violation's field came from: `image_urls[1]` -> `--image #2` or `images[1]`. */
export function inputNameOf(field: string, kind: InputKind): string {
  // A violation of the body itself has no field; the rules call it "body", and so does the message here.
  if (field === "") return "body";
  const match = /^([a-z_]+)(?:\[(\d+)\])?/.exec(field);
  const param = match?.[1] ?? field;
  const index = match?.[2] === undefined ? null : Number(match[2]);
  if (kind === "flags") {
    const flag = FLAG_OF[param] ?? param;
    // `--video` takes exactly one URL, so its index adds nothing; `--image` is repeated, so say which one.
    return index !== null && param === "image_urls" ? `${flag} #${index + 1}` : flag;
  }
  const key = KEY_OF[param] ?? param;
  // A manifest's `video` is a single string, not a list.
  return index !== null && param === "image_urls" ? `${key}[${index}]` : key;
}

/**
 * Rewrites a violation's message to name the flag or manifest key instead of the wire field, keeping the rule:
 * `video_urls[0] must be a video URL ending in .mp4, .mov` -> `--video must be a video URL ending in .mp4, .mov`.
 */
export function describeViolation(violation: RuleViolation, kind: InputKind): string {
  const name = inputNameOf(violation.field, kind);
  const prefix = `${violation.field || "body"} `;
  const rest = violation.message.startsWith(prefix) ? violation.message.slice(prefix.length) : violation.message;
  if (violation.param === "video_urls" && violation.rule === "maxItems") {
    return kind === "flags" ? "--video must be given once (the API edits one video per request)" : `${name} ${rest}`;
  }
  // Name the rule unless the sentence already does ("is required").
  return rest.includes(violation.rule) ? `${name} ${rest}` : `${name} ${rest} (${violation.rule})`;
}
