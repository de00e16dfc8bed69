import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TaskDetail, VideoGenerationResponse } from "../../src/mock/engine.js";
import { type MockServer, startMockServer } from "../../src/mock/index.js";
import { parseRange, sampleVideo } from "../../src/mock/results.js";
import { SAMPLE_VIDEO_SIZE } from "../../src/mock/sample-video.js";
import { EXAMPLE_REQUEST, FakeClock, headers } from "./helpers.js";

const clock = new FakeClock();
const TTL = 60_000;
let mock: MockServer;

beforeAll(async () => {
  mock = await startMockServer({ port: 0, clock, seed: 11, resultTtlMs: TTL });
});
afterAll(() => mock.close());

/** Creates a task, runs the clock to its end, and returns its result URL. */
async function completedResult(): Promise<{ id: string; url: string }> {
  const res = await fetch(`${mock.url}/v1/videos/generations`, {
    method: "POST",
    headers: headers(),
    body: JSON.stringify(EXAMPLE_REQUEST),
  });
  const { id } = (await res.json()) as VideoGenerationResponse;
  const task = mock.engine.get(id);
  if (!task) throw new Error("missing task");
  clock.ms = Math.max(clock.ms, mock.engine.terminalAt(task));
  const detail = (await (await fetch(`${mock.url}/v1/tasks/${id}`, { headers: headers() })).json()) as TaskDetail;
  return { id, url: detail.results?.[0] ?? "" };
}

describe("the sample video", () => {
  it("is a small MP4 (ISO BMFF, ftyp then moov first for progressive playback) of the recorded size", () => {
    const bytes = sampleVideo();
    expect(bytes.length).toBe(SAMPLE_VIDEO_SIZE);
    expect(bytes.length).toBeGreaterThan(2_000);
    expect(bytes.length).toBeLessThan(50_000);
    const text = new TextDecoder("latin1");
    expect(text.decode(bytes.subarray(4, 8))).toBe("ftyp");
    const ftypSize = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0);
    expect(text.decode(bytes.subarray(ftypSize + 4, ftypSize + 8))).toBe("moov"); // +faststart
    expect(text.decode(bytes)).toContain("avc1"); // H.264
  });
});

describe("result downloads", () => {
  it("serves the whole file with its type and length, and HEAD without a body", async () => {
    const { url } = await completedResult();
    const head = await fetch(url, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe(String(SAMPLE_VIDEO_SIZE));
    expect(head.headers.get("content-type")).toBe("video/mp4");
    expect((await head.arrayBuffer()).byteLength).toBe(0);
    const full = await fetch(url);
    expect(new Uint8Array(await full.arrayBuffer())).toEqual(sampleVideo());
  });

  it.each([
    ["bytes=0-99", 0, 99],
    ["bytes=100-", 100, SAMPLE_VIDEO_SIZE - 1],
    ["bytes=-200", SAMPLE_VIDEO_SIZE - 200, SAMPLE_VIDEO_SIZE - 1],
    ["bytes=10-999999", 10, SAMPLE_VIDEO_SIZE - 1],
  ])("answers Range %s with 206 and that slice", async (range, start, end) => {
    const { url } = await completedResult();
    const res = await fetch(url, { headers: { range } });
    expect(res.status).toBe(206);
    expect(res.headers.get("content-range")).toBe(`bytes ${start}-${end}/${SAMPLE_VIDEO_SIZE}`);
    expect(res.headers.get("content-length")).toBe(String(end - start + 1));
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(sampleVideo().subarray(start, end + 1));
  });

  it("answers 416 with the size for a range past the end", async () => {
    const { url } = await completedResult();
    const res = await fetch(url, { headers: { range: `bytes=${SAMPLE_VIDEO_SIZE}-` } });
    expect(res.status).toBe(416);
    expect(res.headers.get("content-range")).toBe(`bytes */${SAMPLE_VIDEO_SIZE}`);
  });

  it("answers 404 before the task completes and for an unknown file", async () => {
    const res = await fetch(`${mock.url}/v1/videos/generations`, {
      method: "POST",
      headers: headers(),
      body: JSON.stringify(EXAMPLE_REQUEST),
    });
    const { id } = (await res.json()) as VideoGenerationResponse;
    const early = await fetch(`${mock.url}/__mock/results/${id}.mp4`);
    expect(early.status).toBe(404);
    expect(((await early.json()) as { error: { message: string } }).error.message).toMatch(/pending|processing/);
    expect((await fetch(`${mock.url}/__mock/results/nothing.mp4`)).status).toBe(404);
  });

  it("expires links resultTtlMs after completion with a 410 that says so", async () => {
    const { id, url } = await completedResult();
    const task = mock.engine.get(id);
    if (!task) throw new Error("missing task");
    clock.ms = mock.engine.terminalAt(task) + TTL - 1;
    expect((await fetch(url)).status).toBe(200);
    clock.ms += 1;
    const res = await fetch(url);
    expect(res.status).toBe(410);
    const body = (await res.json()) as { error: { code: number; message: string } };
    expect(body.error.code).toBe(410);
    expect(body.error.message).toMatch(/expired at .*valid for 60 s/);
  });

  it("cuts the body off half-way with Prefer: scenario=reset, after announcing the full length", async () => {
    const { url } = await completedResult();
    const res = await fetch(url, { headers: { prefer: "scenario=reset" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-length")).toBe(String(SAMPLE_VIDEO_SIZE));
    await expect(res.arrayBuffer()).rejects.toThrow(TypeError);
  });
});

describe("result links", () => {
  it("point at the address the client used (a port mapping, another machine), read from Host", async () => {
    const { id } = await completedResult();
    const body = await new Promise<string>((resolve, reject) => {
      const req = request(
        {
          host: "127.0.0.1",
          port: mock.port,
          path: `/v1/tasks/${id}`,
          headers: { ...headers(), host: "mock.example.test:8080" },
        },
        (res) => {
          let text = "";
          res.on("data", (chunk) => {
            text += chunk;
          });
          res.on("end", () => resolve(text));
        },
      );
      req.on("error", reject);
      req.end();
    });
    expect((JSON.parse(body) as TaskDetail).results).toEqual([
      `http://mock.example.test:8080/__mock/results/${id}.mp4`,
    ]);
  });
});

describe("parseRange", () => {
  it.each<[string | null, ReturnType<typeof parseRange>]>([
    [null, null],
    ["bytes=0-0", { start: 0, end: 0 }],
    ["bytes=5-", { start: 5, end: 99 }],
    ["bytes=-10", { start: 90, end: 99 }],
    ["bytes=-1000", { start: 0, end: 99 }],
    ["bytes=50-10", null],
    ["bytes=100-", "unsatisfiable"],
    ["bytes=-0", "unsatisfiable"],
    ["bytes=0-1,5-6", null], // several ranges: the whole file (RFC 9110 lets a server ignore Range)
    ["items=0-1", null],
    ["bytes=-", null],
  ])("%s of 100 bytes -> %j", (header, want) => {
    expect(parseRange(header, 100)).toEqual(want);
  });
});
