/**
 * The package as `npm publish` would ship it (issue 15): its metadata, the tarball's files, publint --strict and
 * @arethetypeswrong/cli (ESM-only profile) on the packed tarball, the CLI from the tarball, and a client-only install
 * (no optional dependencies).
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { publint } from "publint";
import { formatMessage } from "publint/utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ROOT } from "../cli/helpers.js";
import { NAME, type Packed, packed } from "./packed.js";

const run = promisify(execFile);

interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  license?: string;
  repository?: { url?: string };
  homepage?: string;
  bugs?: { url?: string };
  keywords?: string[];
  engines?: { node?: string };
  exports: Record<string, string | Record<string, string>>;
  browser?: Record<string, string>;
  bin: Record<string, string>;
  scripts: Record<string, string>;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as Manifest;

describe("package.json: publishable", () => {
  it("is not private, and says what it is, where it lives and under which license (the LICENSE file)", () => {
    expect(manifest.private).toBeUndefined();
    expect(manifest.license).toBe("MIT");
    expect(fs.readFileSync(path.join(ROOT, "LICENSE"), "utf8")).toMatch(/^MIT License\n\nCopyright \(c\) \d{4} /);
    expect(manifest.repository?.url).toMatch(/^git\+https:\/\/.+\.git$/);
    expect(manifest.homepage).toMatch(/^https:\/\//);
    expect(manifest.bugs?.url).toMatch(/^https:\/\//);
    expect(manifest.keywords?.length).toBeGreaterThan(3);
  });

  it("CHANGELOG.md is kept (Keep a Changelog): an Unreleased section, or one for the version in package.json", () => {
    const changelog = fs.readFileSync(path.join(ROOT, "CHANGELOG.md"), "utf8");
    const sections = [...changelog.matchAll(/^## \[([^\]]+)\]/gm)].map((m) => m[1]);
    expect(sections.length).toBeGreaterThan(0);
    expect(["Unreleased", manifest.version]).toContain(sections[0]);
    // Every section heading has its link at the bottom.
    for (const section of sections) expect(changelog).toMatch(new RegExp(`^\\[${section}\\]: https://`, "m"));
  });

  it("runtime dependencies use ^ ranges (the lock file pins CI); every dev tool, codegen included, is exact", () => {
    const runtime = { ...manifest.dependencies, ...manifest.optionalDependencies };
    expect(Object.keys(runtime).length).toBeGreaterThan(0);
    for (const [name, range] of Object.entries(runtime)) expect(range, name).toMatch(/^\^\d+\.\d+\.\d+$/);
    for (const [name, version] of Object.entries(manifest.devDependencies ?? {})) {
      // An alias (`npm:typescript@7.0.2`: TypeScript 7 beside the 5 that openapi-typescript needs) is exact too.
      expect(version, name).toMatch(/^(npm:(@[\w.-]+\/)?[\w.-]+@)?\d+\.\d+\.\d+$/);
    }
    // What the lock file pins satisfies the ranges: npm ci would refuse otherwise, but say which one.
    const lock = JSON.parse(fs.readFileSync(path.join(ROOT, "package-lock.json"), "utf8")) as {
      packages: Record<
        string,
        { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> }
      >;
    };
    expect({ ...lock.packages[""]?.dependencies, ...lock.packages[""]?.optionalDependencies }).toEqual(runtime);
  });

  it("engines.node and the CI matrix agree: every supported major from the engines' minimum is tested", () => {
    const min = /^>=(\d+)\.\d+$/.exec(manifest.engines?.node ?? "")?.[1];
    expect(min, "engines.node is >=MAJOR.MINOR").toBeDefined();
    const ci = parse(fs.readFileSync(path.join(ROOT, ".github/workflows/ci.yml"), "utf8")) as {
      jobs: Record<string, { strategy?: { matrix?: { node?: (number | string)[] } } }>;
    };
    const matrix = Object.values(ci.jobs).flatMap((job) => job.strategy?.matrix?.node ?? []);
    expect(matrix.map(Number)).toEqual([Number(min), 22, 24]);
  });

  it("npm scripts run in Windows shells too: no rm, cp, mv, inline VAR=value or single quotes around arguments", () => {
    for (const [name, script] of Object.entries(manifest.scripts)) {
      for (const part of script.split(/&&|\|\|/).map((s) => s.trim())) {
        expect(part, `${name}: ${part}`).not.toMatch(/^(rm|cp|mv|mkdir|cat|export|test|\[)\s/);
        expect(part, `${name}: ${part}`).not.toMatch(/^[A-Z_]+=\S*\s/);
        // cmd.exe does not treat single quotes as quotes: an argument in them arrives with the quotes.
        expect(part.replace(/"[^"]*"/g, '""'), `${name}: ${part}`).not.toContain("'");
      }
    }
  });
});

describe("the packed tarball", () => {
  let pkg: Packed;
  beforeAll(async () => {
    pkg = await packed();
  });

  it("holds what the exports, bin and browser fields name, the license and changelog, and no tests or sources", () => {
    const targets = [
      ...Object.values(manifest.exports).flatMap((t) => (typeof t === "string" ? [t] : Object.values(t))),
      ...Object.values(manifest.bin),
      ...Object.keys(manifest.browser ?? {}),
      ...Object.values(manifest.browser ?? {}),
    ].map((t) => t.replace(/^\.\//, ""));
    expect(targets.filter((t) => !pkg.files.includes(t))).toEqual([]);
    expect(pkg.files).toEqual(expect.arrayContaining(["LICENSE", "README.md", "CHANGELOG.md", "package.json"]));
    expect(pkg.files.filter((f) => /(^|\/)test\/|\.test\.|(?<!\.d)\.ts$/.test(f))).toEqual([]);
    const bin = fs.readFileSync(path.join(pkg.packageDir, Object.values(manifest.bin)[0] ?? ""), "utf8");
    expect(bin.startsWith("#!/usr/bin/env node\n")).toBe(true);
  });

  it("ships no source map whose sources are missing from the tarball", () => {
    const missing: string[] = [];
    for (const file of pkg.files.filter((f) => f.endsWith(".map"))) {
      const map = JSON.parse(fs.readFileSync(path.join(pkg.packageDir, file), "utf8")) as { sources: string[] };
      for (const source of map.sources) {
        const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), source));
        if (!pkg.files.includes(target)) missing.push(`${file} -> ${source}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it("passes publint --strict", async () => {
    const data = fs.readFileSync(pkg.tarball);
    const { messages, pkg: json } = await publint({
      pack: { tarball: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer },
      strict: true,
    });
    // --strict fails on errors and warnings. One suggestion is expected: the `browser` field maps one file (the Node
    // download module) to its stub, which every bundler honours and Node, Bun and Deno ignore; the alternative, an
    // `imports` map, would send tsc, vitest and tsx running the sources to dist/ for that module.
    const failing = messages.filter((m) => m.type !== "suggestion");
    expect(failing.map((m) => `${m.type}: ${formatMessage(m, json)}`)).toEqual([]);
    expect(messages.map((m) => m.code)).toEqual(["USE_EXPORTS_OR_IMPORTS_BROWSER"]);
  });

  it("passes @arethetypeswrong/cli with the ESM-only profile (types resolve under node16 ESM and bundler)", async () => {
    const attw = path.join(ROOT, "node_modules/@arethetypeswrong/cli/dist/index.js");
    const { stdout } = await run(process.execPath, [attw, pkg.tarball, "--profile", "esm-only", "--format", "json"], {
      maxBuffer: 64 * 1024 * 1024,
    }).catch((error: { stdout?: string; message: string }) => {
      throw new Error(`attw failed: ${error.stdout ?? error.message}`);
    });
    const report = JSON.parse(stdout) as { analysis: { entrypoints: Record<string, unknown>; problems: unknown[] } };
    expect(Object.keys(report.analysis.entrypoints)).toEqual(Object.keys(manifest.exports));
    // The profile ignores node10 and require() from CommonJS; anything else it finds is a failure.
    const counted = (report.analysis.problems as { resolutionKind?: string }[]).filter(
      (p) => p.resolutionKind !== "node10" && p.resolutionKind !== "node16-cjs",
    );
    expect(counted).toEqual([]);
  });

  it("kling-edit runs from the tarball (the bin as npm links it)", async () => {
    const bin = path.join(pkg.packageDir, manifest.bin["kling-edit"] ?? "");
    const { stdout } = await run(process.execPath, [bin, "--version"]);
    expect(stdout.trim()).toBe(manifest.version);
  });
});

describe("a client-only install (npm install --omit=optional): the client's dependencies and nothing else", () => {
  let project: string;
  let pkg: Packed;
  beforeAll(async () => {
    pkg = await packed();
    // Outside the repository, so nothing resolves from its node_modules: only the package and what it requires.
    project = fs.mkdtempSync(path.join(os.tmpdir(), "kling-client-only-"));
    const modules = path.join(project, "node_modules");
    fs.mkdirSync(modules);
    fs.cpSync(pkg.packageDir, path.join(modules, NAME), { recursive: true });
    for (const dep of Object.keys(manifest.dependencies ?? {})) {
      const deps = [dep];
      for (let i = 0; i < deps.length; i++) {
        const name = deps[i] as string;
        fs.cpSync(path.join(ROOT, "node_modules", name), path.join(modules, name), { recursive: true });
        const json = JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules", name, "package.json"), "utf8"));
        deps.push(
          ...Object.keys((json as { dependencies?: object }).dependencies ?? {}).filter((d) => !deps.includes(d)),
        );
      }
    }
    fs.writeFileSync(path.join(project, "package.json"), '{"name":"client-only","private":true,"type":"module"}\n');
  });
  afterAll(() => fs.rmSync(project, { recursive: true, force: true }));

  it("imports the client and rejects bad input before any request", async () => {
    const script = `
      import { createKlingClient, RequestValidationError } from "${NAME}";
      const client = createKlingClient({ apiKey: "k", baseUrl: "http://127.0.0.1:9" });
      try { await client.edits.create({ prompt: "", video_urls: ["https://example.com/a.avi"] }); }
      catch (e) { console.log(e instanceof RequestValidationError, e.violations.map((v) => v.field).join()); }`;
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], { cwd: project });
    expect(stdout.trim()).toBe("true prompt,video_urls[0]");
  });

  it("kling-edit says which optional dependency is missing and how to install it (exit 1, no stack trace)", async () => {
    const bin = path.join(project, "node_modules", NAME, manifest.bin["kling-edit"] ?? "");
    const result = await run(process.execPath, [bin, "--help"], { cwd: project }).then(
      () => ({ code: 0, stderr: "" }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^kling-edit needs the package "(commander|cli-progress|hono|@hono\/node-server)"/);
    expect(result.stderr).toContain("npm install kling-o1-video-edit");
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
