/**
 * Resumable file downloads (issue 12, item 8) and result expiry (item 7's download side): a body cut off part-way
 * keeps its `.part`, and the next try (a retry in the same call, or a later call given the resume state) asks for
 * `Range: bytes=N-` with `If-Range`; a server that answers 200 restarts from zero; a stale part nobody owns goes.
 * Runs through node:http and through an injected fetch.
 */
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { DownloadError, type DownloadResumeState, downloadBlob, RESULT_EXPIRY_WARNING_MS } from "../src/index.js";
import { downloadToFile, type FileDownloadOptions, STALE_PART_MS } from "../src/node.js";
import { recordingLogger } from "./support/fake-fetch.js";
import { slept } from "./support/instant-sleep.js";
import { fileBytes, type ResultServer, startResultServer } from "./support/result-server.js";

// A retry's back-off takes no real time here (it was half a second per retried download); the delays asked for are
// in `slept`.
vi.mock("../src/internal/scope.js", async (original) =>
  (await import("./support/instant-sleep.js")).instantSleep(original),
);

const SIZE = 200_000;
let host: ResultServer;
let dir: string;

beforeAll(async () => {
  host = await startResultServer();
});
afterAll(() => host.close());
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "kling-dl-resume-"));
  host.seen.length = 0;
  host.files.clear();
  slept.length = 0;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const transports: [string, FileDownloadOptions][] = [
  ["node:http", { allowInsecure: true }],
  ["fetch", { allowInsecure: true, fetch: (input, init) => globalThis.fetch(input, init) }],
];

const parts = () => readdirSync(dir).filter((f) => f.endsWith(".part"));

