/**
 * The `live` target: any base URL (the provider, a staging server, a recording proxy) from `KLING_BASE_URL` with
 * `KLING_API_KEY`. Runs only with `CONTRACT_TARGET=live` (`npm run test:live`). By default it sends only requests
 * that cannot create a billed task (auth errors, bodies without a usable source video, unknown task ids); the paid
 * path (create, poll to the end, download, and the callback with `KLING_CALLBACK_URL`) needs `KLING_LIVE_SPEND=1`
 * and says how many tasks it may create before it starts.
 */
import { it } from "vitest";
import { FREE_BAD_REQUESTS, PAID_BAD_REQUESTS } from "../src/verify/bad-requests.js";
import {
  probeAuth,
  probeBadRequest,
  probeLifecycle,
  probeMalformedTaskId,
  probeUnknownTask,
  queryOnDelivery,
} from "../src/verify/probes.js";
import { type CallbackReceiver, startCallbackReceiver } from "../src/verify/receiver.js";
import { operationTable } from "../src/verify/types.js";
import { describeTarget } from "./harness.js";
import { log } from "./lib/log.js";
import { liveConfig } from "./lib/targets.js";

const config = liveConfig();
const spend = config.ok && config.spend;
const callback = config.ok ? config.callback : undefined;
const freeCases = FREE_BAD_REQUESTS;
const paidCases = PAID_BAD_REQUESTS;
/** A live task takes minutes: poll every 5 s for up to 15 min. */
const POLL = { pollIntervalMs: 5000, maxPolls: 180 } as const;
const LIFECYCLE_TIMEOUT_MS = 16 * 60 * 1000;

let receiver: CallbackReceiver | undefined;

describeTarget(
  "live",
  {
    skipReason: config.ok ? undefined : `set ${config.missing.join(" and ")} to run it (npm run test:live)`,
    start: async () => {
      if (!config.ok) throw new Error("unreachable: skipped without configuration");
      const target = { name: "live", baseUrl: config.baseUrl, token: config.apiKey, requestTimeoutMs: 30_000 };
      if (spend) {
        const tasks = 1 + (callback ? 1 : 0);
        log(
          `live: KLING_LIVE_SPEND=1: this run creates ${tasks} billed task${tasks > 1 ? "s" : ""} ` +
            `(lifecycle${callback ? ", callback" : ""}) and sends ${paidCases.length} invalid bodies that would each ` +
            `create one if the API failed to reject them: at most ${tasks + paidCases.length} tasks.`,
        );
      } else {
        log(
          `live: free requests only (${freeCases.length} bodies without a usable source video, auth errors, unknown ` +
            "task ids); set KLING_LIVE_SPEND=1 for the paid path.",
        );
      }
      if (callback) {
        receiver = await startCallbackReceiver({
          port: callback.port,
          publicUrl: callback.url,
          onDelivery: queryOnDelivery(target),
        });
      }
      return {
        target,
        close: async () => {
          await receiver?.close();
        },
        secrets: [config.apiKey],
        details: {
          "base URL": config.baseUrl,
          "paid path": spend ? "on (KLING_LIVE_SPEND=1)" : "off: only requests that cannot create a billed task",
          callback: callback ? `${callback.url} -> 127.0.0.1:${callback.port}` : "not checked (no KLING_CALLBACK_URL)",
        },
      };
    },
  },
  (t) => {
    for (const operationId of Object.keys(operationTable)) {
      it(`${operationId} without a token answers 401`, () => t.check(probeAuth(t.target, operationId, "missing")));
      it(`${operationId} with an invalid token answers 401`, () =>
        t.check(probeAuth(t.target, operationId, "invalid")));
    }
    it("an unknown task id answers 404", () => t.check(probeUnknownTask(t.target)));
    it("a malformed task id answers a documented 400 or 404", () => t.check(probeMalformedTaskId(t.target)));
    for (const testCase of freeCases) {
      it(`create rejects: ${testCase.name}`, () => t.check(probeBadRequest(t.target, testCase)));
    }
    for (const testCase of paidCases) {
      it.skipIf(!spend)(`create rejects: ${testCase.name} (could bill if accepted: needs KLING_LIVE_SPEND=1)`, () =>
        t.check(probeBadRequest(t.target, testCase)),
      );
    }
    it.skipIf(!spend)(
      "a task goes to the end and its result is a video (creates 1 billed task: KLING_LIVE_SPEND=1)",
      () => t.check(probeLifecycle(t.target, POLL)),
      LIFECYCLE_TIMEOUT_MS,
    );
    it.skipIf(!spend || !callback)(
      "the callback validates and matches the task query (1 billed task: KLING_LIVE_SPEND=1 and KLING_CALLBACK_URL)",
      () =>
        t.check(
          probeLifecycle(t.target, {
            ...POLL,
            ...(receiver ? { callback: { receiver, firstDeliveryTimeoutMs: 60_000 } } : {}),
          }),
        ),
      LIFECYCLE_TIMEOUT_MS,
    );
  },
);
