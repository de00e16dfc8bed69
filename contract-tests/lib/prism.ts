/**
 * Starts and stops Prism (`@stoplight/prism-cli`, pinned in package.json) as a child process: mock mode for the
 * `prism` target, proxy mode for `npm run proxy`. Prism runs in its own process group so that stopping it stops
 * everything it started, and an exit hook kills it if the test process dies first (no orphan on a 2-core CI box).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { SPEC_PATH } from "./paths.js";

/** How Prism runs: serving the spec's examples, or validating a real upstream. */
export type PrismMode =
  | { mode: "mock" }
  | {
      mode: "proxy";
      upstream: string;
      /** Replace a response that breaks the spec with Prism's 500 (`--errors`). @default true */
      errors?: boolean;
      /** Let Prism answer requests that break the spec itself (its 422) instead of forwarding them. @default true */
      validateRequest?: boolean;
    };

/** Options of {@link startPrism}. */
export interface PrismOptions {
  /** Port; `0` lets the system pick a free one. @default 0 */
  port?: number;
  /** Interface to listen on. @default "127.0.0.1" */
  host?: string;
  /** The OpenAPI document. @default SPEC_PATH */
  spec?: string;
  /** How long to wait for Prism to say it listens. @default 30000 */
  startTimeoutMs?: number;
  /** Called with each line Prism prints (stdout and stderr), e.g. to show proxy warnings. */
  onLine?: (line: string) => void;
}

/** A running Prism. */
export interface PrismProcess {
  /** Base URL, `http://127.0.0.1:PORT`. */
  url: string;
  /** Process id of Prism (the leader of its process group). */
  pid: number;
  /** The last lines Prism printed (kept for error messages). */
  output(): string;
  /** Stops Prism and everything it started; resolves once it has exited. */
  close(): Promise<void>;
}

// ANSI colour codes, which Prism's logger adds on a TTY.
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");

function prismBin(): string {
  const require = createRequire(import.meta.url);
  const pkgPath = require.resolve("@stoplight/prism-cli/package.json");
  const pkg = require(pkgPath) as { bin: string | Record<string, string> };
  const bin = typeof pkg.bin === "string" ? pkg.bin : (pkg.bin.prism ?? Object.values(pkg.bin)[0] ?? "");
  return join(dirname(pkgPath), bin);
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

/** Starts Prism and resolves once it answers HTTP on its port. */
export async function startPrism(mode: PrismMode, options: PrismOptions = {}): Promise<PrismProcess> {
  const host = options.host ?? "127.0.0.1";
  const args = [prismBin(), mode.mode, options.spec ?? SPEC_PATH];
  if (mode.mode === "proxy") args.push(mode.upstream);
  args.push("-p", String(options.port ?? 0), "-h", host);
  if (mode.mode === "proxy" && mode.errors !== false) args.push("--errors");
  if (mode.mode === "proxy" && mode.validateRequest === false) args.push("--validate-request=false");
  const child = spawn(process.execPath, args, { detached: true, stdio: ["ignore", "pipe", "pipe"] });
  const onExit = () => killGroup(child, "SIGKILL");
  process.once("exit", onExit);

  const lines: string[] = [];
  let listening: (url: string) => void = () => {};
  const urlPromise = new Promise<string>((resolveUrl) => {
    listening = resolveUrl;
  });
  const exited = new Promise<void>((resolveExit) => child.once("exit", () => resolveExit()));
  for (const stream of [child.stdout, child.stderr]) {
    let partial = "";
    stream?.setEncoding("utf8");
    stream?.on("data", (chunk: string) => {
      const parts = (partial + chunk).split("\n");
      partial = parts.pop() ?? "";
      for (const raw of parts) {
        const line = raw.replace(ANSI, "");
        lines.push(line);
        if (lines.length > 200) lines.shift();
        options.onLine?.(line);
        const match = /Prism is listening on (http:\/\/\S+)/.exec(line);
        if (match?.[1]) listening(match[1]);
      }
    });
  }

  const close = async () => {
    process.removeListener("exit", onExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    killGroup(child, "SIGTERM");
    const timer = setTimeout(() => killGroup(child, "SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  };

  const timeoutMs = options.startTimeoutMs ?? 30_000;
  let timer: NodeJS.Timeout | undefined;
  const failed = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Prism did not start within ${timeoutMs} ms`)), timeoutMs);
    exited.then(() => reject(new Error(`Prism exited before listening (code ${child.exitCode})`)));
  });
  failed.catch(() => {}); // it rejects again when Prism exits after a successful start; nobody waits then
  try {
    const url = (await Promise.race([urlPromise, failed])).replace(/\/$/, "");
    // "Listening" is printed once the socket is bound; one request proves it answers.
    await Promise.race([fetch(`${url}/`).then((r) => r.body?.cancel()), failed]);
    return { url, pid: child.pid ?? -1, output: () => lines.join("\n"), close };
  } catch (error) {
    await close();
    throw new Error(`${(error as Error).message}\n${lines.slice(-20).join("\n")}`, { cause: error });
  } finally {
    clearTimeout(timer);
  }
}
