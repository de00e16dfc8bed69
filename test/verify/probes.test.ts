/**
 * The probes against a fake API made of the spec's own examples (an injected fetch, a no-op sleep): how a task is
 * followed, what ends the following, and what each probe holds an answer to.
 */
import { describe, expect, it } from "vitest";
import type { BadRequestCase } from "../../src/verify/bad-requests.js";
import type { Target } from "../../src/verify/http.js";
import {
  deliveryTaskId,
  exampleTaskId,
  Probe,
  probeBadRequest,
  probeLifecycle,
  probeUnknownTask,
  queryOnDelivery,
} from "../../src/verify/probes.js";
import { operationTable } from "../../src/verify/types.js";

const created = operationTable.createVideoGeneration?.responses["200"]?.body?.example as Record<string, unknown>;
const tasks = operationTable.getTaskDetail?.responses["200"]?.body?.examples as Record<string, Record<string, unknown>>;
const ID = created.id as string;
const MP4 = new Uint8Array([0, 0, 0, 24, 0x66, 0x74, 0x79, 0x70, 0x69, 0x73, 0x6f, 0x6d]);
const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

/** A fake API: the create answers the spec's example, each poll the next answer (the last repeats). */
function api(polls: (Response | (() => Response))[], createAnswer: () => Response = () => json(200, created)) {
  const calls: string[] = [];
  let poll = 0;
  const target: Target = {
    name: "fake",
    baseUrl: "http://api.test",
    token: "k",
    fetch: (async (url: string, init: RequestInit = {}) => {
      calls.push(`${init.method ?? "GET"} ${url}`);
      if (url.startsWith("https://example.com/results/"))
        return new Response(MP4, { headers: { "content-type": "video/mp4" } });
      if (init.method === "POST") return createAnswer();
      const next = polls[Math.min(poll++, polls.length - 1)];
      return typeof next === "function" ? next() : (next as Response).clone();
    }) as typeof fetch,
  };
  return { target, calls };
}
const noSleep = async () => {};

describe("probeLifecycle", () => {
  it("follows a task from its create to its end, polls once more to see it stay, and downloads the result", async () => {
    const { target, calls } = api([json(200, tasks.video_processing), json(200, tasks.video_completed)]);
    const result = await probeLifecycle(target, { sleep: noSleep });
    expect(result.violations.map((v) => `${v.rule}: ${v.message}`)).toEqual([]);
    expect(result.evaluated).toEqual(
      expect.arrayContaining([
        "task-visible",
        "status-order",
        "progress-monotonic",
        "task-finishes",
        "result-url",
        "terminal-sticky",
      ]),
    );
    expect(result.notes).toEqual([`task ${ID} ended completed after 3 polls`]);
    expect(calls.filter((c) => c.startsWith("GET http://api.test"))).toHaveLength(3);
    expect(calls.at(-1)).toBe(`GET ${(tasks.video_completed?.results as string[] | undefined)?.[0]}`);
  });

  it("gives up after maxPolls, pausing between polls (not before the first), naming the last status", async () => {
    const { target } = api([json(200, tasks.video_processing)]);
    const pauses: number[] = [];
    const result = await probeLifecycle(target, {
      maxPolls: 3,
      pollIntervalMs: 1234,
      sleep: async (ms) => {
        pauses.push(ms);
      },
    });
    expect(pauses).toEqual([1234, 1234]);
    expect(result.violations.map((v) => [v.check, v.rule, v.message])).toEqual([
      ["task-finishes", "lifecycle:not-terminal", `task ${ID} still processing after 3 polls`],
    ]);
  });

  it("a created task unknown to the query is lost: once right after the create, and it stops at the second", async () => {
    const notFound = () => json(404, { error: { code: 404, message: "task not found", type: "not_found_error" } });
    const { target, calls } = api([notFound]);
    const result = await probeLifecycle(target, { sleep: noSleep, maxPolls: 10 });
    expect(result.violations.filter((v) => v.rule === "lifecycle:lost").map((v) => v.message)).toEqual([
      `the task ${ID} the create response returned is unknown right after its create`,
      `the task ${ID} the create response returned is unknown at poll 2`,
    ]);
    expect(calls.filter((c) => c.startsWith("GET"))).toHaveLength(2);
  });

  it("holds the task to the outcome the target promised", async () => {
    const { target } = api([json(200, tasks.video_failed)]);
    const result = await probeLifecycle(target, { sleep: noSleep, expectOutcome: "completed", download: false });
    expect(result.violations.map((v) => v.rule)).toContain("expected-outcome");
    expect(result.evaluated).toContain("failure-reason");
  });

  it("stops with a note when the create names no task, and with a violation when it is refused", async () => {
    const noId = api([], () => json(200, { ...created, id: undefined }));
    expect((await probeLifecycle(noId.target, { sleep: noSleep })).notes).toEqual([
      "no task id in the create response: nothing to follow",
    ]);
    const refused = api([], () => json(503, { error: { code: 503, message: "busy", type: "service_unavailable" } }));
    const result = await probeLifecycle(refused.target, { sleep: noSleep });
    expect(result.violations.map((v) => v.check)).toContain("task-visible");
  });
});

