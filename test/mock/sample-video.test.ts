import { describe, expect, it } from "vitest";
import { SAMPLE_VIDEO_BASE64, SAMPLE_VIDEO_SIZE } from "../../src/mock/sample-video.js";
import { looksLikeVideo } from "../../src/verify/lifecycle.js";

/** The MP4 boxes at the top level of `bytes`: [type, size]. */
function topLevelBoxes(bytes: Buffer): [string, number][] {
  const boxes: [string, number][] = [];
  for (let at = 0; at + 8 <= bytes.length; ) {
    const size = bytes.readUInt32BE(at);
    boxes.push([bytes.toString("latin1", at + 4, at + 8), size]);
    if (size < 8) break;
    at += size;
  }
  return boxes;
}

describe("the sample result video", () => {
  const bytes = Buffer.from(SAMPLE_VIDEO_BASE64, "base64");

  it("decodes to SAMPLE_VIDEO_SIZE bytes (the size the mock's Content-Length announces)", () => {
    expect(bytes.length).toBe(SAMPLE_VIDEO_SIZE);
  });

  it("is a whole MP4: ftyp first, moov before mdat (+faststart), boxes adding up to the file exactly", () => {
    const boxes = topLevelBoxes(bytes);
    const types = boxes.map(([type]) => type);
    expect(types[0]).toBe("ftyp");
    expect(types.indexOf("moov")).toBeGreaterThan(0);
    expect(types.indexOf("moov")).toBeLessThan(types.indexOf("mdat"));
    expect(boxes.reduce((sum, [, size]) => sum + size, 0)).toBe(SAMPLE_VIDEO_SIZE);
    expect(looksLikeVideo(bytes.subarray(0, 16))).toBe(true);
  });
});
