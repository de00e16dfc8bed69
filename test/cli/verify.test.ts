/**
 * src/cli/verify.ts: `kling-edit verify`'s own rules, in-process. Every bad usage exits 2 naming the flag and the
 * rule, before any request (a loopback server here counts them); the environment's base URL and key; the report's
 * format, file and recordings (never holding the key); exit 1 naming a failed check. The checks themselves:
 * contract-tests/verify.test.ts.
 */
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { Command } from "commander";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { addVerifyCommand, type VerifyFlags, verifyCommand } from "../../src/cli/verify.js";
import { type MockServer, startMockServer } from "../../src/mock/index.js";

const KEY = "sk-verify-key-0123456789";

/** A server that answers 200 {} to anything, counting the requests. */
let server: http.Server;
let url: string;
let requests = 0;
let mock: MockServer;
let dir: string;
beforeAll(async () => {
  server = http.createServer((_req, res) => {
    requests++;
    res.writeHead(200, { "content-type": "application/json" }).end("{}");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  mock = await startMockServer({ port: 0, apiKey: KEY });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "kling-verify-cli-"));
});
afterAll(async () => {
  await Promise.all([new Promise((resolve) => server.close(resolve)), mock?.close()]);
  fs.rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  vi.stubEnv("KLING_BASE_URL", undefined);
  vi.stubEnv("KLING_API_KEY", undefined);
  return () => vi.unstubAllEnvs();
});

async function verify(flags: VerifyFlags, globals: { baseUrl?: string; apiKey?: string; json?: boolean } = {}) {
  const io = { stdout: "", stderr: "" };
  const code = await verifyCommand(flags, globals, {
    writeOut: (text) => {
      io.stdout += text;
    },
    writeErr: (text) => {
      io.stderr += text;
    },
  });
  return { code, ...io };
}

describe("bad usage exits 2 before any request, naming the flag and the rule", () => {
  // Globals: {} means a reachable server and a key; "URL" stands for the server here.
  it.each<[string, VerifyFlags, { baseUrl?: string; apiKey?: string }, string]>([
    ["no server", {}, { apiKey: "KEY" }, "no server: pass --base-url URL (or set KLING_BASE_URL)"],
    [
      "a base URL that is not http(s)",
      {},
      { baseUrl: "ftp://h/x", apiKey: "KEY" },
      '--base-url must be an http(s) URL (got "ftp://h/x")',
    ],
    ["no key", {}, { baseUrl: "URL" }, "no API key: pass --api-key or set KLING_API_KEY (any token for a mock)"],
    ["a blank key", {}, { baseUrl: "URL", apiKey: "  " }, "no API key"],
    ["an unknown report format", { report: "html" }, {}, '--report must be one of md, json, junit (got "html")'],
    [
      "unknown checks",
      { check: ["auth-enforced", "nope", "nada"] },
      {},
      "unknown check nope, nada: kling-edit verify --list names them",
    ],
    ["a callback without --spend", { callbackUrl: "http://127.0.0.1:9/h" }, {}, "the callback checks need --spend"],
    ["a listen address without --spend", { callbackListen: "127.0.0.1:9" }, {}, "the callback checks need --spend"],
    [
      "a callback URL that is not a URL",
      { spend: true, callbackUrl: "hooks here" },
      {},
      '--callback-url must be a URL (got "hooks here")',
    ],
    [
      "a public callback URL without a listen address",
      { spend: true, callbackUrl: "https://hooks.example.com/k" },
      {},
      "--callback-listen HOST:PORT is needed",
    ],
    [
      "a loopback callback URL without a port",
      { spend: true, callbackUrl: "http://127.0.0.1/h" },
      {},
      "--callback-listen HOST:PORT is needed",
    ],
    [
      "a listen address without a port",
      { spend: true, callbackListen: "127.0.0.1" },
      {},
      '--callback-listen must be HOST:PORT (got "127.0.0.1")',
    ],
    [
      "a listen port out of range",
      { spend: true, callbackListen: "127.0.0.1:70000" },
      {},
      '--callback-listen must be HOST:PORT (got "127.0.0.1:70000")',
    ],
    [
      "a listen port that is not a number",
      { spend: true, callbackListen: "[::1]:http" },
      {},
      "--callback-listen must be HOST:PORT",
    ],
    ["a zero --time-scale", { timeScale: "0" }, {}, '--time-scale must be a number > 0 (got "0")'],
    [
      "a --poll-interval that is not a number",
      { pollInterval: "often" },
      {},
      '--poll-interval must be a number > 0 (got "often")',
    ],
  ])("%s", async (_name, flags, globals, message) => {
    const before = requests;
    const given = Object.keys(globals).length === 0 ? { baseUrl: url, apiKey: KEY } : { ...globals };
    if (given.baseUrl === "URL") given.baseUrl = url;
    if (given.apiKey === "KEY") given.apiKey = KEY;
    const { code, stdout, stderr } = await verify(flags, given);
    expect(code).toBe(2);
    expect(stderr.startsWith(`kling-edit verify: ${message}`)).toBe(true);
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(stdout).toBe("");
    expect(requests).toBe(before);
  });

  it("takes the server and key from KLING_BASE_URL and KLING_API_KEY (then refuses the next thing wrong)", async () => {
    vi.stubEnv("KLING_BASE_URL", url);
    vi.stubEnv("KLING_API_KEY", `${KEY}\n`);
    const { code, stderr } = await verify({ report: "pdf" });
    expect(code).toBe(2);
    expect(stderr).toContain("--report must be one of");
  });
});

