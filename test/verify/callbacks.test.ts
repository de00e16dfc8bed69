/**
 * The callback series checks on recorded timestamps (no clock, no sleep): the spec's 1/2/4 s retries and 10 s
 * timeout, row by row, at the real scale and at a test server's scale.
 */
import { describe, expect, it } from "vitest";
import {
  type CallbackTiming,
  callbackTiming,
  checkCallbackDelivery,
  checkCallbackSeries,
  type ReceivedDelivery,
  type ReceiverMode,
} from "../../src/verify/callbacks.js";
import { exchange, JSON_TYPE } from "./helpers.js";

const delivery = { method: "POST", path: "/hooks/x-1", headers: {}, body: {} };

/** Deliveries starting at the given times (ms), each answered `answered` ms later with `status`. */
function series(starts: number[], status: number | undefined, lasts = 5): ReceivedDelivery[] {
  return starts.map((at) => ({
    delivery,
    receivedAt: at,
    endedAt: at + lasts,
    ...(status === undefined ? {} : { answered: status }),
  }));
}

const spec = callbackTiming(1);
type Row = [string, { mode: ReceiverMode; given: ReceivedDelivery[]; timing?: CallbackTiming; want: string[] }];

const rows: Row[] = [
  ["ack: one delivery", { mode: "ack", given: series([0], 204), want: [] }],
  ["ack: none", { mode: "ack", given: [], want: ["callback:not-delivered"] }],
  ["ack: sent again after a 2xx", { mode: "ack", given: series([0, 1000], 204), want: ["callback:duplicate"] }],
  // Each retry comes its delay after the previous answer ended (5 ms after it arrived).
  ["fail: 1/2/4 s, 3 retries", { mode: "fail", given: series([0, 1005, 3010, 7015], 500), want: [] }],
  ["fail: a little late is fine", { mode: "fail", given: series([0, 1500, 3900, 8900], 500), want: [] }],
  ["fail: no retry", { mode: "fail", given: series([0], 500), want: ["callback:not-retried"] }],
  ["fail: two retries", { mode: "fail", given: series([0, 1005, 3010], 500), want: ["callback:too-few-retries"] }],
  [
    "fail: five retries",
    { mode: "fail", given: series([0, 1005, 3010, 7015, 15020, 15100], 500), want: ["callback:too-many-retries"] },
  ],
  [
    "fail: retried at once",
    {
      mode: "fail",
      given: series([0, 10, 20, 30], 500),
      want: ["callback:retry-early", "callback:retry-early", "callback:retry-early"],
    },
  ],
  [
    "fail: retry 3 after 20 s",
    { mode: "fail", given: series([0, 1005, 3010, 23015], 500), want: ["callback:retry-late"] },
  ],
  // slow: the first attempt is held; the sender gives up at 10 s and retries 1 s later.
  [
    "slow: gave up at 10 s",
    { mode: "slow", given: [...series([0], undefined, 10_000), ...series([11_000], 204)], want: [] },
  ],
  [
    "slow: waited for the answer",
    { mode: "slow", given: series([0], 204, 20_300), want: ["callback:slow-not-given-up"] },
  ],
  [
    "slow: gave up after 1 s",
    {
      mode: "slow",
      given: [...series([0], undefined, 1000), ...series([2000], 204)],
      want: ["callback:timeout-early"],
    },
  ],
  [
    "slow: retried after 40 s",
    {
      mode: "slow",
      given: [...series([0], undefined, 30_000), ...series([40_000], 204)],
      want: ["callback:timeout-late"],
    },
  ],
  // A server ten times faster, judged at its own scale: the same schedule in a tenth of the time passes.
  ["fail at scale 10", { mode: "fail", timing: callbackTiming(10), given: series([0, 105, 310, 715], 500), want: [] }],
  [
    "real-time retries against a scale-10 expectation are late",
    {
      mode: "fail",
      timing: callbackTiming(10),
      given: series([0, 1005, 3010, 7015], 500),
      want: ["callback:retry-late", "callback:retry-late", "callback:retry-late"],
    },
  ],
];

describe("checkCallbackSeries", () => {
  it.each(rows)("%s", (_, { mode, given, timing, want }) => {
    const found = checkCallbackSeries("videoTaskCallback", mode, given, timing ?? spec, "task-unified-1");
    expect(found.map((v) => v.rule)).toEqual(want);
    for (const v of found) expect(v.message).toContain("task-unified-1");
  });

  it("names the check of each rule", () => {
    const checks = (mode: ReceiverMode, given: ReceivedDelivery[]) =>
      checkCallbackSeries("videoTaskCallback", mode, given, spec, "t").map((v) => v.check);
    expect(checks("ack", [])).toEqual(["callback-delivered"]);
    expect(checks("fail", series([0], 500))).toEqual(["callback-retries"]);
    expect(checks("slow", series([0], 204, 20_300))).toEqual(["callback-timeout"]);
  });
});

describe("checkCallbackDelivery", () => {
  const body = { id: "task-unified-1", status: "completed", progress: 100, results: ["https://example.com/r.mp4"] };
  const delivery = { method: "POST", path: "/hook", headers: JSON_TYPE, body };
  it("accepts a delivery that validates and matches the query", () => {
    expect(checkCallbackDelivery("videoTaskCallback", delivery, exchange("getTaskDetail", 200, body))).toEqual([]);
  });
  it("reports each broken promise", () => {
    const rules = checkCallbackDelivery(
      "videoTaskCallback",
      { method: "PUT", path: "/hook", headers: {}, body: { ...body, status: "processing", results: undefined } },
      exchange("getTaskDetail", 200, body),
    ).map((v) => v.rule);
    expect(rules).toEqual([
      "callback:method",
      "callback:content-type",
      "callback:not-finished",
      "callback:matches-get",
      "callback:matches-get",
    ]);
  });
  it("an unknown callback is reported", () => {
    expect(checkCallbackDelivery("nope", delivery).map((v) => v.rule)).toEqual(["callback:unknown"]);
  });
});
