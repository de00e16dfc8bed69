import { describe, expect, it } from "vitest";
import { checkLifecycle, checkResultDownload, looksLikeVideo } from "../../src/verify/lifecycle.js";
import type { Exchange } from "../../src/verify/types.js";
import { exchange } from "./helpers.js";

describe("checkLifecycle", () => {
  const id = "task-unified-1";
  const poll = (status: string, progress: number, extra: Record<string, unknown> = {}) =>
    exchange("getTaskDetail", 200, { id, status, progress, ...extra });
  const done = { results: ["https://example.com/r.mp4"] };
  const cases: [string, { given: Exchange[]; want: string[] }][] = [
    [
      "pending -> processing -> completed",
      { given: [poll("pending", 0), poll("processing", 40), poll("completed", 100, done)], want: [] },
    ],
    ["a poll may skip processing", { given: [poll("pending", 0), poll("completed", 100, done)], want: [] }],
    [
      "transient errors between polls are skipped",
      { given: [poll("pending", 0), exchange("getTaskDetail", 503, {}), poll("processing", 10)], want: [] },
    ],
    ["back to pending", { given: [poll("processing", 40), poll("pending", 40)], want: ["lifecycle:transition"] }],
    ["progress decreasing", { given: [poll("processing", 40), poll("processing", 30)], want: ["lifecycle:progress"] }],
    [
      "a terminal state changing",
      {
        given: [poll("completed", 100, done), poll("failed", 100)],
        want: ["lifecycle:terminal-changed", "lifecycle:failure-reason", "lifecycle:failure-code"],
      },
    ],
    [
      "results vanishing after completion",
      {
        given: [poll("completed", 100, done), poll("completed", 100)],
        want: ["lifecycle:terminal-changed", "result:missing"],
      },
    ],
    ["another task's id", { given: [poll("pending", 0, { id: "other" })], want: ["lifecycle:id"] }],
    [
      "a failure without a reason",
      { given: [poll("failed", 10, { error: { code: "x", message: " " } })], want: ["lifecycle:failure-reason"] },
    ],
  ];
  it.each(cases)("%s", (_, { given, want }) => {
    expect(checkLifecycle(given, id).map((v) => v.rule)).toEqual(want);
  });
});

describe("result downloads", () => {
  const mp4 = new Uint8Array([0, 0, 0, 24, 0x66, 0x74, 0x79, 0x70, 0x69, 0x73, 0x6f, 0x6d]);
  const webm = new Uint8Array([0x1a, 0x45, 0xdf, 0xa3, 0, 0, 0, 0]);
  it("recognises MP4/MOV and WebM openings, not HTML", () => {
    expect(looksLikeVideo(mp4)).toBe(true);
    expect(looksLikeVideo(webm)).toBe(true);
    expect(looksLikeVideo(new TextEncoder().encode("<!doctype html>"))).toBe(false);
  });
  it.each([
    ["a video", { status: 200, type: "video/mp4", head: mp4 }, []],
    ["octet-stream bytes of a video", { status: 200, type: "application/octet-stream", head: mp4 }, []],
    ["an expired link", { status: 410, type: "application/json", head: mp4 }, ["result:download"]],
    [
      "an HTML page",
      { status: 200, type: "text/html", head: new Uint8Array(8) },
      ["result:content-type", "result:not-video"],
    ],
    ["no response", { status: null, type: "", head: new Uint8Array() }, ["result:download"]],
  ] as const)("%s", (_, given, want) => {
    const download = {
      url: "http://x/r.mp4",
      status: given.status,
      headers: { "content-type": given.type },
      head: given.head,
    };
    expect(checkResultDownload("getTaskDetail", { ...download, error: "refused" }).map((v) => v.rule)).toEqual(want);
  });
});
