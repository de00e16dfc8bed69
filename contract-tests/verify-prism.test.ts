/**
 * `kling-edit verify --spend` against Prism (static examples): Prism is recognised, the checks it can satisfy pass
 * (statuses, content types, schemas, error envelopes, the missing-token 401, schema-invalid bodies), and the ones it
 * cannot (state, real authentication, callbacks) are reported not applicable with the reason, never failed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHECKS, formatViolation, runVerify, type VerifyResult } from "../src/verify/index.js";
import { type PrismProcess, startPrism } from "./lib/prism.js";

let prism: PrismProcess;
let result: VerifyResult;

beforeAll(async () => {
  prism = await startPrism({ mode: "mock" });
  result = await runVerify({ baseUrl: prism.url, apiKey: "any-token", spend: true, callback: {} });
});
afterAll(() => prism?.close());

describe("verify against Prism", () => {
  it("recognises Prism and fails no check", () => {
    expect(result.server).toBe("prism");
    expect(result.checks.flatMap((c) => c.violations).map(formatViolation)).toEqual([]);
    expect(result.exitCode).toBe(0);
  });

  it("passes what a stateless example server can show", () => {
    const passed = result.checks.filter((c) => c.outcome === "passed").map((c) => c.name);
    expect(passed).toEqual(
      expect.arrayContaining([
        "server-answers",
        "status-documented",
        "content-type",
        "body-schema",
        "error-envelope",
        "error-code-matches-status",
        "auth-enforced",
        "invalid-bodies-rejected",
      ]),
    );
  });

  it("reports every check Prism cannot satisfy as not applicable, with the reason", () => {
    const skipped = result.checks.filter((c) => c.outcome === "not-applicable");
    const notOnPrism = Object.entries(CHECKS)
      .filter(([, info]) => "notOnPrism" in info)
      .map(([name]) => name);
    expect(skipped.map((c) => c.name).sort()).toEqual(notOnPrism.sort());
    for (const check of skipped) expect(check.reason, check.name).toMatch(/Prism/);
    expect(result.tasksCreated).toBe(0);
    expect(result.notes.join("\n")).toMatch(/invalid token: not sent \(Prism accepts any bearer token\)/);
  });
});
