/**
 * Helpers of the CLI's end-to-end tests: run the CLI in this process through main() (most tests), or build it once
 * (if dist/ is older than the sources) and run it as a subprocess (tests about the process itself: signals, a
 * killed run, standard input, the bin shim); read its NDJSON output; talk to a mock server started in the test.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { main as Main } from "../../src/cli/run.js";
import { type MockServer, type MockServerOptions, startMockServer } from "../../src/mock/index.js";

/** The repository's root. */
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
/** The built CLI, as package.json's `bin` names it (it loads main.js, saying so when an optional dependency is missing). */
export const CLI = path.join(ROOT, "dist/src/cli/bin.js");

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(full));
    else if (entry.name.endsWith(".ts")) newest = Math.max(newest, fs.statSync(full).mtimeMs);
  }
  return newest;
}

function isFresh(): boolean {
  if (!fs.existsSync(CLI)) return false;
  const built = fs.statSync(CLI).mtimeMs;
  return built >= Math.max(newestSource(path.join(ROOT, "src")), newestSource(path.join(ROOT, "generated")));
}

/**
 * Makes sure dist/ holds a CLI built from the current sources: `npm test` builds before vitest, so this is
 * usually a no-op; a lone `npx vitest run test/cli` builds here. Test files run in parallel, so a lock directory
 * makes the first one build while the others wait.
 */
export async function ensureBuilt(): Promise<void> {
  if (isFresh()) return;
  const lock = path.join(ROOT, ".tmp", "cli-test-build.lock");
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch {
      // Another test file is building (or a stale lock from a killed run, older than two minutes).
      const age = Date.now() - (fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 120_000) fs.rmSync(lock, { force: true, recursive: true });
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    if (!isFresh()) {
      try {
        execFileSync(
          process.execPath,
          [path.join(ROOT, "node_modules/typescript-native/bin/tsc"), "-p", "tsconfig.build.json"],
          {
            cwd: ROOT,
            stdio: "pipe",
          },
        );
      } catch (error) {
        // tsc still emits on type errors (in files still being written by others): judge by the output file.
        if (!fs.existsSync(CLI)) throw error;
      }
    }
  } finally {
    fs.rmSync(lock, { force: true, recursive: true });
  }
}

