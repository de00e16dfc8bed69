/**
 * The packed package in each server-side runtime it claims (issue 15): Node (the one running the tests; CI's matrix
 * covers 20, 22 and 24), Bun and Deno (npm dev dependencies; their binaries come from platform packages). The same
 * plain-JavaScript program (fixtures/smoke.mjs) imports the package by name from a project that has it in
 * node_modules, and runs create, wait with progress, download to a file and the typed errors against its own mock.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { type MockServer, startMockServer } from "../../src/mock/index.js";
import { ROOT } from "../cli/helpers.js";
import { type Packed, packed, requireRuntime } from "../package/packed.js";

const run = promisify(execFile);
const KEY = "runtime-key";

interface Runtime {
  name: string;
  /** The binary, or null when it is not installed. */
  bin: string | null;
  args: (script: string) => string[];
}

function binary(name: string): string | null {
  const file = path.join(ROOT, "node_modules/.bin", process.platform === "win32" ? `${name}.cmd` : name);
  if (!fs.existsSync(file)) return null;
  // The npm package installs a launcher; its platform package holds the binary. Ask it to run.
  try {
    return fs.realpathSync(file);
  } catch {
    return null;
  }
}

async function works(bin: string | null): Promise<boolean> {
  if (!bin) return false;
  return run(bin, ["--version"]).then(
    () => true,
    () => false,
  );
}

const RUNTIMES: Runtime[] = [
  { name: `Node ${process.versions.node}`, bin: process.execPath, args: (script) => [script] },
  { name: "Bun", bin: binary("bun"), args: (script) => ["run", script] },
  {
    name: "Deno",
    bin: binary("deno"),
    // Deno resolves `kling-o1-video-edit` from the project's package.json and node_modules; the permissions are
    // what the program needs: the mock on loopback, its environment variables, and the result file.
    args: (script) => [
      "run",
      "--quiet",
      "--no-lock",
      "--allow-net=127.0.0.1",
      "--allow-env",
      "--allow-read",
      "--allow-write",
      script,
    ],
  },
];

const available = new Map(await Promise.all(RUNTIMES.map(async (r) => [r.name, await works(r.bin)] as const)));

let pkg: Packed;
let script: string;
beforeAll(async () => {
  pkg = await packed();
  script = path.join(pkg.project, "runtime-smoke.mjs");
  fs.copyFileSync(path.join(ROOT, "test/runtime/fixtures/smoke.mjs"), script);
});

describe.concurrent("the packed package in each runtime, against its own mock", () => {
  for (const runtime of RUNTIMES) {
    const gate = requireRuntime(runtime.name, available.get(runtime.name) === true);
    it.skipIf(gate.skip)(
      gate.title(`${runtime.name}: create, wait with progress, download to a file, and the typed errors`),
      async () => {
        const mock = await startMockServer({ port: 0, host: "127.0.0.1", speed: 2000, seed: 15, apiKey: KEY });
        try {
          await check(runtime, mock);
        } finally {
          await mock.close();
        }
      },
    );
  }
});

async function check(runtime: Runtime, mock: MockServer): Promise<void> {
  // Each runtime its own folder: they run at once, and each checks that no temporary file is left in its own.
  const folder = path.join(pkg.project, `runtime-${runtime.name.split(" ")[0]?.toLowerCase()}`);
  fs.rmSync(folder, { recursive: true, force: true });
  fs.mkdirSync(folder);
  const out = path.join(folder, "result.mp4");
  const { stdout } = await run(runtime.bin as string, runtime.args(script), {
    cwd: pkg.project,
    env: { ...process.env, MOCK_URL: mock.url, MOCK_KEY: KEY, OUT_FILE: out, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
    timeout: 30_000,
  });
  const report = JSON.parse(stdout.trim().split("\n").at(-1) as string);
  // The invalid edit was refused before any request: the mock saw exactly one create, the valid one.
  expect(report.invalid).toMatchObject({
    name: "RequestValidationError",
    isKlingError: true,
    isRequestValidationError: true,
    fields: ["prompt", "video_urls[0]"],
  });
  const admin = (await (await fetch(`${mock.url}/__mock/tasks`)).json()) as { createRequests: number };
  expect(admin.createRequests).toBe(1);

  expect(report.created).toMatchObject({ id: expect.stringMatching(/^task-unified-/), status: "pending" });
  expect(report.final).toBe("completed");
  expect(report.statuses.at(-1)).toBe("completed");
  expect(report.saved).toMatchObject({ path: out, contentType: "video/mp4" });
  expect(report.saved.bytes).toBeGreaterThan(1000);
  expect(report.file).toEqual({ bytes: report.saved.bytes, brand: "ftyp" });
  expect(fs.readFileSync(out).length).toBe(report.saved.bytes);
  // No temporary file is left next to the result.
  expect(fs.readdirSync(folder)).toEqual(["result.mp4"]);

  expect(report.notFound).toMatchObject({ name: "NotFoundError", isNotFoundError: true, status: 404 });
  expect(report.wrongKey).toMatchObject({
    name: "AuthenticationError",
    isAuthenticationError: true,
    isKlingError: true,
    status: 401,
  });
  // The jobs' code, loaded by import() at the first action, ran: an empty store resumed, a bad callback refused.
  expect(report.jobs).toEqual({ resumed: 0, callback: 400, said: "Callback body is not JSON" });
  // The Node entry (the code browsers load on first use imported at start): Bun and Deno resolve it too.
  expect(report.entry).toBe("index.node.js");
}
