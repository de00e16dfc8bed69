import { describe, expect, it } from "vitest";
import { downloadToFile, fileNameFromUrl } from "../src/download-node.browser.js";
import { KlingError } from "../src/errors.js";

describe("download-node.browser (what a browser build gets instead of download-node.ts)", () => {
  it("downloadToFile rejects with a KlingError naming what to use instead", async () => {
    const attempt = downloadToFile("https://example.com/a.mp4", "/tmp/a.mp4");
    await expect(attempt).rejects.toBeInstanceOf(KlingError);
    await expect(attempt).rejects.toThrow(/downloadBlob\(\).*downloadStream\(\)/);
  });

  it("fileNameFromUrl throws the same error", () => {
    expect(() => fileNameFromUrl("https://example.com/a.mp4")).toThrow(KlingError);
  });
});
