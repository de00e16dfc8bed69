/**
 * Child processes for the benchmarks: servers and measured clients run in their own processes, so each side's CPU
 * and memory are its own. Every child is tracked and stopped by its pid when the benchmark ends, and on exit.
 */
import { type ChildProcess, type SpawnOptions, spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { nowMs } from "./stats.js";

/** The repository root. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/** Where benchmark build outputs go (gitignored `.tmp/`, inside the repo so node_modules resolves). */
export const BUILD_DIR = path.join(ROOT, ".tmp", "bench");

const running = new Set<ChildProcess>();
/** Children started as their own process group (`npm test`: npm, sh and vitest's workers stop together). */
const groups = new WeakSet<ChildProcess>();

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(groups.has(child) ? -child.pid : child.pid, signal);
  } catch {
    // Already gone.
  }
}

/** Kills every child still running (SIGKILL: used when the bench itself is being stopped). */
export function killAll(): void {
  for (const child of running) killGroup(child, "SIGKILL");
}

process.once("exit", killAll);

/** Starts a child that is stopped by {@link stop} (or at exit at the latest). `group`: run it as its own group. */
export function start(command: string, args: readonly string[], options: SpawnOptions & { group?: boolean } = {}) {
  const { group = false, ...spawnOptions } = options;
  const child = spawn(command, args, {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    detached: group,
    ...spawnOptions,
  });
  if (group) groups.add(child);
  running.add(child);
  child.once("exit", () => running.delete(child));
  return child;
}

/** Stops a child: SIGTERM, then SIGKILL after `graceMs`. Resolves when it has exited. */
export async function stop(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  killGroup(child, "SIGTERM");
  const timer = setTimeout(() => killGroup(child, "SIGKILL"), graceMs);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}

/** `node --import tsx FILE ARGS`: runs a TypeScript fixture in a child Node process. */
export function tsxNode(file: string, args: readonly string[] = []): [string, string[]] {
  return [process.execPath, ["--import", "tsx", path.join(ROOT, file), ...args]];
}

/**
 * Each fixture's bundle, built once per process: the sources do not change during a run, and a benchmark that starts
 * a fixture per round (scaling's resume-jobs) would otherwise rebuild it every time.
 */
const bundles = new Map<string, Promise<string>>();

/**
 * `node BUNDLE ARGS`: the TypeScript fixture bundled by esbuild into one plain ESM file under BUILD_DIR first, so the
 * child starts as fast as plain Node (no tsx loader: a server that starts per run costs milliseconds, not a second).
 */
export async function bundledNode(file: string, args: readonly string[] = []): Promise<[string, string[]]> {
  let out = bundles.get(file);
  if (!out) {
    out = bundleOnce(file);
    bundles.set(file, out);
    // A failed build is not kept: the next call tries again.
    out.catch(() => bundles.delete(file));
  }
  return [process.execPath, [await out, ...args]];
}

async function bundleOnce(file: string): Promise<string> {
  const out = path.join(BUILD_DIR, "fixtures", `${path.basename(file, ".ts")}.mjs`);
  await build({
    entryPoints: [path.join(ROOT, file)],
    outfile: out,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    logLevel: "silent",
  });
  return out;
}

/** Collects a child's output; rejects if it exits non-zero. */
export async function finish(child: ChildProcess): Promise<{ stdout: string; stderr: string; code: number }> {
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const [code, signal] = (await once(child, "close")) as [number | null, NodeJS.Signals | null];
  return { stdout, stderr, code: code ?? (signal ? 128 : 1) };
}

/** Runs a command to completion and returns its output; throws with its stderr if it fails. */
export async function run(command: string, args: readonly string[], options: SpawnOptions = {}): Promise<string> {
  const result = await finish(start(command, args, options));
  if (result.code !== 0) {
    throw new Error(`${command} ${args.join(" ")} exited ${result.code}: ${result.stderr.trim().slice(-2000)}`);
  }
  return result.stdout;
}

/** The first JSON line a fixture prints on stdout (fixtures announce `{"port": N}` once they listen). */
export async function firstJsonLine<T>(child: ChildProcess, timeoutMs = 20_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let buffer = "";
    let stderr = "";
    const timer = setTimeout(
      () => done(new Error(`no output within ${timeoutMs} ms: ${stderr.slice(-500)}`)),
      timeoutMs,
    );
    const onData = (chunk: string) => {
      buffer += chunk;
      const nl = buffer.indexOf("\n");
      if (nl >= 0) {
        try {
          done(undefined, JSON.parse(buffer.slice(0, nl)) as T);
        } catch (err) {
          done(err as Error);
        }
      }
    };
    const onErr = (chunk: string) => {
      stderr += chunk;
    };
    const onExit = (code: number | null) => done(new Error(`exited ${code} before announcing: ${stderr.slice(-1000)}`));
    function done(err: Error | undefined, value?: T) {
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      child.stderr?.off("data", onErr);
      child.off("exit", onExit);
      if (err) reject(err);
      else resolve(value as T);
    }
    child.stdout?.setEncoding("utf8").on("data", onData);
    child.stderr?.setEncoding("utf8").on("data", onErr);
    child.once("exit", onExit);
  });
}

/** A free loopback port (for servers that cannot be given port 0, such as Prism). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Polls `url` every `intervalMs` until it answers 200; returns the milliseconds since `sinceMs` (a `nowMs()` value)
 * at which it did. Bounded by `timeoutMs`; fails early if `child` exits.
 */
export async function waitFor200(
  url: string,
  options: {
    sinceMs: number;
    headers?: Record<string, string>;
    timeoutMs?: number;
    intervalMs?: number;
    child?: ChildProcess;
  },
): Promise<number> {
  const { sinceMs, headers = {}, timeoutMs = 30_000, intervalMs = 5, child } = options;
  for (;;) {
    if (child && (child.exitCode !== null || child.signalCode !== null)) throw new Error(`${url}: server exited`);
    try {
      const res = await fetch(url, { headers, signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status === 200) return nowMs() - sinceMs;
    } catch {
      // Not listening yet.
    }
    if (nowMs() - sinceMs > timeoutMs) throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** The installed version of a package (from node_modules/NAME/package.json), for naming a contender. */
export function packageVersion(name: string): string {
  const file = path.join(ROOT, "node_modules", name, "package.json");
  return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
}