describe.each(transports)("resume via %s", (_name, base) => {
  it("a cut-off download keeps its part and reports where it is; a later call asks only for the rest", async () => {
    host.files.set("a.mp4", { size: SIZE, etag: '"etag-1"', cutAt: 120_000 });
    const dest = path.join(dir, "a.mp4");
    writeFileSync(dest, "previous");
    const states: (DownloadResumeState | null)[] = [];
    const existedWhenReported: boolean[] = [];
    const err = (await downloadToFile(`${host.base}/file/a.mp4`, dest, {
      ...base,
      retries: 0,
      onResumeState: (s) => {
        states.push(s);
        existedWhenReported.push(s !== null && existsSync(s.partPath));
      },
    }).catch((e: unknown) => e)) as DownloadError;
    expect(err).toBeInstanceOf(DownloadError);
    expect(err.reason).toBe("truncated");
    const state = err.resumeState as DownloadResumeState;
    expect(state).toMatchObject({ validator: '"etag-1"', total: SIZE });
    // What reached the file before the cut is kept (the server wrote 120,000; the socket's unread buffer is lost).
    expect(state.bytes).toBeGreaterThan(0);
    expect(state.bytes).toBeLessThanOrEqual(120_000);
    expect(statSync(state.partPath).size).toBe(state.bytes);
    expect(path.dirname(state.partPath)).toBe(dir);
    expect(parts()).toEqual([path.basename(state.partPath)]);
    // Write-ahead: the first report comes before the part file exists; the last one is the error's state.
    expect(existedWhenReported[0]).toBe(false);
    expect(states.at(-1)).toEqual(state);
    expect(readFileSync(dest, "utf8")).toBe("previous");

    host.seen.length = 0;
    const after: (DownloadResumeState | null)[] = [];
    const progress: [number, number | null][] = [];
    const result = await downloadToFile(`${host.base}/file/a.mp4`, dest, {
      ...base,
      resume: JSON.parse(JSON.stringify(state)),
      onResumeState: (s) => {
        after.push(s);
      },
      onProgress: (b, t) => progress.push([b, t]),
    });
    expect(result.bytes).toBe(SIZE);
    expect(readFileSync(dest).equals(fileBytes(SIZE))).toBe(true);
    expect(host.seen).toHaveLength(1);
    expect(host.seen[0]?.headers.range).toBe(`bytes=${state.bytes}-`);
    expect(host.seen[0]?.headers["if-range"]).toBe('"etag-1"');
    expect(host.seen[0]?.status).toBe(206);
    expect(host.seen[0]?.sent).toBe(SIZE - state.bytes);
    expect(progress[0]?.[0]).toBeGreaterThan(state.bytes);
    expect(progress.at(-1)).toEqual([SIZE, SIZE]);
    expect(after).toEqual([null]);
    expect(parts()).toEqual([]);
  });

  it("resumes within the same call's retries", async () => {
    host.files.set("b.mp4", { size: SIZE, etag: '"etag-b"', cutAt: 50_000 });
    const dest = path.join(dir, "b.mp4");
    const result = await downloadToFile(`${host.base}/file/b.mp4`, dest, { ...base, retries: 1 });
    expect(readFileSync(result.path).equals(fileBytes(SIZE))).toBe(true);
    expect(host.seen.map((s) => [s.status, s.headers.range, s.sent])).toEqual([
      [200, undefined, 50_000],
      [206, "bytes=50000-", SIZE - 50_000],
    ]);
    expect(parts()).toEqual([]);
    // The retry waited the first back-off (500 ms less up to 25% jitter).
    expect(slept).toHaveLength(1);
    expect(slept[0]).toBeGreaterThanOrEqual(375);
    expect(slept[0]).toBeLessThanOrEqual(500);
  });

  it("a body of many chunks cut after the part file's write buffer fills: the part holds exactly the bytes in order", async () => {
    // Megabytes, so that chunks queue in the part file's write buffer (gathered into one writev when a write lands)
    // when the cut comes: ending the file must flush them, in order, before the state is reported.
    const size = 1536 * 1024;
    const cutAt = 1024 * 1024 + 12_345;
    const whole = fileBytes(size);
    host.files.set("m.mp4", { size, etag: '"etag-m"', cutAt });
    const dest = path.join(dir, "m.mp4");
    const err = (await downloadToFile(`${host.base}/file/m.mp4`, dest, { ...base, retries: 0 }).catch(
      (e: unknown) => e,
    )) as DownloadError;
    const state = err.resumeState as DownloadResumeState;
    expect(err.reason).toBe("truncated");
    expect(state.bytes).toBeGreaterThan(0);
    expect(state.bytes).toBeLessThanOrEqual(cutAt);
    expect(readFileSync(state.partPath).equals(whole.subarray(0, state.bytes))).toBe(true);
    const result = await downloadToFile(`${host.base}/file/m.mp4`, dest, { ...base, resume: state });
    expect(readFileSync(result.path).equals(whole)).toBe(true);
    expect(parts()).toEqual([]);
  });
  it("uses Last-Modified when there is no strong ETag", async () => {
    const lastModified = "Tue, 01 Dec 2026 10:00:00 GMT";
    host.files.set("c.mp4", { size: SIZE, etag: 'W/"weak"', lastModified, cutAt: 10_000 });
    const err = (await downloadToFile(`${host.base}/file/c.mp4`, path.join(dir, "c.mp4"), {
      ...base,
      retries: 0,
    }).catch((e: unknown) => e)) as DownloadError;
    expect(err.resumeState?.validator).toBe(lastModified);
  });

  it.each([
    ["the server ignores Range (200)", { ignoreRange: true }],
    ["the file changed (If-Range no longer matches)", { etag: '"etag-2"' }],
    ["the server answers 416", { refuseRange: true }],
  ])("restarts from zero when %s", async (_case, change) => {
    host.files.set("d.mp4", { size: SIZE, etag: '"etag-1"', cutAt: 80_000 });
    const dest = path.join(dir, "d.mp4");
    const err = (await downloadToFile(`${host.base}/file/d.mp4`, dest, { ...base, retries: 0 }).catch(
      (e: unknown) => e,
    )) as DownloadError;
    host.files.set("d.mp4", { size: SIZE, etag: '"etag-1"', ...change });
    host.seen.length = 0;
    const result = await downloadToFile(`${host.base}/file/d.mp4`, dest, {
      ...base,
      resume: err.resumeState as DownloadResumeState,
    });
    expect(readFileSync(result.path).equals(fileBytes(SIZE))).toBe(true);
    expect(host.seen.at(-1)?.status).toBe(200);
    expect(host.seen.at(-1)?.sent).toBe(SIZE);
    expect(parts()).toEqual([]);
  });

  it("deletes the part when the failure cannot be resumed (no validator)", async () => {
    host.files.set("e.mp4", { size: SIZE, cutAt: 1000 });
    const err = (await downloadToFile(`${host.base}/file/e.mp4`, path.join(dir, "e.mp4"), {
      ...base,
      retries: 0,
    }).catch((e: unknown) => e)) as DownloadError;
    expect(err.reason).toBe("truncated");
    expect(err.resumeState).toBeUndefined();
    expect(readdirSync(dir)).toEqual([]);
  });

  it("ignores a resume state that does not name this destination's part, and never writes to it", async () => {
    host.files.set("f.mp4", { size: SIZE, etag: '"f"' });
    const elsewhere = path.join(dir, "precious.txt");
    writeFileSync(elsewhere, "do not append to me");
    const logger = recordingLogger();
    const result = await downloadToFile(`${host.base}/file/f.mp4`, path.join(dir, "f.mp4"), {
      ...base,
      logger: logger.logger,
      resume: { partPath: elsewhere, bytes: 19, validator: '"f"', total: SIZE },
    });
    expect(readFileSync(result.path).equals(fileBytes(SIZE))).toBe(true);
    expect(readFileSync(elsewhere, "utf8")).toBe("do not append to me");
    expect(host.seen[0]?.headers.range).toBeUndefined();
    expect(logger.lines.some((l) => l.level === "warn" && /resume state/.test(l.message))).toBe(true);
  });

  it("cleans up a stale part nobody owns, keeps a fresh one and the one it resumes", async () => {
    host.files.set("g.mp4", { size: SIZE, etag: '"g"' });
    const stale = path.join(dir, ".g.mp4.aaaaaaaaaaaa.part");
    const fresh = path.join(dir, ".g.mp4.bbbbbbbbbbbb.part");
    const other = path.join(dir, ".other.mp4.cccccccccccc.part");
    for (const f of [stale, fresh, other]) writeFileSync(f, "x");
    const old = (Date.now() - STALE_PART_MS - 60_000) / 1000;
    utimesSync(stale, old, old);
    utimesSync(other, old, old);
    await downloadToFile(`${host.base}/file/g.mp4`, path.join(dir, "g.mp4"), base);
    expect(readdirSync(dir).sort()).toEqual([".g.mp4.bbbbbbbbbbbb.part", ".other.mp4.cccccccccccc.part", "g.mp4"]);
  });
});

