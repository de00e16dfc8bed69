/**
 * The validating proxy (`npm run proxy`) in front of a local upstream on loopback (the drift corpus server): it is
 * transparent for conformant traffic, including the requests Prism would answer itself; it reports what Prism
 * misses (an undocumented status, a lifecycle going backwards); and Prism's own --errors replacement is recognised.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BAD_REQUESTS } from "../src/verify/bad-requests.js";
import { send, type Target } from "../src/verify/http.js";
import { probeAuth, probeBadRequest, probeLifecycle, probeUnknownTask } from "../src/verify/probes.js";
import { formatViolation } from "../src/verify/types.js";
import { DRIFT_CASES } from "./drift-corpus/cases.js";
import { DRIFT_TOKEN, type DriftServer, startDriftServer } from "./drift-corpus/server.js";
import { type PrismProcess, startPrism } from "./lib/prism.js";
import { PROXY_VIOLATIONS_TYPE, startValidatingProxy, type ValidatingProxy, VIOLATIONS_HEADER } from "./lib/proxy.js";

let upstream: DriftServer;
let prism: PrismProcess;
let strict: ValidatingProxy;
let warnOnly: ValidatingProxy;
const lines: string[] = [];

function deviation(name: string) {
  const found = DRIFT_CASES.find((c) => c.name === name);
  if (!found) throw new Error(`no drift case ${name}`);
  return found.deviation;
}

const target = (proxy: ValidatingProxy): Target => ({ name: "proxy", baseUrl: proxy.url, token: DRIFT_TOKEN });
const noSleep = async () => {};

describe("validating proxy (Prism proxy --errors plus the suite's checks)", () => {
  beforeAll(async () => {
    upstream = await startDriftServer();
    // One Prism serves both fronts, so the file starts Prism once.
    prism = await startPrism({ mode: "proxy", upstream: upstream.url, errors: true, validateRequest: false });
    strict = await startValidatingProxy({ upstream: upstream.url, port: 0, prism, log: (l) => lines.push(l) });
    warnOnly = await startValidatingProxy({ upstream: upstream.url, port: 0, prism, warnOnly: true });
  });
  afterAll(async () => {
    await strict?.close();
    await warnOnly?.close();
    await prism?.close();
    await upstream?.close();
  });

  it("passes conformant traffic through unchanged, including requests Prism would answer itself", async () => {
    upstream.setDeviation({});
    const t = target(strict);
    const results = [
      await probeAuth(t, "getTaskDetail", "missing"),
      await probeAuth(t, "createVideoGeneration", "invalid"),
      await probeUnknownTask(t),
      ...(await Promise.all(BAD_REQUESTS.slice(0, 3).map((c) => probeBadRequest(t, c, { expectParam: true })))),
      ...(await Promise.all(BAD_REQUESTS.filter((c) => c.kind === "syntax").map((c) => probeBadRequest(t, c)))),
      await probeLifecycle(t, { sleep: noSleep, pollIntervalMs: 0, maxPolls: 10, download: false }),
    ];
    expect(results.flatMap((r) => r.violations).map(formatViolation)).toEqual([]);
    // The missing-token 401 is the upstream's own envelope, not Prism's problem document.
    const noToken = results[0]?.exchanges[0];
    expect(noToken?.response.headers["content-type"]).toBe("application/json");
    expect(noToken?.response.body).toMatchObject({ error: { code: 401 } });
    expect(strict.findings).toEqual([]);
  });

  it("a path the spec does not describe is passed to the upstream, not answered by Prism's 404", async () => {
    const response = await fetch(`${strict.url}/results/unknown.mp4`);
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(lines.some((l) => l.includes("/results/unknown.mp4") && l.includes("not in the spec"))).toBe(true);
  });

  it("an undocumented status (which Prism only warns about) becomes a 500 naming the rule", async () => {
    upstream.setDeviation(deviation("undocumented-status"));
    const exchange = await send(target(strict), "getTaskDetail", { params: { task_id: "task-unified-1-unknown" } });
    expect(exchange.response.status).toBe(500);
    expect(exchange.response.body).toMatchObject({
      type: PROXY_VIOLATIONS_TYPE,
      upstreamStatus: 410,
      validation: [{ rule: "status-documented", pointer: "/status" }],
    });
    expect(strict.findings.at(-1)?.violations.map((v) => v.rule)).toEqual(["status-documented"]);
  });

  it("with --warn-only the response passes through with the violations in a header", async () => {
    upstream.setDeviation(deviation("undocumented-status"));
    const exchange = await send(target(warnOnly), "getTaskDetail", { params: { task_id: "task-unified-1-unknown" } });
    expect(exchange.response.status).toBe(410);
    expect(JSON.parse(exchange.response.headers[VIOLATIONS_HEADER] ?? "[]")).toEqual([
      { pointer: "/status", rule: "status-documented" },
    ]);
  });

  it("a schema violation is replaced by Prism itself (--errors), and recognised as such", async () => {
    upstream.setDeviation(deviation("wrong-field-type"));
    const { body } = (await send(target(strict), "createVideoGeneration", { body: BAD_REQUESTS[0]?.body ?? {} }))
      .response as { body: unknown };
    expect(body).toMatchObject({ error: { code: 400 } }); // a 400 is still fine
    const created = await send(target(strict), "createVideoGeneration", {
      body: { model: "kling-o1-video-edit", prompt: "p", video_urls: ["https://example.com/v.mp4"] },
    });
    expect(created.response.status).toBe(500);
    expect(created.response.body).toMatchObject({ type: "https://stoplight.io/prism/errors#VIOLATIONS" });
    expect(strict.findings.at(-1)?.violations.map((v) => v.rule)).toEqual(["prism-invention:VIOLATIONS"]);
    expect(strict.findings.at(-1)?.violations[0]?.message).toMatch(/created/);
  });

  it("a lifecycle going backwards (which Prism cannot see) is reported on the poll that broke it", async () => {
    upstream.setDeviation(deviation("progress-goes-backwards"));
    const result = await probeLifecycle(target(warnOnly), {
      sleep: noSleep,
      pollIntervalMs: 0,
      maxPolls: 10,
      download: false,
    });
    expect(result.violations.map((v) => v.rule)).toContain("lifecycle:progress");
    expect(warnOnly.findings.flatMap((f) => f.violations.map((v) => v.rule))).toContain("lifecycle:progress");
  });

  it("never logs the bearer token", () => {
    expect(lines.join("\n")).not.toContain(DRIFT_TOKEN);
    expect(lines.length).toBeGreaterThan(0);
  });
});
