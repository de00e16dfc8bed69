/**
 * The vitest glue of the suite: starts a target once per file (beforeAll), stops it (afterAll), records exchanges
 * when asked, feeds every probe into the target's report, and turns violations into a readable failure. A target
 * that is not selected or cannot run is shown as a skipped test whose name says why.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Target } from "./lib/http.js";
import { log } from "./lib/log.js";
import type { ProbeResult } from "./lib/probes.js";
import { toRecording, writeRecording } from "./lib/recordings.js";
import { ContractReport } from "./lib/report.js";
import { recordingEnabled, selectedTargets, type TargetName } from "./lib/targets.js";
import { type Exchange, formatViolation } from "./lib/types.js";

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

/** What a target's tests use. */
export interface TargetContext {
  /** The running target (only inside tests). */
  readonly target: Target;
  /** The target's report. */
  readonly report: ContractReport;
  /** Adds a probe's result to the report and fails the test, listing each violation, when there is one. */
  check(result: ProbeResult | Promise<ProbeResult>): Promise<ProbeResult>;
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
  const notSelected = selectedTargets().includes(name)
    ? undefined
    : `not selected (CONTRACT_TARGET=${process.env.CONTRACT_TARGET})`;
  const skipReason = notSelected ?? options.skipReason;
  if (skipReason) {
    describe(`contract: ${name}`, () => {
      it.skip(`${name} target skipped: ${skipReason}`, () => {});
    });
    if (!notSelected) {
      log(`${name} target skipped: ${skipReason}`);
      const report = new ContractReport(name, { skipped: skipReason });
      report.skip(`${name} target`, skipReason);
      void report.write();
    }
    return;
  }

  let started: StartedTarget | undefined;
  let report = new ContractReport(name);
  const recorded: Exchange[] = [];
  const ctx: TargetContext = {
    get target() {
      if (!started) throw new Error(`${name} target did not start`);
      return started.target;
    },
    get report() {
      return report;
    },
    async check(pending) {
      const result = await pending;
      report.add(result);
      expect(result.violations.map(formatViolation), `${result.name}: ${result.notes.join("; ")}`).toEqual([]);
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
          recorded.push(exchange);
          inner?.(exchange);
        };
      }
    });
    afterAll(async () => {
      await started?.close();
      const secrets = [started?.target.token ?? "", ...(started?.secrets ?? [])];
      for (const exchange of recorded) await writeRecording(toRecording(exchange, name, secrets));
      if (recorded.length) log(`${name}: recorded ${recorded.length} exchanges in contract-tests/recordings/`);
      await report.write();
    });
    body(ctx);
  });
}
