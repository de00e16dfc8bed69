/**
 * The installed package, not the clone: the `npm pack` tarball of this build (made once and shared with the package
 * and runtime tests, test/package/packed.ts), installed with `npm install` into a fresh project (from npm's cache
 * when it can), and its `kling-edit verify --base-url <mock>` and `kling-edit drift spec` run there, as a team that
 * installed the package would in CI. Needs the build (`npm test` builds first; a missing build is built).
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MockServer, startMockServer } from "../src/mock/index.js";
import { packed } from "../test/package/packed.js";
import { ROOT } from "./lib/paths.js";

const run = promisify(execFile);
const KEY = "packed-test-key";
let dir: string;
let project: string;
let mock: MockServer;

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(join(project, "node_modules/.bin/kling-edit"), args, {
      cwd: project,
      env: { ...process.env, KLING_API_KEY: KEY, KLING_BASE_URL: "" },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "kling-verify-packed-"));
  const { tarball } = await packed();
  project = join(dir, "consumer");
  await mkdir(project);
  await writeFile(join(project, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
  await run("npm", ["install", tarball, "--no-audit", "--no-fund", "--prefer-offline", "--ignore-scripts"], {
    cwd: project,
  });
  mock = await startMockServer({ port: 0, seed: 9, speed: 1000, apiKey: KEY });
}, 240_000);

afterAll(async () => {
  await mock?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("the packed package, installed in a fresh project", () => {
  it("kling-edit verify --base-url <mock> passes, free and with --spend", async () => {
    const free = await cli(["verify", "--base-url", mock.url]);
    expect(free.stderr).toMatch(/free mode/);
    expect(free.code, free.stdout + free.stderr).toBe(0);
    expect(free.stdout).toMatch(/^# kling-edit verify: PASS/);
    const paid = await cli([
      "verify",
      "--base-url",
      mock.url,
      "--spend",
      "--poll-interval",
      "0.05",
      "--report",
      "json",
    ]);
    expect(paid.code, paid.stdout + paid.stderr).toBe(0);
    const report = JSON.parse(paid.stdout) as { tasksCreated: number; checks: { name: string; outcome: string }[] };
    expect(report.tasksCreated).toBe(2);
    expect(report.checks.find((c) => c.name === "status-order")?.outcome).toBe("passed");
    expect(paid.stdout).not.toContain(KEY);
  }, 120_000);

  it("kling-edit verify --list, and exit 2 on bad usage", async () => {
    const list = await cli(["verify", "--list"]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^callback-retries\s+after a non-2xx/m);
    const bad = await cli(["verify", "--base-url", mock.url, "--check", "no-such-check"]);
    expect(bad.code).toBe(2);
  });

  it("kling-edit drift spec compares against the spec inside the package", async () => {
    const pinned = join(project, "node_modules/kling-o1-video-edit/spec/kling-o1-video-edit.yaml");
    const same = await cli(["drift", "spec", pinned]);
    expect(same.code, same.stderr).toBe(0);
    expect(same.stdout).toMatch(/No differences in the compared operations/);
    const page = join(ROOT, "test/drift/fixtures/provider/create-page.yaml");
    const differs = await cli(["drift", "spec", page, "--format", "json"]);
    expect(differs.code).toBe(1);
    expect(JSON.parse(differs.stdout).summary.breaking).toBeGreaterThan(0);
  });

  it("the ./verify and ./drift entries import in the consumer", async () => {
    const { stdout } = await run(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        "const v = await import('kling-o1-video-edit/verify'); const d = await import('kling-o1-video-edit/drift'); console.log(typeof v.runVerify, typeof d.runSpecDrift, v.CHECK_NAMES.length)",
      ],
      { cwd: project },
    );
    expect(stdout.trim()).toBe("function function 22");
  });
});
