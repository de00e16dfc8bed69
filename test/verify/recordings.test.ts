/** Recordings: credentials removed before writing, the shape drift live reads, and the folder round trip. */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readRecordings, recordingProblems, toRecording, writeRecording } from "../../src/verify/recordings.js";
import type { Exchange } from "../../src/verify/types.js";

const KEY = "sk-live-0123456789abcdef";

const exchange: Exchange = {
  operationId: "getTaskDetail",
  request: {
    method: "GET",
    path: `/v1/tasks/task-unified-1?key=${KEY}`,
    headers: { authorization: `Bearer ${KEY}`, "x-api-key": KEY, accept: "application/json", "x-echo": `k=${KEY}` },
    body: null,
  },
  response: {
    status: 401,
    headers: { "content-type": "application/json", "set-cookie": "session=abc", "www-authenticate": "Bearer" },
    body: { error: { code: 401, message: `token ${KEY} is invalid` } },
  },
};

describe("recordings", () => {
  it("remove the Authorization header, key headers, cookies and every occurrence of the key", () => {
    const recording = toRecording(exchange, "live", [KEY], new Date("2026-01-02T03:04:05Z"));
    const text = JSON.stringify(recording);
    expect(text).not.toContain(KEY);
    expect(recording.request.headers).toEqual({ accept: "application/json", "x-echo": "k=[REDACTED]" });
    expect(recording.response.headers).toEqual({ "content-type": "application/json", "www-authenticate": "Bearer" });
    expect(recording.request.path).toBe("/v1/tasks/task-unified-1?key=[REDACTED]");
    expect(recording.recordedAt).toBe("2026-01-02T03:04:05.000Z");
    expect(recordingProblems(recording)).toEqual([]);
  });

  // Issue 11 item 8: a key from a CRLF .env file goes out (and is echoed) trimmed; recordings used the raw form.
  it("remove the key in the form it was sent when it was given with a trailing \\r\\n", () => {
    const text = JSON.stringify(toRecording(exchange, "live", [`${KEY}\r\n`]));
    expect(text).not.toContain(KEY);
  });

  it("round-trip through a directory", async () => {
    const dir = await mkdtemp(join(tmpdir(), "recordings-"));
    try {
      const file = await writeRecording(toRecording(exchange, "live", [KEY]), dir);
      expect(file).toMatch(/live-getTaskDetail-401-.*\.json$/);
      expect(JSON.parse(await readFile(file, "utf8")).operationId).toBe("getTaskDetail");
      const [read] = await readRecordings(dir);
      expect(recordingProblems(read?.value)).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ["not an object", [], ["not a JSON object"]],
    [
      "a kept credential",
      {
        ...toRecording(exchange, "live", [KEY]),
        request: { ...exchange.request, headers: { authorization: "Bearer x" } },
      },
      ["a credential header was kept: authorization"],
    ],
    [
      "a missing status",
      { ...toRecording(exchange, "live", [KEY]), response: { headers: {}, body: null } },
      ["response must have an integer status"],
    ],
  ] as const)("flag %s", (_, value, want) => {
    expect(recordingProblems(value)).toEqual(want);
  });
});

describe("recordingProblems names each broken part", () => {
  const sound = toRecording(exchange, "live", [KEY]);
  it.each([
    ["a bad time", { ...sound, recordedAt: "yesterday" }, ["recordedAt must be an ISO-8601 time"]],
    ["an empty target", { ...sound, target: "" }, ["target must be a non-empty string"]],
    ["a numeric operationId", { ...sound, operationId: 7 }, ["operationId must be a string"]],
    [
      "a request without a path",
      { ...sound, request: { method: "GET" } },
      ["request must have method and path strings"],
    ],
    [
      "numeric request headers",
      { ...sound, request: { ...sound.request, headers: { a: 1 } } },
      ["request.headers must map names to strings"],
    ],
    [
      "a request without body",
      { ...sound, request: { method: "GET", path: "/", headers: {} } },
      ["request.body must be present (null when there is none)"],
    ],
    [
      "a fractional status",
      { ...sound, response: { ...sound.response, status: 200.5 } },
      ["response must have an integer status"],
    ],
    [
      "a response without body",
      { ...sound, response: { status: 200, headers: {} } },
      ["response.body must be present"],
    ],
    [
      "a bearer value under another name",
      { ...sound, response: { ...sound.response, headers: { "x-token": "Bearer abc" } } },
      ["a credential header was kept: x-token"],
    ],
  ] as const)("%s", (_, value, want) => {
    expect(recordingProblems(value)).toEqual(want);
  });
});

describe("readRecordings", () => {
  it("reads *.json in name order, keeps a file that is not JSON as its text, and finds nothing in a missing folder", async () => {
    const dir = await mkdtemp(join(tmpdir(), "recordings-"));
    try {
      await writeFile(join(dir, "b.json"), '{"n":2}');
      await writeFile(join(dir, "a.json"), "{ torn");
      await writeFile(join(dir, "c.txt"), "{}");
      expect(await readRecordings(dir)).toEqual([
        { file: "a.json", value: "{ torn" },
        { file: "b.json", value: { n: 2 } },
      ]);
      expect(await readRecordings(join(dir, "missing"))).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("writeRecording names files so that two recordings in one millisecond never collide", async () => {
    const dir = await mkdtemp(join(tmpdir(), "recordings-"));
    try {
      const recording = toRecording(exchange, "mock", [KEY], new Date("2026-01-02T03:04:05Z"));
      const [a, b] = await Promise.all([writeRecording(recording, dir), writeRecording(recording, dir)]);
      expect(a).not.toBe(b);
      expect(a).toMatch(/mock-getTaskDetail-401-2026-01-02T03-04-05-000Z-\d+-\d+\.json$/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
