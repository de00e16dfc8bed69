/**
 * Queue chaos, small (issue 14): 30 edits, 2 `kling-edit worker` processes, 3 SIGKILLs, a real Redis and the mock.
 * The full run (300 edits, 3 workers) is `npm run test:chaos:queue`.
 */
import { describe, expect, it } from "vitest";
import { queueChaos } from "../scripts/chaos-queue.js";
import { ensureBuilt } from "./cli/helpers.js";
import { redisMissing } from "./support/redis.js";

describe.skipIf(redisMissing() !== null)("queue under SIGKILL", () => {
  it("creates each edit at most once, never resubmits an unknown one, and every downloaded file is whole", async () => {
    // The built worker (ensureBuilt builds dist/ when it is older than the sources; npm test has built it): it starts
    // in about 0.25 s instead of 1 s through tsx, so the kills, 600 ms apart, land on workers that are submitting and
    // following, not still starting.
    await ensureBuilt();
    const r = await queueChaos({ edits: 30, workers: 2, killEveryMs: 600, kills: 3, build: true });
    expect(r.kills).toBeGreaterThan(0);
    expect(r.duplicates).toBe(0);
    expect(r.broken).toBe(0);
    expect(r.downloaded + r.unknown).toBe(30);
    // Every edit not unknown was created exactly once; an unknown one was created at most once.
    expect(r.creates).toBeGreaterThanOrEqual(30 - r.unknown);
    expect(r.creates).toBeLessThanOrEqual(30);
  }, 120_000);
});
