/**
 * The package as a user gets it: `npm pack` of the built dist/, made once per build and shared by every test file
 * that needs it (test files run in parallel processes: a lock directory makes the first one pack while the others
 * wait). The tarball is unpacked into `.tmp/package/<key>/node_modules/kling-o1-video-edit`, so a program in
 * `.tmp/package/<key>/` imports it by its name; its dependencies resolve, as Node's walk up the directories finds
 * them, from the repository's node_modules (no registry, no network).
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { it } from "vitest";
import { ensureBuilt, ROOT } from "../cli/helpers.js";

/** The package's name, as users import it. */
export const NAME = "kling-o1-video-edit";

/** Where a packed build lives. */
export interface Packed {
  /** The `.tgz` that `npm pack` wrote. */
  tarball: string;
  /** The files in the tarball, relative to the package root (`dist/src/index.js`, ...). */
  files: string[];
  /** A project directory (with a package.json) whose node_modules holds the unpacked package. */
  project: string;
  /** The unpacked package: `<project>/node_modules/kling-o1-video-edit`. */
  packageDir: string;
}

/** Every file under dist/, with its size and time: a new build gets a new key. */
function buildKey(): string {
  const hash = createHash("sha256");
  hash.update(fs.readFileSync(path.join(ROOT, "package.json")));
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else {
        const stat = fs.statSync(full);
        hash.update(`${full}\0${stat.size}\0${stat.mtimeMs}\n`);
      }
    }
  };
  walk(path.join(ROOT, "dist"));
  for (const file of ["README.md", "LICENSE", "CHANGELOG.md"]) hash.update(fs.readFileSync(path.join(ROOT, file)));
  return hash.digest("hex").slice(0, 16);
}

function readPacked(dir: string): Packed {
  return JSON.parse(fs.readFileSync(path.join(dir, "packed.json"), "utf8")) as Packed;
}

function pack(dir: string): Packed {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  // --ignore-scripts: prepack would build again; ensureBuilt has just made dist/ current.
  const out = execFileSync("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", dir], {
    cwd: ROOT,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    shell: process.platform === "win32",
  });
  const [info] = JSON.parse(out) as { filename: string; files: { path: string }[] }[];
  if (!info) throw new Error(`npm pack printed no result: ${out}`);
  const tarball = path.join(dir, info.filename);
  const packageDir = path.join(dir, "node_modules", NAME);
  fs.mkdirSync(packageDir, { recursive: true });
  execFileSync("tar", ["-xzf", tarball, "-C", packageDir, "--strip-components=1"]);
  fs.writeFileSync(
    path.join(dir, "package.json"),
    `${JSON.stringify({ name: "kling-package-test", private: true, type: "module" }, null, 2)}\n`,
  );
  const packed: Packed = { tarball, files: info.files.map((f) => f.path).sort(), project: dir, packageDir };
  fs.writeFileSync(path.join(dir, "packed.json"), JSON.stringify(packed));
  return packed;
}

let mine: Promise<Packed> | undefined;

/** The packed package of the current build (building and packing first when needed). */
export function packed(): Promise<Packed> {
  mine ??= (async () => {
    await ensureBuilt();
    const base = path.join(ROOT, ".tmp", "package");
    const key = buildKey();
    const dir = path.join(base, key);
    if (fs.existsSync(path.join(dir, "packed.json"))) return readPacked(dir);
    const lock = `${dir}.lock`;
    fs.mkdirSync(base, { recursive: true });
    for (;;) {
      try {
        fs.mkdirSync(lock);
        break;
      } catch {
        if (fs.existsSync(path.join(dir, "packed.json"))) return readPacked(dir);
        // A lock left by a killed run (packing takes a few seconds) is taken over.
        const age = Date.now() - (fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
        if (age > 60_000) fs.rmSync(lock, { recursive: true, force: true });
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    try {
      if (fs.existsSync(path.join(dir, "packed.json"))) return readPacked(dir);
      const result = pack(dir);
      // Earlier builds' packs (older than ten minutes, so no concurrent run still reads them) are removed.
      for (const other of fs.readdirSync(base)) {
        const full = path.join(base, other);
        if (other !== key && Date.now() - fs.statSync(full).mtimeMs > 600_000) {
          fs.rmSync(full, { recursive: true, force: true });
        }
      }
      return result;
    } finally {
      fs.rmSync(lock, { recursive: true, force: true });
    }
  })();
  return mine;
}

/** Whether this is a CI run (`CI=true`, as GitHub Actions and `.ci/run` set it). */
export const IN_CI = process.env.CI !== undefined && !["", "0", "false"].includes(process.env.CI);

/**
 * Gates the tests that need `what` (a browser, a runtime). Present: they run. Missing locally: they skip, with the
 * reason in their title, so the report shows it. Missing in CI: a test that fails in its place, so a CI image that
 * lost a runtime cannot pass unnoticed. Returns whether to skip.
 */
export function requireRuntime(what: string, available: boolean): { skip: boolean; title: (name: string) => string } {
  if (available) return { skip: false, title: (name) => name };
  if (IN_CI) {
    it(`${what} is installed (CI=true requires it)`, () => {
      throw new Error(`${what} is missing: with CI=true every runtime must be tested (see .ci/run)`);
    });
  }
  return { skip: true, title: (name) => `${name} [SKIPPED: ${what} is missing; with CI=true this fails]` };
}
