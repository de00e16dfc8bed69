/**
 * Replays every committed recording (contract-tests/recordings/*.json) through the suite's checks, so a drift seen
 * once on the live API stays reproducible offline. A recording must also be well-formed and hold no credential.
 */
import { afterAll, describe, expect, it } from "vitest";
import { checkExchange } from "./lib/checks.js";
import { type Recording, readRecordings, recordingProblems } from "./lib/recordings.js";
import { ContractReport } from "./lib/report.js";
import { formatViolation } from "./lib/types.js";

const recordings = await readRecordings();
const report = new ContractReport("recordings", { source: "contract-tests/recordings/*.json" });

describe("recorded exchanges replayed through the checks", () => {
  afterAll(() => report.write());

  it("there is at least one recording to replay (the committed examples)", () => {
    expect(recordings.length).toBeGreaterThan(0);
  });

  it.each(recordings.map((r) => [r.file, r.value] as const))("%s", (file, value) => {
    expect(recordingProblems(value), `${file} is not a sound recording`).toEqual([]);
    const recording = value as Recording;
    const violations = checkExchange(recording);
    report.add({ name: `${file} (${recording.target})`, exchanges: [recording], violations, notes: [] });
    expect(violations.map(formatViolation)).toEqual([]);
  });
});
