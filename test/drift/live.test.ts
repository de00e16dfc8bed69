/**
 * analyzeRecordings on recordings built here: which recordings count, how a recording finds its operation, and what
 * the wire shows about operations, statuses and media types. Field-level rules against the spec's own examples are in
 * test/drift/drift-live.test.ts.
 */
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { operations } from "../../generated/operations.js";
import { analyzeRecordings, type Recording } from "../../src/drift/live.js";
import { type JsonObject, loadSpec } from "../../src/drift/load.js";

const GET = { operationId: "getTaskDetail", ...operations.getTaskDetail };
const CREATE = { operationId: "createVideoGeneration" };
const aTask: unknown = Object.values(GET.responses["200"].body.examples)[0];

function rec(extra: Partial<Recording> & { status?: number; body?: unknown; type?: string } = {}): Recording {
  const { status = 200, body = aTask, type = "application/json", ...rest } = extra;
  return {
    recordedAt: "2026-11-20T03:00:00.000Z",
    target: "live",
    operationId: GET.operationId,
    request: { method: "GET", path: "/v1/tasks/task-unified-1-abc", headers: {}, body: null },
    response: { status, headers: { "content-type": type }, body },
    ...rest,
  };
}

let spec: JsonObject;
beforeAll(async () => {
  spec = (await loadSpec(fileURLToPath(new URL("../../spec/kling-o1-video-edit.yaml", import.meta.url)))).resolved;
});

const rules = (recordings: Recording[]) =>
  analyzeRecordings(recordings, spec).findings.map((f) => `${f.level} ${f.rule} ${f.operation} ${f.where}`);

describe("which recordings count", () => {
  it("only the target's (live by default), counting the others per target; all takes every one", () => {
    const recordings = [
      rec({ recordedAt: "2026-11-21T00:00:00Z" }),
      rec({ recordedAt: "2026-11-19T00:00:00Z" }),
      rec({ target: "prism" }),
      rec({ target: "prism" }),
      rec({ target: "mock" }),
    ];
    const live = analyzeRecordings(recordings, spec, { source: "recs" });
    expect(live.recordings).toEqual({
      source: "recs",
      target: "live",
      total: 5,
      used: 2,
      skipped: { prism: 2, mock: 1 },
      from: "2026-11-19T00:00:00Z",
      to: "2026-11-21T00:00:00Z",
    });
    expect(live.seen).toEqual({ [GET.operationId]: { "200": 2 } });
    const all = analyzeRecordings(recordings, spec, { target: "all" });
    expect(all.recordings).toMatchObject({ used: 5, skipped: {} });
  });

  it("with none of the target, has no time range and finds only what was never seen", () => {
    const report = analyzeRecordings([rec({ target: "mock" })], spec);
    expect(report.recordings.used).toBe(0);
    expect(report.recordings.from).toBeUndefined();
    expect(report.findings.every((f) => f.level === "safe" && f.rule === "operation-never-seen")).toBe(true);
  });
});

describe("how a recording finds its operation", () => {
  it("by method and path when the operationId is unknown, even one that names an Object property", () => {
    for (const operationId of ["unknownOperation", "constructor", "toString", "__proto__"]) {
      const report = analyzeRecordings([rec({ operationId })], spec);
      expect([operationId, report.seen]).toEqual([operationId, { [GET.operationId]: { "200": 1 } }]);
    }
  });

  it("a call that matches no operation is an undocumented operation, named without its query", () => {
    const other = rec({
      operationId: "x",
      request: { method: "DELETE", path: "/v1/tasks/t1?force=1", headers: {}, body: null },
    });
    expect(rules([other])).toContain("risky undocumented-operation DELETE /v1/tasks/t1 operation");
  });
});

describe("what the wire shows", () => {
  it("an undocumented status is risky and counted in seen", () => {
    const report = analyzeRecordings([rec({ status: 418, body: { error: {} } })], spec);
    expect(report.seen[GET.operationId]).toEqual({ "418": 1 });
    expect(report.findings.map((f) => `${f.level} ${f.rule} ${f.where}`)).toContain(
      "risky undocumented-status response 418",
    );
  });

  it("another media type is risky; a JSON response that is not JSON is breaking", () => {
    const found = rules([
      rec({ type: "application/problem+json" }),
      rec({ body: "<html>busy</html>", type: "text/html" }),
    ]);
    expect(found).toContain(`risky content-type-mismatch ${GET.operationId} response 200`);
    expect(found).toContain(`breaking non-json-body ${GET.operationId} response 200`);
  });

  it("says which documented statuses and operations no recording exercised", () => {
    const report = analyzeRecordings([rec()], spec);
    const never = report.findings.find((f) => f.rule === "status-never-seen");
    expect(never?.after).toEqual(Object.keys(GET.responses).filter((s) => s !== "200"));
    expect(rules([rec()])).toContain(`safe operation-never-seen ${CREATE.operationId} operation`);
  });
});
