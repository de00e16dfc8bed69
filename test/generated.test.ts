import { execFile } from "node:child_process";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { runInNewContext } from "node:vm";
import { build } from "esbuild";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SPEC_SHA256 } from "../generated/spec-meta.js";
import { compareGenerated, listFiles } from "../scripts/check-generated.js";
import { generate } from "../scripts/generate.js";

const root = new URL("..", import.meta.url).pathname;
const run = promisify(execFile);

describe("generated/", () => {
  it("starts every file with the do-not-edit line", async () => {
    const files = await listFiles(join(root, "generated"));
    expect(files).toContain("validators/runtime.ts");
    for (const file of files) {
      const first = (await readFile(join(root, "generated", file), "utf8")).split("\n")[0];
      expect(first, file).toBe("// generated from spec/kling-o1-video-edit.yaml by scripts/generate.ts - do not edit");
    }
  });

  it("records the hash of the spec it came from", async () => {
    const { createHash } = await import("node:crypto");
    const spec = await readFile(join(root, "spec/kling-o1-video-edit.yaml"));
    expect(SPEC_SHA256).toBe(createHash("sha256").update(spec).digest("hex"));
  });

  it("validators are plain ESM that runs where code generation from strings is forbidden (CSP)", async () => {
    const source = await readFile(join(root, "generated/validators.ts"), "utf8");
    expect(source).not.toMatch(/(?<!['"\w.])require\(|new Function|(?<![\w.])eval\(/);
    const bundle = await build({
      entryPoints: [join(root, "generated/validators.ts")],
      bundle: true,
      format: "iife",
      globalName: "v",
      platform: "browser",
      write: false,
      logLevel: "silent",
    });
    const context = { result: undefined as unknown };
    runInNewContext(
      `${bundle.outputFiles[0]?.text}; result = [v.validateVideoGenerationRequest({model:"m",prompt:"p",video_urls:["https://a.com/v.mp4"]}), v.validateVideoGenerationRequest({})]`,
      context,
      { contextCodeGeneration: { strings: false, wasm: false } },
    );
    expect(context.result).toEqual([true, false]);
  });
});

describe("check:generated", () => {
  // Generated once for the whole describe (each generation costs seconds of CPU); the command-line test below runs
  // findDrift whole, generation included, in its own process.
  let fresh: string;
  let expected: string[];
  const findDrift = (dir: string) => compareGenerated(fresh, expected, dir);
  beforeAll(async () => {
    fresh = await mkdtemp(join(tmpdir(), "kling-fresh-"));
    expected = await generate(fresh);
  });
  afterAll(() => rm(fresh, { recursive: true, force: true }));
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "kling-check-"));
    await cp(join(root, "generated"), dir, { recursive: true });
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("passes on an untouched copy", async () => {
    expect(await findDrift(dir)).toEqual([]);
  });

  it("fails on a hand edit, naming the file", async () => {
    const file = join(dir, "schema.ts");
    await writeFile(file, (await readFile(file, "utf8")).replace("progress?: number", "progress?: string"));
    expect(await findDrift(dir)).toEqual([
      expect.stringMatching(/^differs: schema\.ts \(first difference at line \d+\)$/),
    ]);
  });

  it("fails on a hand edit, a missing or an extra file inside a folder of generated/", async () => {
    const file = join(dir, "validators/TaskDetail.ts");
    await writeFile(file, (await readFile(file, "utf8")).replace('"completed" !== data.status', "false"));
    await rm(join(dir, "validators/runtime.ts"));
    await writeFile(join(dir, "validators/stray.ts"), "export {};\n");
    expect(await findDrift(dir)).toEqual([
      "missing: validators/runtime.ts",
      expect.stringMatching(/^differs: validators\/TaskDetail\.ts \(first difference at line \d+\)$/),
      "unexpected: validators/stray.ts",
    ]);
  });

  it("fails on a missing or an extra file", async () => {
    await rm(join(dir, "validators.ts"));
    await writeFile(join(dir, "stray.ts"), "export {};\n");
    expect(await findDrift(dir)).toEqual(["missing: validators.ts", "unexpected: stray.ts"]);
  });

  it("exits non-zero from the command line", async () => {
    await writeFile(join(dir, "spec-meta.ts"), "// edited\n");
    const failure = await run(process.execPath, ["--import", "tsx", "scripts/check-generated.ts", "--dir", dir], {
      cwd: root,
    }).catch((e) => e);
    expect(failure.code).toBe(1);
    expect(failure.stderr).toContain("differs: spec-meta.ts");
  });
});
