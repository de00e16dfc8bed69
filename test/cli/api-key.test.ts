/**
 * The API key without `--api-key` (visible in `ps`): `--api-key-file FILE`, `--api-key-file -` and `--api-key-stdin`,
 * unit-tested on `resolveApiKey`, then end to end against a mock that accepts only that key: in this process through
 * main() for a file, through the built CLI (a pipe on its standard input) for `-` and `--api-key-stdin`. Last, a key
 * ending in a carriage return, echoed back by the server, is printed nowhere.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UsageError } from "../../src/cli/exit-codes.js";
import { type GlobalOptions, type KeySources, resolveApiKey } from "../../src/cli/session.js";
import type { MockServer } from "../../src/mock/index.js";
import { CLI, cleanEnv, ensureBuilt, mockServer, type RunResult, runMain, tempDir } from "./helpers.js";

const KEY = "sk-file-key-1234567890";

function sources(files: Record<string, string>, stdin: string[] = [], isTTY = false): KeySources {
  return {
    readFile: async (file) => {
      if (!(file in files)) throw Object.assign(new Error(`ENOENT: ${file}`), { code: "ENOENT" });
      return files[file] as string;
    },
    stdin: Object.assign(
      (async function* () {
        yield* stdin;
      })(),
      { isTTY },
    ),
  };
}

describe("resolveApiKey", () => {
  const files = { "key.txt": `  ${KEY}\n`, "empty.txt": "\n", "two.txt": `${KEY}\nsecond-line\n` };

  it.each<[string, GlobalOptions, string | undefined]>([
    ["--api-key", { apiKey: "from-flag" }, "from-flag"],
    ["--api-key-file, trimmed (its newline)", { apiKeyFile: "key.txt" }, KEY],
    ["--api-key-file - reads standard input", { apiKeyFile: "-" }, KEY],
    ["--api-key-stdin, in chunks", { apiKeyStdin: true }, KEY],
  ])("%s", async (_name, globals, want) => {
    expect(await resolveApiKey(globals, sources(files, [KEY.slice(0, 5), `${KEY.slice(5)}\n`]))).toBe(want);
  });

  it("falls back to KLING_API_KEY", async () => {
    const saved = process.env.KLING_API_KEY;
    process.env.KLING_API_KEY = "from-env";
    try {
      expect(await resolveApiKey({}, sources({}))).toBe("from-env");
    } finally {
      if (saved === undefined) delete process.env.KLING_API_KEY;
      else process.env.KLING_API_KEY = saved;
    }
  });

  it.each<[string, GlobalOptions, KeySources, RegExp]>([
    ["two sources", { apiKey: "a", apiKeyFile: "key.txt" }, sources(files), /--api-key and --api-key-file both/],
    ["file and stdin", { apiKeyFile: "key.txt", apiKeyStdin: true }, sources(files), /give one of them/],
    ["a missing file", { apiKeyFile: "nope.txt" }, sources(files), /--api-key-file nope.txt: cannot read .*ENOENT/],
    ["an empty file", { apiKeyFile: "empty.txt" }, sources(files), /no API key in it/],
    ["two lines", { apiKeyFile: "two.txt" }, sources(files), /the API key alone, on one line/],
    ["a terminal", { apiKeyStdin: true }, sources({}, [], true), /not a terminal/],
    ["empty stdin", { apiKeyFile: "-" }, sources({}, []), /--api-key-file -: no API key/],
  ])("refuses %s, with a usage error that never quotes the file", async (_name, globals, from, message) => {
    const error = await resolveApiKey(globals, from).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain(KEY);
    expect((error as Error).message).not.toContain("second-line");
  });
});

describe.concurrent("kling-edit with the key from a file or standard input (mock accepting only that key)", () => {
  let mock: MockServer;
  let dir: string;
  beforeAll(async () => {
    [mock] = await Promise.all([mockServer({ apiKey: KEY }), ensureBuilt()]);
    dir = tempDir("kling-api-key-");
    fs.writeFileSync(path.join(dir, "key"), `${KEY}\n`, { mode: 0o600 });
    fs.writeFileSync(path.join(dir, "wrong"), "sk-wrong\n", { mode: 0o600 });
  });
  afterAll(async () => {
    await mock?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const statusArgs = (args: string[]) => ["--base-url", mock.url, "--json", ...args, "status", "task-unified-1-x"];

  /** `kling-edit --base-url MOCK --json <args> status task-unified-1-x`, run in this process (main()). */
  const status = (args: string[]) => runMain(statusArgs(args));

  /** The same through the built CLI, with `input` on its standard input (the process's own: a pipe). */
  function statusPiped(args: string[], input: string): Promise<RunResult> {
    const child = spawn(process.execPath, [CLI, ...statusArgs(args)], {
      cwd: dir,
      env: cleanEnv(),
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    child.stdin.end(input);
    return new Promise((resolve) => child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })));
  }

  // The task does not exist: a 404 (exit 3) proves the key was accepted; a wrong key gets the API's 401.
  const refusal = (r: RunResult) => JSON.parse(r.stdout.trim().split("\n").at(-1) ?? "{}").error?.status;

  it("--api-key-file FILE: the key is sent, and printed nowhere", async () => {
    const result = await status(["--api-key-file", path.join(dir, "key")]);
    expect(refusal(result), result.stderr).toBe(404);
    expect(result.stdout + result.stderr).not.toContain(KEY);
  });

  it.each<[string, string[], string]>([
    ["--api-key-file -", ["--api-key-file", "-"], `${KEY}\n`],
    ["--api-key-stdin", ["--api-key-stdin"], KEY],
  ])("%s: the key piped to the built CLI is sent, and printed nowhere", async (_name, args, input) => {
    const result = await statusPiped(args, input);
    expect(refusal(result), result.stderr).toBe(404);
    expect(result.stdout + result.stderr).not.toContain(KEY);
  });

  it("a wrong key from a file gets the API's 401", async () => {
    expect(refusal(await status(["--api-key-file", path.join(dir, "wrong")]))).toBe(401);
  });

  it("an unreadable file is bad usage (exit 2), and --help says the environment variable is the safe default", async () => {
    const file = path.join(dir, "missing");
    const missing = await status(["--api-key-file", file]);
    expect(missing.code).toBe(2);
    expect(missing.stdout + missing.stderr).toContain(`--api-key-file ${file}: cannot read the file (ENOENT)`);
    const help = await runMain(["--help"]);
    expect(help.stdout).toMatch(/KLING_API_KEY\s+the API key: the safe default/);
    expect(help.stdout).toContain("--api-key-file <file>");
    expect(help.stdout).toContain("--api-key-stdin");
  });
});

