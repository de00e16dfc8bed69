import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { PINNED_SPEC, pinnedSpecFile } from "../../src/drift/paths.js";

describe("pinnedSpecFile", () => {
  it("finds the repository's pinned spec by walking up from src/drift", () => {
    const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
    const file = pinnedSpecFile();
    expect(path.isAbsolute(file)).toBe(true);
    expect(file).toBe(path.join(root, PINNED_SPEC));
    expect(fs.readFileSync(file, "utf8")).toMatch(/^openapi: 3\.1/m);
  });
});
