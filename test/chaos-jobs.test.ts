/**
 * Crash chaos, small: a child process running jobs is SIGKILLed twice at random moments and restarted; the mock's own
 * records show no duplicate create and no lost task. The 200-trial run is `npm run test:chaos`.
 */
import { describe, expect, it } from "vitest";
import { chaosTrial } from "../scripts/chaos-jobs.js";

describe("jobs under SIGKILL", () => {
  it("never creates a task twice and loses none (every created task downloaded, or its job unknown)", async () => {
    const result = await chaosTrial({ jobs: 3, seed: 42, maxKillMs: 1_500, maxStarts: 3 });
    expect(result.kills).toBeGreaterThan(0);
    expect(result.duplicates).toBe(0);
    expect(result.lost).toBe(0);
    expect(result.downloaded + result.unknown).toBe(3);
  }, 60_000);
});
