/**
 * `kling-edit verify`: the named contract checks against any server (the live API, a staging gateway, the mock,
 * Prism), from the package's public `./verify` entry. Free by default; `--spend` states first how many tasks it may
 * create. The report (md, json, junit) goes to stdout or `--out`; progress lines go to stderr.
 * Exit codes: 0 every check passed or was not applicable, 1 a check failed, 2 bad usage (nothing was checked).
 */
import { writeFile } from "node:fs/promises";
import type { Command } from "commander";

/** Where the command writes. */
export interface VerifyIo {
  writeOut(text: string): void;
  writeErr(text: string): void;
}

/** The command's options, as commander parses them. */
export interface VerifyFlags {
  spend?: boolean;
  callbackUrl?: string;
  callbackListen?: string;
  record?: string;
  report?: string;
  out?: string;
  check?: string[];
  list?: boolean;
  video?: string;
  timeScale?: string;
  pollInterval?: string;
}

/** The global options verify reads. */
interface Globals {
  baseUrl?: string;
  apiKey?: string;
  json?: boolean;
}

const EXIT_PASS = 0;
const EXIT_VIOLATION = 1;
const EXIT_USAGE = 2;

class VerifyUsageError extends Error {}

const HELP = `
Checks (kling-edit verify --list prints them, one line each) run against the server at --base-url and hold it to
the spec pinned in this package. Without --spend only requests that cannot create a task are sent (no token, a token
no server issued, unknown task ids, create bodies without a usable source video). --spend follows tasks to their end
and sends every other invalid body; it prints how many tasks it may create before it starts. Callback checks need
--spend and a receiver: --callback-url is the public URL the server calls, which must reach --callback-listen on
this machine (a tunnel; for a local mock a loopback --callback-url alone is enough).

Exit codes: 0 every check passed (or was not applicable), 1 a check failed, 2 bad usage (nothing was checked).

Examples:
  kling-edit verify --base-url http://127.0.0.1:4010 --api-key dev
  kling-edit verify --base-url https://staging.example.com/apiv1 --report junit --out verify.xml
  kling-edit verify --base-url http://127.0.0.1:4010 --api-key dev --spend --callback-url http://127.0.0.1:8787/hooks
  kling-edit verify --base-url "$KLING_BASE_URL" --check auth-enforced --check unknown-task-404 --record recordings/`;

/** Registers `verify` on the program; the action sets `result.exitCode`. */
export function addVerifyCommand(program: Command, result: { exitCode?: number }, io: VerifyIo): void {
  program
    .command("verify")
    .description("check a server against the pinned spec: named checks, free by default, --spend for the paid path")
    .option("--list", "list the checks, one line each, and exit")
    .option("--check <name...>", "run only these checks (repeatable)")
    .option("--spend", "also run the checks that create tasks (says how many first)")
    .option("--callback-url <url>", "the public URL the server calls back (reaches the receiver this command starts)")
    .option("--callback-listen <host:port>", "where the receiver listens (default: --callback-url's, if on loopback)")
    .option("--video <url>", "the source video of the tasks --spend creates (default: the spec's example)")
    .option("--report <format>", "md (default), json or junit (--json means json)")
    .option("--out <file>", "write the report to this file instead of stdout")
    .option("--record <dir>", "write every exchange (credentials removed) to DIR, for kling-edit drift live")
    .option("--time-scale <n>", "the server's callback timing runs N times faster than the spec's (a test mock)")
    .option("--poll-interval <seconds>", "wait between polls of a task (default 2)")
    .addHelpText("after", HELP)
    .action(async (flags: VerifyFlags, command: Command) => {
      result.exitCode = await verifyCommand(flags, command.optsWithGlobals() as Globals, io);
    });
}

function parseListen(value: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(value) ?? /^()()(\d+)$/.exec(value);
  const port = Number(match?.[3]);
  if (!match || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new VerifyUsageError(`--callback-listen must be HOST:PORT (got "${value}")`);
  }
  return { host: match[1] || match[2] || "127.0.0.1", port };
}

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/i;

function positive(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!(n > 0) || !Number.isFinite(n)) throw new VerifyUsageError(`${name} must be a number > 0 (got "${value}")`);
  return n;
}

