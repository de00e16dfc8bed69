/**
 * A service that survives restarts: its jobs live in a folder, and at start-up it carries on every unfinished one
 * (submitted jobs poll again, completed ones download, jobs that died mid-create are reported, never resent).
 *
 *   KLING_API_KEY=... npx tsx examples/resume-service.ts ./jobs ./results
 *
 * Run it, stop it (Ctrl-C, or kill -9) while edits render, run it again: nothing is paid twice, nothing is lost.
 * Without KLING_API_KEY it runs against the built-in mock, submitting two edits on its first start.
 */
import fs from "node:fs";
import path from "node:path";
import { createKlingClient } from "../src/index.js";
import { startMockServer } from "../src/mock/index.js";
import { fileJobStore } from "../src/node.js";

async function main(): Promise<void> {
  const [jobsDir = "./jobs", resultsDir = "./results"] = process.argv.slice(2);
  fs.mkdirSync(resultsDir, { recursive: true });
  const mock = process.env.KLING_API_KEY ? undefined : await startMockServer({ port: 0, speed: 60 });
  const options = { jobs: { store: fileJobStore(jobsDir) } };
  const client = mock
    ? createKlingClient({ ...options, apiKey: "mock-key", baseUrl: mock.url })
    : createKlingClient(options);
  try {
    // 1. Carry on whatever an earlier run left unfinished.
    const summary = await client.jobs.resumeAll({
      downloadDir: resultsDir,
      download: { allowInsecure: mock !== undefined }, // the mock serves http://
      onJob: (job, error) =>
        console.log(`resumed ${job.id}: ${job.state}${error ? ` (${(error as Error).message})` : ""}`),
    });
    for (const job of summary.unknown) {
      console.log(`job ${job.id}: its create's outcome is unknown; check your account, then jobs.resubmit(job)`);
    }
    // 2. New work: ids make submitting idempotent (a second run sends nothing for an id it already has).
    for (const [i, video] of ["https://example.com/a.mp4", "https://example.com/b.mp4"].entries()) {
      const destination = path.join(resultsDir, `edit-${i}.mp4`);
      const job = await client.jobs.submit(
        { prompt: "Make it cinematic", video_urls: [video] },
        { id: `edit-${i}`, destination },
      );
      if (job.state === "submitted") {
        await job.wait({ onProgress: (t) => console.log(`${job.id}: ${t.status} ${t.progress ?? 0}%`) });
      }
      if (job.state === "completed") await job.download(destination, { allowInsecure: mock !== undefined });
      console.log(
        `${job.id}: ${job.state}${job.resultExpiresAt ? `, link valid until ${job.resultExpiresAt.toISOString()}` : ""}`,
      );
    }
  } finally {
    await mock?.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
