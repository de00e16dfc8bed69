/**
 * The vitest glue of the suite: starts a target once per file (beforeAll), stops it (afterAll), records exchanges
 * when asked, feeds every probe into the target's report, and turns violations into a readable failure. A target
 * that is not selected or cannot run is shown as a skipped test whose name says why.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Target } from "../src/verify/http.js";
import type { ProbeResult } from "../src/verify/probes.js";
import { toRecording, writeRecording } from "../src/verify/recordings.js";
import { type Exchange, formatViolation } from "../src/verify/types.js";
import { log } from "./lib/log.js";
import { RECORDINGS_DIR } from "./lib/paths.js";
import { ContractReport } from "./lib/report.js";
import { recordingEnabled, selectedTargets, type TargetName } from "./lib/targets.js";

/** A started target. */
export interface StartedTarget {
  target: Target;
  /** Stops whatever was started. */
  close(): Promise<void>;
  /** Lines for the report's header (base URL, versions). */
  details?: Record<string, string>;
  /** Values that must never reach a recording (the API key). */
  secrets?: string[];
}

/** Names a probe's result after the running test, so reports and JUnit use the same words. */
function named(result: ProbeResult): ProbeResult {
  const test = expect.getState().currentTestName?.split(" > ").slice(1).join(" > ");
  return test && test !== result.name
    ? { ...result, name: test.includes(result.name) ? test : `${test}: ${result.name}` }
    : result;
}

/** What a target's tests use. */
export interface TargetContext {
  /** The running target (only inside tests). */
  readonly target: Target;
  /** The target's report. */
  readonly report: ContractReport;
  /** Adds a probe's result to the report and fails the test, listing each violation, when there is one. */
  check(result: ProbeResult | Promise<ProbeResult>): Promise<ProbeResult>;
  /**
   * For a deliberate deviation (a fault scenario): requires the checks to report exactly `rules`, and records the
   * check as passed with what was caught.
   */
  expectCaught(result: ProbeResult | Promise<ProbeResult>, rules: readonly string[]): Promise<ProbeResult>;
}

/**
 * Declares one target's tests. `start` runs in beforeAll; `skipReason` (decided at collection time: the target is not
 * selected, the mock has not landed, live credentials are missing) turns the block into one visibly skipped test.
 */
export function describeTarget(
  name: TargetName,
  options: { skipReason?: string | undefined; start: () => Promise<StartedTarget> },
  body: (ctx: TargetContext) => void,
): void {
  const chosen = process.env.CONTRACT_TARGET;
  const selection = chosen ? `CONTRACT_TARGET=${chosen}` : "npm test runs prism and mock";
  const howToRun = name === "live" ? "; run npm run test:live with KLING_BASE_URL and KLING_API_KEY" : "";
  const notSelected = selectedTargets().includes(name) ? undefined : `not selected (${selection}${howToRun})`;
  const skipReason = notSelected ?? options.skipReason;
  if (skipReason) {
    describe(`contract: ${name}`, () => {
      it.skip(`${name} target skipped: ${skipReason}`, () => {});
    });
    log(`${name} target skipped: ${skipReason}`);
    if (!notSelected) {
      const report = new ContractReport(name, { skipped: skipReason });
      report.skip(`${name} target`, skipReason);
      void report.write();
    }
    return;
  }

  let started: StartedTarget | undefined;
  let report = new ContractReport(name);
  const recorded: { exchange: Exchange; at: Date }[] = [];
  const ctx: TargetContext = {
    get target() {
      if (!started) throw new Error(`${name} target did not start`);
      return started.target;
    },
    get report() {
      return report;
    },
    async check(pending) {
      const result = named(await pending);
      report.add(result);
      expect(result.violations.map(formatViolation), `${result.name}: ${result.notes.join("; ")}`).toEqual([]);
      return result;
    },
    async expectCaught(pending, rules) {
      const result = named(await pending);
      report.add(result, rules);
      const found = [...new Set(result.violations.map((v) => v.rule))].sort();
      expect(found, result.violations.map(formatViolation).join("\n")).toEqual([...new Set(rules)].sort());
      return result;
    },
  };

  describe(`contract: ${name}`, () => {
    beforeAll(async () => {
      started = await options.start();
      report = new ContractReport(name, started.details ?? {});
      if (recordingEnabled()) {
        const inner = started.target.onExchange;
        started.target.onExchange = (exchange) => {
          recorded.push({ exchange, at: new Date() });
          inner?.(exchange);
        };
      }
    });
    afterAll(async () => {
      await started?.close();
      const secrets = [started?.target.token ?? "", ...(started?.secrets ?? [])];
      for (const { exchange, at } of recorded)
        await writeRecording(toRecording(exchange, name, secrets, at), RECORDINGS_DIR);
      if (recorded.length) log(`${name}: recorded ${recorded.length} exchanges in contract-tests/recordings/`);
      await report.write();
    });
    body(ctx);
  });
}