/** Runs the command; returns its exit code. */
export async function verifyCommand(flags: VerifyFlags, globals: Globals, io: VerifyIo): Promise<number> {
  const verify = await import("../verify/index.js");
  const err = (line: string) => io.writeErr(`kling-edit verify: ${line}\n`);
  try {
    if (flags.list) {
      io.writeOut(`${verify.listChecks()}\n`);
      return EXIT_PASS;
    }
    const baseUrl = globals.baseUrl ?? process.env.KLING_BASE_URL;
    if (!baseUrl) throw new VerifyUsageError("no server: pass --base-url URL (or set KLING_BASE_URL)");
    if (!/^https?:\/\//i.test(baseUrl))
      throw new VerifyUsageError(`--base-url must be an http(s) URL (got "${baseUrl}")`);
    const apiKey = (globals.apiKey ?? process.env.KLING_API_KEY ?? "").trim();
    if (!apiKey) throw new VerifyUsageError("no API key: pass --api-key or set KLING_API_KEY (any token for a mock)");
    const format = flags.report ?? (globals.json ? "json" : "md");
    if (!(verify.REPORT_FORMATS as readonly string[]).includes(format)) {
      throw new VerifyUsageError(`--report must be one of ${verify.REPORT_FORMATS.join(", ")} (got "${format}")`);
    }
    const unknown = (flags.check ?? []).filter((name) => !verify.isCheckName(name));
    if (unknown.length) {
      throw new VerifyUsageError(`unknown check ${unknown.join(", ")}: kling-edit verify --list names them`);
    }
    const checks = (flags.check ?? []).filter(verify.isCheckName);
    const callback = callbackOptions(flags);
    if (callback && !flags.spend) {
      throw new VerifyUsageError(
        "the callback checks need --spend: a callback comes only from a task that was created",
      );
    }
    const timeScale = positive("--time-scale", flags.timeScale);
    const pollSeconds = positive("--poll-interval", flags.pollInterval);
    const recorded: import("../verify/index.js").Exchange[] = [];
    const options: import("../verify/index.js").VerifyOptions = {
      baseUrl,
      apiKey,
      spend: flags.spend === true,
      ...(callback ? { callback } : {}),
      ...(checks.length ? { checks } : {}),
      ...(flags.video ? { videoUrl: flags.video } : {}),
      ...(timeScale ? { timeScale } : {}),
      ...(pollSeconds ? { pollIntervalMs: pollSeconds * 1000 } : {}),
      ...(flags.record ? { onExchange: (exchange) => recorded.push(exchange) } : {}),
      log: err,
    };
    err(verify.costStatement(options));
    const result = await verify.runVerify(options);
    if (flags.record) {
      const target = result.server === "prism" ? "prism" : "live";
      for (const exchange of recorded) {
        await verify.writeRecording(verify.toRecording(exchange, target, [apiKey]), flags.record);
      }
      err(`recorded ${recorded.length} exchanges in ${flags.record} (kling-edit drift live ${flags.record})`);
    }
    const report = verify.renderReport(result, format as import("../verify/index.js").ReportFormat);
    if (flags.out) {
      await writeFile(flags.out, report);
      err(`wrote ${flags.out}`);
    } else {
      io.writeOut(report);
    }
    const failed = result.checks.filter((c) => c.outcome === "failed").map((c) => c.name);
    err(
      failed.length
        ? `FAIL: ${failed.join(", ")}`
        : `PASS: ${result.checks.filter((c) => c.outcome === "passed").length} checks passed`,
    );
    return failed.length ? EXIT_VIOLATION : EXIT_PASS;
  } catch (error) {
    if (error instanceof VerifyUsageError) {
      err(error.message);
      return EXIT_USAGE;
    }
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE" || code === "EADDRNOTAVAIL" || code === "EACCES") {
      err(`the callback receiver cannot listen: ${(error as Error).message}`);
      return EXIT_USAGE;
    }
    throw error;
  }
}

function callbackOptions(flags: VerifyFlags): import("../verify/index.js").VerifyCallbackOptions | undefined {
  if (!flags.callbackUrl && !flags.callbackListen) return undefined;
  const listen = flags.callbackListen ? parseListen(flags.callbackListen) : undefined;
  if (!flags.callbackUrl) return listen;
  let url: URL;
  try {
    url = new URL(flags.callbackUrl);
  } catch {
    throw new VerifyUsageError(`--callback-url must be a URL (got "${flags.callbackUrl}")`);
  }
  if (listen) return { url: flags.callbackUrl, ...listen };
  if (!LOOPBACK.test(url.hostname) || !url.port) {
    throw new VerifyUsageError(
      "--callback-listen HOST:PORT is needed: where the tunnel behind --callback-url forwards to on this machine",
    );
  }
  return { url: flags.callbackUrl, host: url.hostname.replace(/^\[|\]$/g, ""), port: Number(url.port) };
}
