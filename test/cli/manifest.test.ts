/** The batch manifest parser (the flag names in rule messages: test/cli/flags.test.ts). */
import path from "node:path";
import { describe, expect, it } from "vitest";
import { itemKey, parseManifest } from "../../src/cli/manifest.js";

const line = (value: Record<string, unknown>) => JSON.stringify(value);
const ok = { prompt: "Make it cinematic", video: "https://example.com/in.mp4" };

describe("parseManifest", () => {
  it("turns lines into requests, resolving out against the folder and skipping blank lines", () => {
    const text = [
      line(ok),
      "",
      line({
        ...ok,
        prompt: "Noir",
        images: ["https://example.com/r.png"],
        aspect_ratio: "1:1",
        keep_original_sound: false,
        out: "sub/noir.mp4",
      }),
    ].join("\n");
    const { items, problems } = parseManifest(text, "/results");
    expect(problems).toEqual([]);
    expect(items.map((i) => i.line)).toEqual([1, 3]);
    expect(items[0]).toMatchObject({ out: null, params: { prompt: ok.prompt, video_urls: [ok.video] } });
    expect(items[1]).toMatchObject({
      out: path.resolve("/results", "sub/noir.mp4"),
      params: { image_urls: ["https://example.com/r.png"], aspect_ratio: "1:1", keep_original_sound: false },
    });
  });

  it("reports every bad line with its number, the key and the rule", () => {
    const text = [
      line(ok),
      "{oops",
      line({ prompt: "x" }),
      line({ ...ok, video: "https://example.com/in.avi" }),
      line({ ...ok, images: ["https://example.com/1.jpg", "ftp://example.com/2.jpg"] }),
      line({ ...ok, aspect_ratio: "4:3", colour: "red" }),
      line(ok),
      "42",
      line({ ...ok, prompt: "other", out: 7 }),
    ].join("\n");
    const { items, problems } = parseManifest(text, "/r");
    expect(items.map((i) => i.line)).toEqual([1]);
    expect(problems).toEqual([
      expect.stringMatching(/^line 2: not valid JSON/),
      "line 3: video is required (the URL of the .mp4 or .mov to edit)",
      "line 4: video must be a video URL ending in .mp4, .mov (fileExtension)",
      "line 5: images[1] must be an http(s) URL the server can fetch (got ftp:) (httpUrl)",
      expect.stringMatching(/^line 6: unknown key "colour"/),
      'line 6: aspect_ratio must be one of "16:9", "9:16", "1:1" (enum)',
      expect.stringMatching(/^line 7: the same edit as line 1 \(a duplicate is a second bill/),
      expect.stringMatching(/^line 8: must be a JSON object/),
      "line 9: out must be a non-empty file path",
    ]);
  });

  it("refuses two lines writing the same file; the same edit with distinct outs is allowed", () => {
    const { items, problems } = parseManifest(
      [line({ ...ok, out: "a.mp4" }), line({ ...ok, out: "b.mp4" }), line({ ...ok, prompt: "2", out: "a.mp4" })].join(
        "\n",
      ),
      "/r",
    );
    expect(items).toHaveLength(2);
    expect(problems).toEqual([`line 3: out "a.mp4" is also line 1's: each result needs its own file`]);
  });

  it("keys an item by its request and out, not its line number, so reordering keeps the journal valid", () => {
    const a = parseManifest([line(ok), line({ ...ok, prompt: "b" })].join("\n"), "/r").items;
    const b = parseManifest([line({ ...ok, prompt: "b" }), "", line(ok)].join("\n"), "/r").items;
    expect(a[0]?.key).toBe(b[1]?.key);
    expect(a[1]?.key).toBe(b[0]?.key);
    expect(a[0]?.key).toBe(itemKey({ prompt: ok.prompt, video_urls: [ok.video] }, null));
    expect(itemKey({ prompt: "x", video_urls: [ok.video] }, "o.mp4")).not.toBe(
      itemKey({ prompt: "x", video_urls: [ok.video] }, null),
    );
  });

  it("an empty manifest is an error", () => {
    expect(parseManifest("\n\n", "/r").problems).toEqual(["the manifest has no lines"]);
  });
});
