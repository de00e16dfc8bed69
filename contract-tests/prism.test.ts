/**
 * The `prism` target: Prism 5.14 serving the spec's static examples. Prism is stateless (no lifecycle, no
 * callbacks: it would POST to a callback_url it sees, so none is ever sent), accepts any bearer token, and validates
 * requests against the schema only, so it proves the spec's examples and documented statuses are coherent, and that
 * the checks recognise Prism's own inventions.
 */
import { expect, it } from "vitest";
import { BAD_REQUESTS } from "../src/verify/bad-requests.js";
import { checkExchange } from "../src/verify/checks.js";
import { send } from "../src/verify/http.js";
import { prismViolations } from "../src/verify/prism-inventions.js";
import { probeAuth, probeBadRequest, probeMalformedTaskId, probePreferredStatus } from "../src/verify/probes.js";
import { operationTable } from "../src/verify/types.js";
import { describeTarget } from "./harness.js";
import { startPrism } from "./lib/prism.js";

describeTarget(
  "prism",
  {
    start: async () => {
      const prism = await startPrism({ mode: "mock" });
      return {
        target: { name: "prism", baseUrl: prism.url, token: "contract-test-token" },
        close: prism.close,
        details: { "base URL": `${prism.url} (prism mock, static examples)` },
      };
    },
  },
  (t) => {
    for (const [operationId, op] of Object.entries(operationTable)) {
      for (const [status, def] of Object.entries(op.responses)) {
        it(`${operationId} answers its documented ${status} (Prefer: code=${status})`, () =>
          t.check(probePreferredStatus(t.target, operationId, Number(status))));
        for (const key of Object.keys(def.body?.examples ?? {})) {
          it(`${operationId} ${status} example ${key} conforms (Prefer: example=${key})`, () =>
            t.check(probePreferredStatus(t.target, operationId, Number(status), key)));
        }
      }
      it(`${operationId} without a token answers 401`, () => t.check(probeAuth(t.target, operationId, "missing")));
      it.skip(`${operationId} with an invalid token: Prism accepts any bearer token`, () => {});
    }

    for (const testCase of BAD_REQUESTS) {
      if (testCase.kind === "syntax") continue; // below: Prism answers it itself
      if (testCase.kind === "prose") {
        it.skip(`create rejects: ${testCase.name} (a prose rule: Prism validates the schema only)`, () => {});
        continue;
      }
      it(`create rejects: ${testCase.name}`, () => t.check(probeBadRequest(t.target, testCase)));
    }

    it("a malformed task id is not rejected by Prism (it has no format rule): only the documented 400 is reached", async () => {
      // Prism answers 200 with the static example for any id; the documented 400 is reached with Prefer above.
      const result = await probeMalformedTaskId(t.target);
      expect(result.violations.map((v) => v.rule)).toEqual(["expected-status"]);
      expect(result.exchanges[0]?.response.status).toBe(200);
    });

    it("an undocumented Prefer code is recognised as Prism's own 404, not the API's", async () => {
      const exchange = await send(t.target, "getTaskDetail", {
        params: { task_id: "task-unified-1" },
        headers: { prefer: "code=418" },
      });
      expect(exchange.response.status).toBe(404);
      expect(checkExchange(exchange).map((v) => v.rule)).toEqual(["prism-invention:NOT_FOUND"]);
    });

    it("an unknown Prefer example is recognised as Prism's own 404", async () => {
      const exchange = await send(t.target, "getTaskDetail", {
        params: { task_id: "task-unified-1" },
        headers: { prefer: "example=no_such_example" },
      });
      expect(checkExchange(exchange).map((v) => v.rule)).toEqual(["prism-invention:NOT_FOUND"]);
    });

    it("a body that is not JSON gets Prism's own 400 (not the spec's envelope), recognised as an invention", async () => {
      const exchange = await send(t.target, "createVideoGeneration", { body: '{"prompt": ' });
      expect(exchange.response.status).toBe(400);
      expect(checkExchange(exchange).map((v) => v.rule)).toEqual(["prism-invention:INVALID_JSON"]);
    });

    it("a Prefer example missing while code=200 is given is Prism's own 500 UNKNOWN", async () => {
      const exchange = await send(t.target, "getTaskDetail", {
        params: { task_id: "task-unified-1" },
        headers: { prefer: "code=200, example=no_such_example" },
      });
      expect(exchange.response.status).toBe(500);
      expect(checkExchange(exchange).map((v) => v.rule)).toEqual(["prism-invention:UNKNOWN"]);
    });

    it("Prism names the broken request field in sl-violations while answering the spec's 400 example", async () => {
      const exchange = await send(t.target, "createVideoGeneration", { body: { prompt: "x" } });
      expect(exchange.response.status).toBe(400);
      expect(checkExchange(exchange)).toEqual([]);
      const reported = prismViolations(exchange.response.headers);
      expect(reported.map((v) => v.location.join("."))).toContain("request.body");
      expect(reported.map((v) => v.message).join(" ")).toMatch(/video_urls/);
    });
  },
);
