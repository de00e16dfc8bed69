/**
 * src/cli/flags.ts: a rule violation, named by its wire field (`image_urls[1]`), is told to the user by the flag or
 * the manifest key they typed (`--image #2`, `images[1]`), keeping the rule it broke.
 */
import { describe, expect, it } from "vitest";
import { describeViolation, type InputKind, inputNameOf } from "../../src/cli/flags.js";
import { checkCreateRequest, type RuleViolation } from "../../src/rules.js";

const VALID = { model: "kling-o1-video-edit", prompt: "Make it cinematic", video_urls: ["https://e.com/in.mp4"] };

/** The violations the client's own rules find in VALID with `change` applied (real rules, not hand-made ones). */
function violationsOf(change: Record<string, unknown>): RuleViolation[] {
  const violations = checkCreateRequest({ ...VALID, ...change });
  expect(violations.length).toBeGreaterThan(0);
  return violations;
}

describe("inputNameOf", () => {
  it.each<[string, string, string]>([
    ["prompt", "--prompt", "prompt"],
    ["video_urls", "--video", "video"],
    ["aspect_ratio", "--aspect-ratio", "aspect_ratio"],
    ["keep_original_sound", "--keep-sound", "keep_original_sound"],
    ["callback_url", "--callback-url", "callback_url"],
    ["image_urls[0]", "--image #1", "images[0]"],
    ["image_urls[3]", "--image #4", "images[3]"],
    ["image_urls", "--image", "images"],
    // `--video` and a manifest's `video` hold one URL: an index would point at nothing the user typed.
    ["video_urls[0]", "--video", "video"],
    ["video_urls[7]", "--video", "video"],
    ["model", "model", "model"],
    // A field this table does not know is shown as the API named it, not dropped.
    ["duration", "duration", "duration"],
    ["callback_url.host", "--callback-url", "callback_url"],
  ])("%s -> %s (flags) / %s (manifest)", (field, flag, key) => {
    expect(inputNameOf(field, "flags")).toBe(flag);
    expect(inputNameOf(field, "manifest")).toBe(key);
  });

  it("names the request itself when the violation has no field (the body is not an object)", () => {
    // Without a field the sentence would start with a blank: " must be an object (type)".
    const [violation] = checkCreateRequest([]);
    expect(violation?.field).toBe("");
    expect(inputNameOf("", "flags")).toBe("body");
    expect(describeViolation(violation as RuleViolation, "manifest")).toBe("body must be an object (type)");
  });
});

describe("describeViolation", () => {
  it.each<[string, Record<string, unknown>, InputKind, string]>([
    [
      "an enum, naming the rule",
      { aspect_ratio: "4:3" },
      "flags",
      '--aspect-ratio must be one of "16:9", "9:16", "1:1" (enum)',
    ],
    [
      "an enum in a manifest",
      { aspect_ratio: "4:3" },
      "manifest",
      'aspect_ratio must be one of "16:9", "9:16", "1:1" (enum)',
    ],
    // "is required" already names its rule: no "(required)" after it.
    ["a missing field", { prompt: undefined }, "flags", "--prompt is required"],
    ["a wrong type", { keep_original_sound: "yes" }, "flags", "--keep-sound must be a boolean (type)"],
    [
      "a wrong type in a manifest",
      { keep_original_sound: "yes" },
      "manifest",
      "keep_original_sound must be a boolean (type)",
    ],
    [
      "too many images",
      { image_urls: Array(5).fill("https://e.com/a.jpg") },
      "flags",
      "--image must have at most 4 items (maxItems)",
    ],
    [
      "one bad image of two",
      { image_urls: ["https://e.com/a.jpg", "https://e.com/b.gif"] },
      "manifest",
      "images[1] must be an image URL ending in .jpg, .jpeg, .png, .webp (fileExtension)",
    ],
    // Two videos: on the command line that is `--video` given twice, which the sentence says in those words.
    [
      "two videos as flags",
      { video_urls: ["https://e.com/a.mp4", "https://e.com/b.mp4"] },
      "flags",
      "--video must be given once (the API edits one video per request)",
    ],
    [
      "two videos in a manifest",
      { video_urls: ["https://e.com/a.mp4", "https://e.com/b.mp4"] },
      "manifest",
      "video must have at most 1 item",
    ],
    [
      "a non-http video",
      { video_urls: ["ftp://e.com/a.mp4"] },
      "flags",
      "--video must be an http(s) URL the server can fetch (got ftp:) (httpUrl)",
    ],
  ])("%s", (_name, change, kind, want) => {
    const messages = violationsOf(change).map((v) => describeViolation(v, kind));
    expect(messages).toContain(want);
  });

  it("never shows the wire field name in place of the flag", () => {
    const violations = violationsOf({
      prompt: "",
      video_urls: ["https://e.com/a.avi"],
      image_urls: ["https://e.com/a.bmp"],
      aspect_ratio: "2:1",
      keep_original_sound: 1,
      callback_url: "https://10.0.0.1/hook",
    });
    expect(violations.length).toBeGreaterThanOrEqual(6);
    for (const v of violations) {
      const message = describeViolation(v, "flags");
      expect(message).toMatch(/^--[a-z-]+( #\d)? /);
      expect(message).not.toMatch(/video_urls|image_urls|aspect_ratio|keep_original_sound|callback_url/);
    }
  });

  it("keeps a message that does not start with its field whole, and names the rule after it", () => {
    const v: RuleViolation = { field: "prompt", param: "prompt", rule: "maxLength", message: "too long" };
    expect(describeViolation(v, "flags")).toBe("--prompt too long (maxLength)");
  });
});
