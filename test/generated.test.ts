import { execFile } from "node:child_process";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { runInNewContext } from "node:vm";
import { build } from "esbuild";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SPEC_SHA256 } from "../generated/spec-meta.js";
import { compareGenerated, listFiles, main } from "../scripts/check-generated.js";
import { generate } from "../scripts/generate.js";

const root = fileURLToPath(new URL("..", import.meta.url));
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
  // Generated once for the whole describe (each generation costs seconds of CPU): findDrift without the generation.
  let fresh: string;
  let expected: string[];
  const findDrift = (dir: string) => compareGenerated(fresh, expected, dir);
  /** The one child process of this file, started first so that it runs while the generation does. */
  let script: Promise<{ code?: number; stderr: string }>;
  beforeAll(async () => {
    script = run(process.execPath, ["--import", "tsx", "scripts/check-generated.ts", "--bogus"], { cwd: root }).catch(
      (e: { code: number; stderr: string }) => e,
    );
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

  it("exits 1 naming each drifted file, and 0 with an ok line on an untouched copy", async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io = { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t) };
    expect(await main(["--dir", dir], io, findDrift)).toBe(0);
    expect(out).toEqual([expect.stringMatching(/^ok: .* matches spec\/ \(regenerated and compared\)$/)]);
    expect(err).toEqual([]);
    await writeFile(join(dir, "spec-meta.ts"), "// edited\n");
    expect(await main(["--dir", dir], io, findDrift)).toBe(1);
    expect(err).toEqual([
      expect.stringMatching(/has drifted from spec\/ \(run `npm run generate` and commit the result\):$/),
      "  differs: spec-meta.ts (first difference at line 1)",
    ]);
  });

  it("runs as a script: `node --import tsx scripts/check-generated.ts` reaches main", async () => {
    // The only child process here (started in beforeAll), and a cheap one: a bad option fails before any generation.
    // It proves what the in-process cases cannot: the run-as-a-script guard calls main. npm test's check:generated
    // stage runs the real check, whose pass would look the same if the guard never called main.
    const failure = await script;
    expect(failure).toMatchObject({ code: 1, stderr: expect.stringContaining("Unknown option '--bogus'") });
  });
});

describe("the callback's delivery timing (codegen, from the callback's description)", () => {
  const stated = [
    "Sent to `callback_url` when the task is completed.",
    "",
    "- Timeout: `10` seconds",
    "- Maximum `3` retries after failure (at `1`/`2`/`4` seconds after failure)",
  ].join("\n");

  it("is in the generated callback fact, and the mock times deliveries by it", async () => {
    const { CREATE_VIDEO_GENERATION_TASK_FINISHED_CALLBACK: callback } = await import("../generated/spec-facts.js");
    expect(callback).toMatchObject({ timeoutMs: 10_000, retryDelaysMs: [1000, 2000, 4000] });
    const mock = await import("../src/mock/callbacks.js");
    expect(mock.CALLBACK_TIMEOUT_MS).toBe(callback.timeoutMs);
    expect(mock.CALLBACK_RETRY_DELAYS_MS).toBe(callback.retryDelaysMs);
  });

  it("reads the prose; none stated is null; half of it, or a count its delays contradict, stops the codegen", async () => {
    const { callbackTiming } = await import("../scripts/codegen/facts.js");
    expect(callbackTiming("cb", stated)).toEqual({ timeoutMs: 10_000, retryDelaysMs: [1000, 2000, 4000] });
    expect(callbackTiming("cb", stated.replace("`10`", "`30`").replaceAll("`4`", "`8`"))).toEqual({
      timeoutMs: 30_000,
      retryDelaysMs: [1000, 2000, 8000],
    });
    expect(callbackTiming("cb", "Sent when the task ends.")).toBeNull();
    expect(() => callbackTiming("cb", stated.replace("- Timeout: `10` seconds\n", ""))).toThrow(
      "cb: its description states retries but no timeout",
    );
    expect(() => callbackTiming("cb", stated.replace(/\n- Maximum.*/, ""))).toThrow(
      "cb: its description states a timeout but no retries",
    );
    expect(() => callbackTiming("cb", stated.replace("`3` retries", "`4` retries"))).toThrow(
      'cb: "Maximum 4 retries" lists 3 retry delays',
    );
  });
});