// Issue 11 item 8 (was test/cli/secrets.test.ts): a server that echoes the key it was sent, with the key given as a
// CRLF `.env` file gives it. Headers sends the key trimmed, so the echo is the trimmed key: the CLI must scrub that
// form. Not concurrent: runMain with env sets process.env for the run.
describe("kling-edit with a key ending in \\r", () => {
  const CRLF_KEY = "sk-cli-crlf-0123456789abcdef";
  let server: http.Server;
  let url: string;
  beforeAll(async () => {
    // Answers every request 401, echoing the Authorization header in the body, a header and the request id.
    server = http.createServer((req, res) => {
      const token = String(req.headers.authorization ?? "").replace(/^Bearer /, "");
      res.writeHead(401, { "content-type": "application/json", "x-request-id": `req-${token}`, "x-echo": token });
      res.end(
        JSON.stringify({ error: { code: 401, message: `Invalid token ${token}`, type: "authentication_error" } }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it.each([
    ["KLING_API_KEY", { args: [] as string[], env: { KLING_API_KEY: `${CRLF_KEY}\r` } }],
    ["--api-key", { args: ["--api-key", `${CRLF_KEY}\r\n`], env: {} }],
  ])("never prints the key echoed by the server (%s), in human or --json output", async (_name, { args, env }) => {
    for (const mode of [[], ["--json"]]) {
      const run = await runMain(["--base-url", url, ...args, ...mode, "status", "task-unified-1-abcdefgh"], { env });
      expect(run.code).toBe(3);
      // Scrubbed by the client ([redacted]) or, failing that, by the CLI's output (***).
      expect(run.stderr).toMatch(/request id: req-(\*\*\*|\[redacted\])\n/);
      expect(run.stdout + run.stderr).not.toContain(CRLF_KEY);
    }
  });
});
