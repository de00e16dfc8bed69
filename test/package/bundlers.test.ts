/**
 * A user's default browser build of the main entry, from the packed tarball, with each common bundler: esbuild
 * (`--bundle --platform=browser`), Vite (`vite build`, no config) and webpack (production mode, no other setting).
 * Each must succeed with no error and no warning: the package's `browser` field swaps the Node download module (the
 * only one with `node:` imports, reached through a lazy import) for a stub that says to use downloadBlob.
 */
import fs from "node:fs";
import path from "node:path";
import { build as esbuild } from "esbuild";
import { type Logger, build as viteBuild } from "vite";
import { beforeAll, describe, expect, it } from "vitest";
import webpack from "webpack";
import { NAME, type Packed, packed } from "./packed.js";

/** What a user's app does with the client: create, wait, download in the browser, and the typed errors. */
const APP = `import { createKlingClient, KlingError, RequestValidationError } from "${NAME}";

const client = createKlingClient({ apiKey: "dev", baseUrl: "http://127.0.0.1:4010" });
export async function edit(video) {
  try {
    const task = await client.edits.createAndWait({ prompt: "Make it cinematic", video_urls: [video] });
    return (await client.downloadBlob(task)).blob;
  } catch (error) {
    if (error instanceof RequestValidationError) return error.violations;
    if (error instanceof KlingError) return error.message;
    throw error;
  }
}
export const save = (task) => client.download(task, "result.mp4");
`;

/** A `node:` module reached by an import or a require in bundled code. */
const NODE_IMPORT = /(?:from|import|require)\s*\(?\s*["']node:/;
/** The stub's message: the proof the browser build took it instead of the Node module. */
const STUB_TEXT = "use client.downloadBlob() or client.downloadStream() instead";

let pkg: Packed;
let work: string;

function app(name: string, file: string): string {
  const dir = path.join(work, name);
  fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
  fs.writeFileSync(path.join(dir, file), APP);
  return dir;
}

function readAll(dir: string, ext: string): string {
  return fs
    .readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(ext))
    .map((f) => fs.readFileSync(path.join(dir, f), "utf8"))
    .join("\n");
}

/** `esbuild app.js --bundle --platform=browser`, in memory. */
const esbuildDefault = (dir: string) =>
  esbuild({
    entryPoints: [path.join(dir, "app.js")],
    bundle: true,
    platform: "browser",
    write: false,
    logLevel: "silent",
  });

beforeAll(async () => {
  pkg = await packed();
  work = path.join(pkg.project, "bundlers");
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work, { recursive: true });
});

describe.concurrent("a default browser build of the main entry, from the packed tarball", () => {
  it("esbuild --bundle --platform=browser: no error, no warning, no node: import, the stub included", async () => {
    const dir = app("esbuild", "app.js");
    const result = await esbuildDefault(dir);
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
    const code = result.outputFiles[0]?.text ?? "";
    expect(code).not.toMatch(NODE_IMPORT);
    expect(code).toContain(STUB_TEXT);
  });

  it("the check can fail: without the browser field, the same esbuild run stops on the node: imports", async () => {
    const dir = app("esbuild-control", "app.js");
    const copy = path.join(dir, "node_modules", NAME);
    fs.cpSync(pkg.packageDir, copy, { recursive: true });
    const manifest = JSON.parse(fs.readFileSync(path.join(copy, "package.json"), "utf8"));
    delete manifest.browser;
    fs.writeFileSync(path.join(copy, "package.json"), JSON.stringify(manifest));
    const failed = await esbuildDefault(dir).then(
      () => null,
      (error: { errors: { text: string }[] }) => error.errors.map((e) => e.text),
    );
    expect(failed).toEqual(expect.arrayContaining([expect.stringMatching(/Could not resolve "node:fs"/)]));
  });

  it("vite build (no config): no warning, no node: import, the stub included", async () => {
    const dir = app("vite", "main.js");
    fs.writeFileSync(path.join(dir, "index.html"), '<!doctype html><script type="module" src="./main.js"></script>\n');
    const logged: string[] = [];
    const logger: Logger = {
      hasWarned: false,
      info: () => {},
      warn: (msg) => logged.push(`warn: ${msg}`),
      warnOnce: (msg) => logged.push(`warn: ${msg}`),
      error: (msg) => logged.push(`error: ${msg}`),
      clearScreen: () => {},
      hasErrorLogged: () => false,
    };
    await viteBuild({ root: dir, configFile: false, logLevel: "warn", customLogger: logger });
    expect(logged).toEqual([]);
    const code = readAll(path.join(dir, "dist"), ".js");
    expect(code).not.toMatch(NODE_IMPORT);
    expect(code).toContain(STUB_TEXT);
  });

  it("webpack (production mode, no other setting): no error, no warning, no node: import, the stub included", async () => {
    const dir = app("webpack", "src/index.js");
    fs.writeFileSync(path.join(dir, "package.json"), '{"name":"app","private":true}\n');
    // webpack's defaults: entry ./src/index.js, output ./dist, target web. Only the mode is given, since webpack
    // itself warns when it is not (and the output folder, which the CLI takes from the working directory).
    const stats = await new Promise<webpack.Stats>((resolve, reject) => {
      webpack({ mode: "production", context: dir, output: { path: path.join(dir, "dist") } }, (error, result) =>
        error || !result ? reject(error ?? new Error("no stats")) : resolve(result),
      );
    });
    const info = stats.toJson({ all: false, errors: true, warnings: true });
    expect(info.errors?.map((e) => e.message)).toEqual([]);
    expect(info.warnings?.map((w) => w.message)).toEqual([]);
    const code = readAll(path.join(dir, "dist"), ".js");
    expect(code).not.toMatch(NODE_IMPORT);
    expect(code).toContain(STUB_TEXT);
  });
});
