/**
 * src/cli/session.ts: what every API command opens. Refusals before anything is sent (two places for the API, no
 * key, a bad mock setting); the key, wherever it came from, sent to the API and never printed; the built-in mock;
 * which http:// result links may be fetched; the resume command (never with the key); Ctrl-C in two steps.
 * In-process, against a loopback server started here. (Key sources, each rule: test/cli/api-key.test.ts.)
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { UsageError } from "../../src/cli/exit-codes.js";
import { BackoffGate } from "../../src/cli/gate.js";
import { Output } from "../../src/cli/output.js";
import {
  envNumber,
  type GlobalOptions,
  Interrupts,
  type KeySources,
  resolveApiKey,
  Session,
  shellQuote,
} from "../../src/cli/session.js";

const KEY = "sk-session-key-0123456789";

/** An Output whose streams are strings. */
function captured() {
  const text = { stdout: "", stderr: "" };
  const sink = (name: keyof typeof text) => ({
    write(chunk: string) {
      text[name] += chunk;
      return true;
    },
  });
  return { output: new Output({ stdout: sink("stdout"), stderr: sink("stderr") }), text };
}

/** Key sources with the key in a file named `key` (and nothing on stdin). */
const fileSources = {
  readFile: async (file: string) => {
    if (file !== "key") throw Object.assign(new Error("no"), { code: "ENOENT" });
    return `${KEY}\n`;
  },
  stdin: Object.assign((async function* () {})(), { isTTY: false }),
};