describe("single-request probes", () => {
  it("a request without an answer is a server-answers transport violation, not a throw", async () => {
    const target: Target = {
      name: "down",
      baseUrl: "http://api.test",
      token: "k",
      fetch: (async () => {
        throw new TypeError("fetch failed");
      }) as typeof fetch,
    };
    const probe = new Probe(target, "p");
    expect(await probe.send("getTaskDetail", { params: { task_id: "t" } })).toBeUndefined();
    expect(probe.result.violations.map((v) => [v.check, v.rule, v.status])).toEqual([
      ["server-answers", "transport", null],
    ]);
    expect(probe.result.evaluated).toEqual(["server-answers"]);
    await expect(probe.send("nope")).rejects.toThrow("unknown operation nope");
  });

  it("an unknown task must be a 404", async () => {
    const ok = await probeUnknownTask(
      api([json(404, { error: { code: 404, message: "no", type: "not_found_error" } })]).target,
    );
    expect(ok.violations).toEqual([]);
    expect(ok.evaluated).toContain("unknown-task-404");
    const found = await probeUnknownTask(api([json(200, tasks.video_processing)]).target);
    expect(found.violations.map((v) => [v.check, v.rule])).toContainEqual(["unknown-task-404", "expected-status"]);
  });

  const missingSource: BadRequestCase = {
    name: "no video",
    rule: "required",
    kind: "schema",
    body: { model: "kling-o1-video-edit", prompt: "p" },
  };

  it("a bad request must be a 400, naming the broken field when asked", async () => {
    const wrongParam = () =>
      json(400, { error: { code: 400, message: "bad", type: "invalid_request_error", param: "prompt" } });
    const result = await probeBadRequest(api([], wrongParam).target, missingSource, { expectParam: true });
    expect(result.violations.map((v) => [v.rule, v.message])).toEqual([
      ["error-param", 'is "prompt", the broken field is video_urls'],
    ]);
    const accepted = await probeBadRequest(api([]).target, missingSource);
    expect(accepted.violations.map((v) => [v.check, v.rule])).toContainEqual([
      "invalid-bodies-rejected",
      "expected-status",
    ]);
  });

  it("refuses to send a case that no longer breaks the rule it names", async () => {
    const { target, calls } = api([]);
    const valid = operationTable.createVideoGeneration?.requestBody?.examples?.video_edit;
    const stale: BadRequestCase = { name: "stale", rule: "required", kind: "schema", body: valid };
    await expect(probeBadRequest(target, stale)).rejects.toThrow('bad-request case "stale" no longer breaks required');
    expect(calls).toEqual([]);
  });
});

describe("callback helpers", () => {
  it.each([
    [{ body: { id: "t1" } }, "t1"],
    [{ body: '{"id":"t2"}' }, "t2"],
    [{ body: "not json" }, undefined],
    [{ body: { id: 7 } }, undefined],
    [{ body: null }, undefined],
  ])("deliveryTaskId(%j) is %j", (delivery, want) => {
    expect(deliveryTaskId(delivery)).toBe(want);
  });

  it("queryOnDelivery queries the task a delivery names, and sends nothing for one that names none", async () => {
    const { target, calls } = api([json(200, tasks.video_completed)]);
    const query = queryOnDelivery(target);
    expect(await query({ body: "garbage" })).toBeUndefined();
    expect(calls).toEqual([]);
    const exchange = await query({ body: { id: ID } });
    expect(exchange?.request.path).toBe(`/v1/tasks/${ID}`);
  });

  it("exampleTaskId is the create example's id", () => {
    expect(exampleTaskId()).toBe(ID);
  });
});
