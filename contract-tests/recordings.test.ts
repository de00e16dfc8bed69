/**
 * Replays every committed recording (contract-tests/recordings/*.json) through the suite's checks, so a drift seen
 * once on the live API stays reproducible offline. A recording must also be well-formed and hold no credential.
 */
import { afterAll, describe, expect, it } from "vitest";
import { checkExchange } from "../src/verify/checks.js";
import { type Recording, readRecordings, recordingProblems } from "../src/verify/recordings.js";
import { formatViolation } from "../src/verify/types.js";
import { RECORDINGS_DIR } from "./lib/paths.js";
import { ContractReport } from "./lib/report.js";

const recordings = await readRecordings(RECORDINGS_DIR);
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
    report.add({ name: `${file} (${recording.target})`, exchanges: [recording], violations, notes: [], evaluated: [] });
    expect(violations.map(formatViolation)).toEqual([]);
  });
});