/** An environment without the developer's KLING_* settings, plus `extra`. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith("KLING_")) env[key] = value;
  return { ...env, NO_COLOR: "1", ...extra };
}

/** A finished CLI run. */
export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A running CLI. */
export interface Running {
  child: ChildProcess;
  /** Everything printed so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the first stdout JSON line that `match` accepts (rejects if the process ends first). */
  waitForEvent(match: (event: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  /** Resolves when the process has ended. */
  done: Promise<RunResult>;
}

/** Starts the built CLI with `args`. */
export function startCli(args: string[], options: { env?: Record<string, string>; cwd?: string } = {}): Running {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: options.cwd ?? ROOT,
    env: cleanEnv(options.env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  const listeners = new Set<() => void>();
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    for (const l of listeners) l();
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const done = new Promise<RunResult>((resolve) => {
    child.on("close", (code, signal) => {
      for (const l of listeners) l();
      resolve({ code, signal, stdout, stderr });
    });
  });
  let ended = false;
  void done.then(() => {
    ended = true;
  });
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    done,
    waitForEvent(match) {
      return new Promise((resolve, reject) => {
        const check = () => {
          for (const line of stdout.split("\n")) {
            if (!line.trim()) continue;
            let event: Record<string, unknown>;
            try {
              event = JSON.parse(line) as Record<string, unknown>;
            } catch {
              continue; // a line still being written
            }
            if (match(event)) {
              listeners.delete(check);
              resolve(event);
              return;
            }
          }
          if (ended || child.exitCode !== null) {
            listeners.delete(check);
            reject(new Error(`the CLI ended without the event; stdout:\n${stdout}\nstderr:\n${stderr}`));
          }
        };
        listeners.add(check);
        check();
      });
    },
  };
}

let loaded: Promise<typeof Main> | undefined;

/**
 * src/cli/run.ts's `main`, loaded once per test file. The developer's KLING_* variables are removed from this test
 * file's process first, as cleanEnv keeps them from a child.
 */
function loadMain(): Promise<typeof Main> {
  loaded ??= (async () => {
    for (const key of Object.keys(process.env)) if (key.startsWith("KLING_")) delete process.env[key];
    // Each run adds its Ctrl-C handlers (SIGINT, SIGTERM) to this process while it lasts, and a file runs up to 32
    // at once: more than Node's warning threshold of 10 listeners, without any leak.
    process.setMaxListeners(64);
    return (await import("../../src/cli/run.js")).main;
  })();
  return loaded;
}

let inFlight = 0;
let envRun = false;

/**
 * Runs the CLI in this process, through main() as the executable does, with stdout and stderr captured (neither is
 * a terminal, like a pipe). Runs may overlap, each with its own streams, except one given `env`: it sets those
 * variables in this process for its duration, so it must run alone (in a describe that is not concurrent), and
 * an overlap fails the test instead of leaking the variables into another run.
 */
export async function runMain(args: string[], options: { env?: Record<string, string> } = {}): Promise<RunResult> {
  const main = await loadMain();
  const env = Object.entries(options.env ?? {});
  if (envRun || (env.length > 0 && inFlight > 0)) throw new Error("runMain with env overlapped another run");
  const saved = env.map(([key]) => [key, process.env[key]] as const);
  for (const [key, value] of env) process.env[key] = value;
  envRun = env.length > 0;
  inFlight++;
  let stdout = "";
  let stderr = "";
  try {
    const code = await main([process.execPath, "kling-edit", ...args], {
      stdout: {
        write: (chunk) => {
          stdout += chunk;
          return true;
        },
      },
      stderr: {
        write: (chunk) => {
          stderr += chunk;
          return true;
        },
      },
    });
    return { code, signal: null, stdout, stderr };
  } finally {
    inFlight--;
    envRun = false;
    for (const [key, value] of saved) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}

/** Runs the built CLI to the end. */
export function runCli(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): Promise<RunResult> {
  return startCli(args, options).done;
}

/** Parses NDJSON output, failing the test on any line that is not a JSON object. */
export function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => {
      const value = JSON.parse(line) as unknown;
      if (typeof value !== "object" || value === null || Array.isArray(value))
        throw new Error(`not an object: ${line}`);
      return value as Record<string, unknown>;
    });
}

/** A fresh temporary directory. */
export function tempDir(prefix = "kling-cli-"): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Starts a mock server on a free loopback port; fast by default. */
export function mockServer(options: MockServerOptions = {}): Promise<MockServer> {
  return startMockServer({ port: 0, host: "127.0.0.1", speed: 1000, seed: 7, ...options });
}

/** Runs `use` against a mock of its own (a scenario that holds for every request), closed afterwards. */
export async function withMockServer<T>(options: MockServerOptions, use: (mock: MockServer) => Promise<T>): Promise<T> {
  const mock = await mockServer(options);
  try {
    return await use(mock);
  } finally {
    await mock.close();
  }
}

/** The mock's admin snapshot. */
export async function snapshot(mock: MockServer): Promise<{
  createRequests: number;
  tasks: { id: string; status: string }[];
}> {
  const res = await fetch(`${mock.url}/__mock/tasks`);
  return (await res.json()) as { createRequests: number; tasks: { id: string; status: string }[] };
}

/**
 * Resolves once the mock says task `id` has completed (its admin snapshot, every 20 ms): quicker than a client's
 * wait, whose polls are at least a second apart, where a test only needs a finished task to start from.
 */
export async function completed(mock: MockServer, id: string): Promise<void> {
  for (;;) {
    const status = (await snapshot(mock)).tasks.find((t) => t.id === id)?.status;
    if (status === "completed") return;
    if (status === "failed") throw new Error(`task ${id} failed`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The global options that point the CLI at a mock started by the test. */
export function apiArgs(server: { url: string }, key = "test-key"): string[] {
  return ["--base-url", server.url, "--api-key", key];
}

/** A valid edit's flags. */
export const EDIT_FLAGS = [
  "--prompt",
  "Make the video more cinematic",
  "--video",
  "https://example.com/original-video.mp4",
];

/** A proxy's switches, changeable while it runs. */
export interface ProxyOptions {
  /** Send a result's headers and half its bytes, then stall forever: a download reliably in progress. */
  stallResults?: boolean;
  /** Leave task queries unanswered: nothing can finish, so a test can act between two known steps. */
  holdPolls?: boolean;
}

/**
 * A proxy in front of the mock: forwards the API (rewriting the mock's result links to point at itself), and can
 * stall result downloads or hold task queries. Used where a test must act while the CLI is in a given state.
 */
export async function proxy(
  mock: { url: string },
  options: ProxyOptions = {},
): Promise<{ url: string; options: ProxyOptions; close(): Promise<void> }> {
  let url = "";
  const server = http.createServer(async (req, res) => {
    const target = `${mock.url}${req.url ?? "/"}`;
    if (req.url?.startsWith("/__mock/results/") && options.stallResults) {
      const upstream = await fetch(target);
      const bytes = Buffer.from(await upstream.arrayBuffer());
      res.writeHead(upstream.status, { "content-type": "video/mp4", "content-length": String(bytes.length) });
      res.write(bytes.subarray(0, Math.floor(bytes.length / 2)));
      return; // never ends
    }
    if (req.url?.startsWith("/v1/tasks/") && options.holdPolls) return; // never answered
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers: Record<string, string> = {};
    for (const name of ["authorization", "content-type", "prefer", "range"]) {
      const value = req.headers[name];
      if (typeof value === "string") headers[name] = value;
    }
    const upstream = await fetch(target, {
      method: req.method ?? "GET",
      headers,
      ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
    });
    const body = Buffer.from(await upstream.arrayBuffer());
    const type = upstream.headers.get("content-type") ?? "application/octet-stream";
    const out = type.includes("json") ? Buffer.from(body.toString("utf8").replaceAll(mock.url, url)) : body;
    const pass: Record<string, string> = { "content-type": type, "content-length": String(out.length) };
    for (const name of ["x-request-id", "retry-after"]) {
      const value = upstream.headers.get(name);
      if (value) pass[name] = value;
    }
    res.writeHead(upstream.status, pass);
    res.end(out);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    options,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