/** A loopback API answering each request with the next status of `statuses` (then the last), recording headers. */
let server: http.Server;
let api: string;
let statuses: number[] = [];
const seen: { method: string; url: string; authorization: string | undefined }[] = [];
beforeAll(async () => {
  server = http.createServer((req, res) => {
    seen.push({ method: req.method ?? "", url: req.url ?? "", authorization: req.headers.authorization });
    const status = (statuses.length > 1 ? statuses.shift() : statuses[0]) ?? 404;
    res.writeHead(status, { "content-type": "application/json", "retry-after": "0" });
    res.end(JSON.stringify({ error: { code: status, message: "no such task", type: "not_found_error" } }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const sessions: Session[] = [];
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close()));
  seen.length = 0;
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});
async function open(globals: GlobalOptions, output: Output, options: Parameters<typeof Session.open>[2] = {}) {
  const session = await Session.open(globals, output, { sources: fileSources, ...options });
  sessions.push(session);
  return session;
}
async function refusal(globals: GlobalOptions): Promise<UsageError> {
  const error = await open(globals, captured().output).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(UsageError);
  return error as UsageError;
}

describe("envNumber", () => {
  it.each<[string | undefined, number | undefined]>([
    [undefined, undefined],
    ["", undefined],
    ["10", 10],
    ["0.5", 0.5],
    ["1e3", 1000],
  ])("%j -> %j", (raw, want) => {
    vi.stubEnv("KLING_TEST_KNOB", raw);
    expect(envNumber("KLING_TEST_KNOB")).toBe(want);
  });

  it.each(["0", "-2", "ten", "Infinity", "NaN", " "])(
    "refuses %j, naming the variable, the rule and the value",
    (raw) => {
      vi.stubEnv("KLING_TEST_KNOB", raw);
      expect(() => envNumber("KLING_TEST_KNOB")).toThrow(
        new UsageError(`KLING_TEST_KNOB must be a number > 0 (got "${raw}")`),
      );
    },
  );
});

describe("Session.open refuses, before sending anything", () => {
  it("--mock with --base-url", async () => {
    expect((await refusal({ mock: true, baseUrl: api })).message).toBe(
      "--mock and --base-url both say where the API is: give one of them",
    );
  });

  it("no key (and no --mock): says where a key goes, and to try --mock", async () => {
    vi.stubEnv("KLING_API_KEY", "");
    const { message } = await refusal({ baseUrl: api });
    expect(message).toMatch(/^No API key: set KLING_API_KEY, or pass --api-key-file FILE or --api-key-stdin/);
    expect(message).toContain("add --mock");
    expect(seen).toEqual([]);
  });

  it.each<[string, string, RegExp]>([
    ["KLING_MOCK_SCENARIO", "chaos-monkey", /^KLING_MOCK_SCENARIO "chaos-monkey" is not a mock scenario/],
    ["KLING_MOCK_SPEED", "fast", /^KLING_MOCK_SPEED must be a number > 0 \(got "fast"\)/],
    ["KLING_MOCK_SEED", "-1", /^KLING_MOCK_SEED must be a number > 0/],
  ])("--mock with a bad %s", async (name, value, message) => {
    vi.stubEnv(name, value);
    expect((await refusal({ mock: true })).message).toMatch(message);
  });

  it("a key given twice (the key rules are resolveApiKey's)", async () => {
    expect((await refusal({ apiKey: KEY, apiKeyFile: "key", baseUrl: api })).message).toMatch(/give one of them/);
  });
});

describe("resolveApiKey: the cases test/cli/api-key.test.ts does not table", () => {
  const from = (text: string | Error, isTTY = false): KeySources => ({
    readFile: async () => {
      if (text instanceof Error) throw text;
      return text;
    },
    stdin: Object.assign(
      (async function* () {
        if (typeof text === "string") yield Buffer.from(text);
      })(),
      { isTTY },
    ),
  });

  it("trims a Windows line end; reads stdin given as Buffers", async () => {
    expect(await resolveApiKey({ apiKeyFile: "k" }, from(`${KEY}\r\n`))).toBe(KEY);
    expect(await resolveApiKey({ apiKeyStdin: true }, from(`${KEY}\n`))).toBe(KEY);
  });

  it("an empty KLING_API_KEY is no key", async () => {
    vi.stubEnv("KLING_API_KEY", "");
    expect(await resolveApiKey({}, from(""))).toBeUndefined();
  });

  it.each<[string, GlobalOptions, KeySources, string]>([
    [
      "a tab inside the key",
      { apiKeyFile: "k" },
      from(`${KEY}\t${KEY}`),
      "--api-key-file k: it must hold the API key alone, on one line",
    ],
    [
      "a read error without a code",
      { apiKeyFile: "k" },
      from(new Error(`EIO reading ${KEY}`)),
      "--api-key-file k: cannot read the file (unreadable)",
    ],
    [
      "a terminal on stdin: says how to pipe the key",
      { apiKeyStdin: true },
      from(KEY, true),
      '--api-key-stdin reads the key from a pipe or a file, not a terminal (it would show as you type): printf %s "$KEY" | kling-edit --api-key-stdin ...',
    ],
    ["--api-key-file - on a terminal", { apiKeyFile: "-" }, from(KEY, true), "| kling-edit --api-key-file - ..."],
  ])("refuses %s, never quoting what it read", async (_name, globals, sources, message) => {
    const error = await resolveApiKey(globals, sources).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toContain(message);
    expect((error as Error).message).not.toContain(KEY);
  });
});

describe("the key", () => {
  it("from a file: sent as the bearer token, and scrubbed from every line the output prints", async () => {
    vi.stubEnv("KLING_API_KEY", "");
    const { output, text } = captured();
    const session = await open({ apiKeyFile: "key", baseUrl: api }, output);
    const error = await session.client.tasks.get("task-unified-1-x").catch((e: unknown) => e);
    expect(seen.map((s) => s.authorization)).toEqual([`Bearer ${KEY}`]);
    expect((error as { status?: number }).status).toBe(404);
    // The key was in no argument the output was made with: the session told it. Whatever a command then prints (an
    // error that quoted the key, a note, a job file's text) goes through this output.
    output.note(`request failed with ${KEY}`);
    expect(text.stderr).toContain("request failed with");
    expect(text.stderr).not.toContain(KEY);
    expect(output.scrubText(`x ${KEY} y`)).not.toContain(KEY);
    expect(new Output().scrubText(KEY)).toBe(KEY);
  });

  it("is never in the resume command, with or without a base URL", async () => {
    const session = await open({ apiKey: KEY, baseUrl: api }, captured().output);
    expect(session.resumeCommand("task-unified-1-x")).toBe(`kling-edit --base-url ${api} wait task-unified-1-x`);
    expect(session.resumeCommand("task-unified-1-x", "out dir/it's.mp4")).toBe(
      `kling-edit --base-url ${api} wait task-unified-1-x --out 'out dir/it'\\''s.mp4'`,
    );
    const plain = await open({ apiKey: KEY }, captured().output);
    expect(plain.resumeCommand("t", "r.mp4")).toBe("kling-edit wait t --out r.mp4");
  });
});

describe("with a gate", () => {
  it("every API query passes it, and a 429 closes it for the others", async () => {
    const slept: number[] = [];
    let now = 0;
    const gate = new BackoffGate({
      now: () => now,
      random: () => 0,
      sleep: async (ms) => {
        slept.push(ms);
        now += ms;
      },
    });
    statuses = [429, 404];
    const session = await open({ apiKey: KEY, baseUrl: api }, captured().output, { gate });
    await session.client.tasks.get("task-unified-1-x").catch(() => undefined);
    statuses = [];
    // The 429 closed the gate; the client's retry waited at it before it went out.
    expect(seen.map((s) => s.method)).toEqual(["GET", "GET"]);
    expect(slept).toHaveLength(1);
    expect(slept[0]).toBeGreaterThan(0);
  });
});

describe("with --mock", () => {
  it("starts the built-in mock on loopback, says so, needs no key, and stops it on close", async () => {
    vi.stubEnv("KLING_API_KEY", "");
    vi.stubEnv("KLING_MOCK_SEED", "7");
    const { output, text } = captured();
    const session = await Session.open({ mock: true }, output);
    const url = session.mock?.url as string;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(session.client.baseUrl).toBe(url);
    expect(text.stderr).toContain(`Using the built-in mock at ${url}`);
    expect(session.mock?.engine.seed).toBe(7);
    const task = await session.client.edits.create({ prompt: "p", video_urls: ["https://e.com/in.mp4"] });
    expect(task.id).toMatch(/^task-unified-/);
    // Its own result links only: the same host on another port is not the mock.
    expect(session.allowInsecure(`${url}/results/a.mp4`)).toBe(true);
    expect(session.allowInsecure(`${url}0/results/a.mp4`)).toBe(false);
    expect(session.allowInsecure(`${api}/results/a.mp4`)).toBe(false);
    await session.close();
    await expect(fetch(`${url}/`)).rejects.toThrow();
  });
});

describe("allowInsecure without the mock", () => {
  it.each<[string, string, boolean]>([
    ["an https link", "https://cdn.example.com/a.mp4", false],
    ["http from the loopback base URL's origin", "http://127.0.0.1:4010/files/a.mp4", true],
    ["http from another port", "http://127.0.0.1:4011/files/a.mp4", false],
    ["http from a host that only starts like loopback", "http://127.0.0.1.nip.io:4010/a.mp4", false],
    ["not a URL", "::nonsense", false],
    ["another scheme", "file:///etc/passwd", false],
  ])("%s: %s", async (_name, url, want) => {
    const session = await open({ apiKey: KEY, baseUrl: "http://127.0.0.1:4010" }, captured().output);
    expect(session.allowInsecure(url)).toBe(want);
  });

  it.each<[string, string]>([
    ["an https base URL", "https://api.example.com"],
    ["an http base URL off loopback", "http://api.example.com"],
  ])("never with %s", async (_name, baseUrl) => {
    const session = await open({ apiKey: KEY, baseUrl }, captured().output);
    expect(session.allowInsecure(`${baseUrl.replace("https:", "http:")}/files/a.mp4`)).toBe(false);
  });

  it("from localhost and [::1] base URLs", async () => {
    for (const base of ["http://localhost:4010", "http://[::1]:4010"]) {
      const session = await open({ apiKey: KEY, baseUrl: base }, captured().output);
      expect(session.allowInsecure(`${base}/files/a.mp4`)).toBe(true);
    }
  });
});

describe("Interrupts", () => {
  /** The handlers `new Interrupts()` added for a signal. */
  function added(before: readonly unknown[], signal: "SIGINT" | "SIGTERM") {
    return process.listeners(signal).filter((l) => !before.includes(l));
  }

  it("first Ctrl-C aborts stop (after telling onFirst), the second kill, the third exits 130; dispose removes them", () => {
    const before = { SIGINT: process.listeners("SIGINT"), SIGTERM: process.listeners("SIGTERM") };
    const interrupts = new Interrupts();
    const [onInt] = added(before.SIGINT, "SIGINT");
    const [onTerm] = added(before.SIGTERM, "SIGTERM");
    expect(onInt).toBeTypeOf("function");
    expect(onTerm).toBe(onInt);
    const order: string[] = [];
    interrupts.onFirst = () => order.push(`onFirst, stop aborted: ${interrupts.stop.signal.aborted}`);
    expect(interrupts.interrupted).toBe(false);

    (onInt as () => void)();
    expect(order).toEqual(["onFirst, stop aborted: false"]);
    expect(interrupts.interrupted).toBe(true);
    expect(interrupts.stop.signal.reason).toEqual(new Error("interrupted"));
    expect(interrupts.kill.signal.aborted).toBe(false);

    (onTerm as () => void)(); // SIGTERM counts the same
    expect(interrupts.kill.signal.reason).toEqual(new Error("interrupted twice"));

    const exit = vi.spyOn(process, "exit").mockImplementation((() => undefined) as never);
    (onInt as () => void)();
    expect(exit).toHaveBeenCalledWith(130);

    interrupts.dispose();
    expect(added(before.SIGINT, "SIGINT")).toEqual([]);
    expect(added(before.SIGTERM, "SIGTERM")).toEqual([]);
  });
});

describe("shellQuote", () => {
  it.each<[string, string]>([
    ["task-unified-1-x", "task-unified-1-x"],
    ["https://api.example.com/v1?a=b", "'https://api.example.com/v1?a=b'"],
    ["out/result.mp4", "out/result.mp4"],
    ["my result.mp4", "'my result.mp4'"],
    ["it's", "'it'\\''s'"],
    ["$(rm -rf ~)", "'$(rm -rf ~)'"],
    ["", "''"],
  ])("%j -> %s", (word, want) => {
    expect(shellQuote(word)).toBe(want);
  });
});
