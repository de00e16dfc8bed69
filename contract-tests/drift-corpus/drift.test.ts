/**
 * Proof that the checks catch drift: `kling-edit verify`'s own run (runVerify, with --spend, and a callback
 * receiver where the case concerns callbacks) against the drift server, once faithfully (every check must pass, none
 * left not applicable) and once per deviation in the corpus (the check named for the deviation must fail, with its
 * rule). The callback timing runs DRIFT_TIME_SCALE times faster than the spec's, on both sides. The count caught goes
 * into contract-tests/reports/drift-corpus.md.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHECKS } from "../../src/verify/catalog.js";
import { runVerify, type VerifyResult } from "../../src/verify/run.js";
import { formatViolation } from "../../src/verify/types.js";
import { collectGarbageEvery } from "../../test/support/gc.js";
import { ContractReport } from "../lib/report.js";
import { DRIFT_CASES } from "./cases.js";
import { type Deviation, DRIFT_TIME_SCALE, DRIFT_TOKEN, startDriftServer } from "./server.js";

/** Runs verify against a drift server with `deviation`. */
async function verifyAgainst(deviation: Deviation, callbacks: boolean): Promise<VerifyResult> {
  const server = await startDriftServer(deviation);
  try {
    return await runVerify({
      baseUrl: server.url,
      apiKey: DRIFT_TOKEN,
      spend: true,
      ...(callbacks ? { callback: {} } : {}),
      timeScale: DRIFT_TIME_SCALE,
      callbackSlackMs: 600,
      sleep: async () => {},
      pollIntervalMs: 0,
      maxPolls: 12,
      callbackWaitMs: 1500,
      requestTimeoutMs: 5000,
    });
  } finally {
    await server.close();
  }
}

const violationsOf = (result: VerifyResult) => result.checks.flatMap((c) => c.violations);

const report = new ContractReport("drift-corpus", {
  what: "kling-edit verify's run against one deliberate deviation each",
});
let caught = 0;
let faithful: VerifyResult;
const results = new Map<string, VerifyResult>();

describe("drift corpus: verify reports each deliberate deviation under the check named for it", () => {
  // Each case has its own server and receiver, so the cases run at once (they wait on sockets, not the CPU); those
  // that time callbacks run after the others, so that a saturated event loop does not stretch the gaps they measure.
  // Collections while the callbacks are out: a busy CI worker collects often, and one collection once dropped the
  // drift server's callback timeout (nodejs/node#57736), so every slow receiver was waited for to its end.
  beforeAll(async () => {
    const stopCollecting = collectGarbageEvery(1_000);
    const run = async (c: (typeof DRIFT_CASES)[number]) => {
      results.set(c.name, await verifyAgainst(c.deviation, CHECKS[c.check].needs === "callback"));
    };
    const timed = (c: (typeof DRIFT_CASES)[number]) => CHECKS[c.check].needs === "callback";
    try {
      await Promise.all(DRIFT_CASES.filter((c) => !timed(c)).map(run));
      [faithful] = await Promise.all([verifyAgainst({}, true), ...DRIFT_CASES.filter(timed).map(run)]);
    } finally {
      stopCollecting();
    }
  }, 60_000);

  afterAll(async () => {
    report.details.caught = `${caught} of ${DRIFT_CASES.length} deviations`;
    await report.write();
  });

  it("the faithful drift server passes every check, and every check ran", async () => {
    const result = faithful;
    for (const check of result.checks) {
      report.add({
        name: `faithful: ${check.name}`,
        exchanges: [],
        violations: check.violations,
        notes: check.reason ? [check.reason] : [],
        evaluated: [check.name],
      });
    }
    expect(violationsOf(result).map(formatViolation)).toEqual([]);
    expect(result.checks.filter((c) => c.outcome !== "passed").map((c) => `${c.name}: ${c.reason}`)).toEqual([]);
    expect(result.tasksCreated).toBeGreaterThanOrEqual(4);
  });

  it.for(DRIFT_CASES.map((c) => [c.name, c] as const))("%s", ([, driftCase]) => {
    const result = results.get(driftCase.name) as VerifyResult;
    const named = result.checks.find((c) => c.name === driftCase.check);
    const rules = [...new Set(named?.violations.map((v) => v.rule))];
    const hit = named?.outcome === "failed" && rules.includes(driftCase.rule);
    if (hit) caught += 1;
    report.add(
      {
        name: `${driftCase.name}: ${driftCase.description}`,
        exchanges: [],
        violations: named?.violations.filter((v) => v.rule === driftCase.rule) ?? [],
        notes: [`check ${driftCase.check}`],
        evaluated: [driftCase.check],
      },
      [driftCase.rule],
    );
    const all = violationsOf(result).map(formatViolation).join("\n");
    expect(named?.outcome, `${driftCase.description}\n${all}`).toBe("failed");
    expect(rules, `${driftCase.description}\n${all}`).toContain(driftCase.rule);
    expect(result.exitCode).toBe(1);
  });

  it("the corpus covers every check, each case names a distinct deviation", () => {
    expect(new Set(DRIFT_CASES.map((c) => c.name)).size).toBe(DRIFT_CASES.length);
    const covered = new Set(DRIFT_CASES.map((c) => c.check));
    expect(Object.keys(CHECKS).filter((name) => !covered.has(name as keyof typeof CHECKS))).toEqual([]);
  });
});