describe("running", () => {
  it("--list prints the checks, one a line, and sends nothing", async () => {
    const before = requests;
    const { code, stdout } = await verify({ list: true });
    expect(code).toBe(0);
    expect(stdout).toMatch(/^auth-enforced\s+\S/m);
    expect(stdout.trim().split("\n").length).toBeGreaterThan(5);
    expect(requests).toBe(before);
  });

  it("a failed check exits 1 and names it; the Markdown report goes to stdout", async () => {
    const { code, stdout, stderr } = await verify({ check: ["auth-enforced"] }, { baseUrl: url, apiKey: KEY });
    expect(code).toBe(1);
    expect(stdout).toMatch(/^# kling-edit verify: FAIL/);
    expect(stderr).toMatch(/FAIL: auth-enforced\n$/);
  });

  it("--json reports as JSON; --out writes the report to a file; --record writes the exchanges without the key", async () => {
    const out = path.join(dir, "report.json");
    const record = path.join(dir, "recordings");
    const { code, stdout, stderr } = await verify(
      { check: ["unknown-task-404"], out, record },
      { baseUrl: mock.url, apiKey: KEY, json: true },
    );
    expect(code).toBe(0);
    expect(stdout).toBe("");
    const report = JSON.parse(fs.readFileSync(out, "utf8")) as { checks: { name: string; outcome: string }[] };
    expect(report.checks).toEqual([expect.objectContaining({ name: "unknown-task-404", outcome: "passed" })]);
    expect(stderr).toContain(`wrote ${out}`);
    expect(stderr).toMatch(/recorded \d+ exchanges in /);
    expect(stderr).toMatch(/PASS: 1 checks passed\n$/);
    const files = fs.readdirSync(record, { recursive: true, withFileTypes: true }).filter((f) => f.isFile());
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(fs.readFileSync(path.join(f.parentPath, f.name), "utf8")).not.toContain(KEY);
    expect(stderr).not.toContain(KEY);
  });
});

describe("addVerifyCommand", () => {
  it("registers `verify`: --check is repeatable, the global --base-url and --api-key reach it, and it sets the exit code", async () => {
    const result: { exitCode?: number } = {};
    const io = { out: "", err: "" };
    const program = new Command("kling-edit")
      .option("--base-url <url>")
      .option("--api-key <key>")
      .option("--json")
      .exitOverride();
    addVerifyCommand(program, result, {
      writeOut: (t) => {
        io.out += t;
      },
      writeErr: (t) => {
        io.err += t;
      },
    });
    const args = [
      "--base-url",
      url,
      "--api-key",
      KEY,
      "verify",
      "--check",
      "auth-enforced",
      "nope",
      "--check",
      "zilch",
    ];
    await program.parseAsync(args, { from: "user" });
    expect(result.exitCode).toBe(2);
    expect(io.err).toBe("kling-edit verify: unknown check nope, zilch: kling-edit verify --list names them\n");
  });
});
