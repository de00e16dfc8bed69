/**
 * `kling-edit verify` against the mock (every check passes, the paid and callback checks included), through the
 * command's own code (exit codes 0, 1 and 2; the md, json and junit reports), and the free mode's promise (issue 11,
 * item 4): against a server that accepts everything, every request it sends is one that cannot create a task.
 * The mock's callback timing runs TIME_SCALE times faster than the spec's, and verify is told so.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { operations } from "../generated/operations.js";
import { verifyCommand } from "../src/cli/verify.js";
import { type MockServer, startMockServer } from "../src/mock/index.js";
import {
  CHECK_NAMES,
  formatViolation,
  INVALID_TOKEN,
  type RawRequest,
  runVerify,
  type VerifyResult,
  whyRequestCannotCreate,
} from "../src/verify/index.js";
import { DRIFT_CASES } from "./drift-corpus/cases.js";
import { DRIFT_TOKEN, startDriftServer } from "./drift-corpus/server.js";

const TIME_SCALE = 5;
const KEY = "verify-test-key";
let mock: MockServer;

beforeAll(async () => {
  mock = await startMockServer({
    port: 0,
    seed: 5,
    speed: 1000,
    apiKey: KEY,
    allowLoopbackCallbacks: true,
    callbackTimeoutMs: 10_000 / TIME_SCALE,
    callbackRetryDelaysMs: [1000, 2000, 4000].map((ms) => ms / TIME_SCALE),
  });
});
afterAll(() => mock?.close());

async function cli(args: {
  flags?: Parameters<typeof verifyCommand>[0];
  globals?: Parameters<typeof verifyCommand>[1];
}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await verifyCommand(args.flags ?? {}, args.globals ?? {}, {
    writeOut: (t) => out.push(t),
    writeErr: (t) => err.push(t),
  });
  return { code, stdout: out.join(""), stderr: err.join("") };
}

describe("verify against the mock", () => {
  let result: VerifyResult;
  beforeAll(async () => {
    result = await runVerify({
      baseUrl: mock.url,
      apiKey: KEY,
      spend: true,
      callback: {},
      timeScale: TIME_SCALE,
      callbackSlackMs: 600,
      pollIntervalMs: 20,
      maxPolls: 500,
      callbackWaitMs: 5000,
    });
  }, 60_000);

  it("every check passes, and every one of them ran (none left not applicable)", () => {
    expect(result.checks.flatMap((c) => c.violations).map(formatViolation)).toEqual([]);
    expect(result.checks.map((c) => [c.name, c.outcome])).toEqual(CHECK_NAMES.map((n) => [n, "passed"]));
    expect(result.exitCode).toBe(0);
    expect(result.server).toBe("api");
  });

  it("created exactly the tasks it announced: a lifecycle, a failure, two callback receivers", () => {
    // The invalid bodies were all refused, so only the four tasks exist.
    expect(result.tasksCreated).toBe(4);
  });
});

describe("kling-edit verify (the command)", () => {
  it("exits 0 with a Markdown report that has a line per passed check", async () => {
    const { code, stdout, stderr } = await cli({ globals: { baseUrl: mock.url, apiKey: KEY } });
    expect(code).toBe(0);
    expect(stdout).toMatch(/^# kling-edit verify: PASS/);
    expect(stdout).toMatch(/^- `auth-enforced`: /m);
    expect(stdout).toMatch(/^- `task-visible`: needs --spend/m);
    expect(stderr).toMatch(/free mode: only requests that cannot create a task/);
    expect(stdout + stderr).not.toContain(KEY);
  });

  it("exits 1 naming the failed check, with its operation and JSON pointer, in json, junit and md", async () => {
    const served = DRIFT_CASES.find((c) => c.name === "unknown-task-served");
    const server = await startDriftServer(served?.deviation);
    try {
      const globals = { baseUrl: server.url, apiKey: DRIFT_TOKEN };
      const json = await cli({ flags: { report: "json" }, globals });
      expect(json.code).toBe(1);
      const report = JSON.parse(json.stdout) as { checks: { name: string; outcome: string; violations: object[] }[] };
      const failed = report.checks.filter((c) => c.outcome === "failed");
      expect(failed.map((c) => c.name)).toEqual(["unknown-task-404"]);
      expect(failed[0]?.violations[0]).toMatchObject({
        check: "unknown-task-404",
        operation: "getTaskDetail",
        status: 200,
        pointer: "/status",
      });
      const junit = await cli({ flags: { report: "junit", check: ["unknown-task-404", "auth-enforced"] }, globals });
      expect(junit.code).toBe(1);
      expect(junit.stdout).toMatch(/<testsuites name="kling-edit verify" tests="2" failures="1" skipped="0"/);
      expect(junit.stdout).toMatch(
        /<testcase classname="kling-edit verify" name="unknown-task-404" time="0">\s*<failure/,
      );
      const md = await cli({ flags: { check: ["unknown-task-404"] }, globals });
      expect(md.stdout).toMatch(
        /### unknown-task-404 \(1\)[\s\S]*Example exchange:[\s\S]*GET \/v1\/tasks\/task-unified-1000000000-contract0[\s\S]*HTTP 200/,
      );
    } finally {
      await server.close();
    }
  });

  it("exits 2 on bad usage, before sending anything", async () => {
    const cases: [string, Parameters<typeof cli>[0], RegExp][] = [
      ["no server", { globals: { apiKey: KEY } }, /no server: pass --base-url/],
      ["no key", { globals: { baseUrl: mock.url, apiKey: " " } }, /no API key/],
      [
        "unknown check",
        { flags: { check: ["nope"] }, globals: { baseUrl: mock.url, apiKey: KEY } },
        /unknown check nope/,
      ],
      [
        "bad report",
        { flags: { report: "html" }, globals: { baseUrl: mock.url, apiKey: KEY } },
        /--report must be one of md, json, junit/,
      ],
      [
        "callbacks without --spend",
        { flags: { callbackUrl: "http://127.0.0.1:9/x" }, globals: { baseUrl: mock.url, apiKey: KEY } },
        /need --spend/,
      ],
      [
        "a public callback URL without --callback-listen",
        {
          flags: { spend: true, callbackUrl: "https://hooks.example.com/k" },
          globals: { baseUrl: mock.url, apiKey: KEY },
        },
        /--callback-listen HOST:PORT is needed/,
      ],
    ];
    const before = (await (await fetch(`${mock.url}/__mock/tasks`)).json()) as { createRequests: number };
    for (const [name, args, message] of cases) {
      const { code, stderr } = await cli(args);
      expect([name, code]).toEqual([name, 2]);
      expect(stderr).toMatch(message);
    }
    const after = (await (await fetch(`${mock.url}/__mock/tasks`)).json()) as { createRequests: number };
    expect(after.createRequests).toBe(before.createRequests);
  });

  it("--list prints one line per check", async () => {
    const { code, stdout } = await cli({ flags: { list: true } });
    expect(code).toBe(0);
    expect(
      stdout
        .trim()
        .split("\n")
        .map((l) => l.split(/\s+/)[0]),
    ).toEqual(CHECK_NAMES);
  });
});

describe("the free mode (issue 11, item 4)", () => {
  const received: RawRequest[] = [];
  let lenient: Server;
  let url: string;
  beforeAll(async () => {
    // Accepts everything: every POST creates "a task", every GET finds one. A free request must still not bill.
    const created = operations.createVideoGeneration.responses["200"].body.example;
    const task = operations.getTaskDetail.responses["200"].body.examples.video_completed;
    lenient = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        received.push({
          method: req.method ?? "",
          path: req.url ?? "",
          authorization: req.headers.authorization,
          body: Buffer.concat(chunks).toString("utf8"),
        });
        res
          .writeHead(200, { "content-type": "application/json" })
          .end(JSON.stringify(req.method === "POST" ? created : task));
      });
    });
    await new Promise<void>((resolve) => lenient.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(lenient.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => lenient.close(() => resolve())));

  it("sends only requests that cannot create a task whatever the server does, and says why for each", async () => {
    const result = await runVerify({ baseUrl: url, apiKey: KEY });
    expect(result.exitCode).toBe(1); // the lenient server breaks the free checks, as it should
    const creates = received.filter((r) => r.method === "POST");
    expect(creates.length).toBeGreaterThanOrEqual(6);
    const unexplained = received
      .map((r) => ({
        request: `${r.method} ${r.path} ${r.body.slice(0, 80)}`,
        why: whyRequestCannotCreate(r, INVALID_TOKEN),
      }))
      .filter((r) => r.why === undefined);
    expect(unexplained).toEqual([]);
    // The reasons are the ones the brief allows, and each kind is exercised.
    const reasons = new Set(received.map((r) => whyRequestCannotCreate(r, INVALID_TOKEN)?.split(":")[0]));
    expect([...reasons].sort()).toEqual(
      expect.arrayContaining(["a GET creates nothing", "a token no server issued", "no bearer token"]),
    );
  });
});