describe("expiresAt", () => {
  it("past it: DownloadError expired, nothing sent, no file (file and blob)", async () => {
    host.files.set("h.mp4", { size: 100, etag: '"h"' });
    const url = `${host.base}/file/h.mp4`;
    const expiresAt = Date.now() - 1000;
    const file = (await downloadToFile(url, path.join(dir, "h.mp4"), { allowInsecure: true, expiresAt }).catch(
      (e: unknown) => e,
    )) as DownloadError;
    const blob = (await downloadBlob(url, { allowInsecure: true, expiresAt }).catch(
      (e: unknown) => e,
    )) as DownloadError;
    for (const err of [file, blob]) {
      expect(err).toBeInstanceOf(DownloadError);
      expect(err.reason).toBe("expired");
    }
    expect(host.seen).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("under an hour left: downloads, with a warning through the logger; more left: no warning", async () => {
    host.files.set("i.mp4", { size: 100, etag: '"i"' });
    const url = `${host.base}/file/i.mp4`;
    const soon = recordingLogger();
    await downloadToFile(url, path.join(dir, "i.mp4"), {
      allowInsecure: true,
      logger: soon.logger,
      expiresAt: Date.now() + 10 * 60_000,
    });
    expect(soon.lines.filter((l) => l.level === "warn").map((l) => l.message)).toEqual([
      expect.stringMatching(/expires in (9|10) min/),
    ]);
    const later = recordingLogger();
    await downloadToFile(url, path.join(dir, "i.mp4"), {
      allowInsecure: true,
      logger: later.logger,
      expiresAt: Date.now() + RESULT_EXPIRY_WARNING_MS + 60_000,
    });
    expect(later.lines.filter((l) => l.level === "warn")).toEqual([]);
  });

  it("refuses nonsense with a TypeError naming the option", async () => {
    await expect(downloadToFile(`${host.base}/x`, dir, { expiresAt: Number.NaN })).rejects.toThrow(/expiresAt/);
    await expect(downloadToFile(`${host.base}/x`, dir, { retries: -1 })).rejects.toThrow(/retries/);
  });
});
