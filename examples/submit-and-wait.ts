/**
 * Submit an edit and wait for it, with progress.
 *
 *   KLING_API_KEY=... npx tsx examples/submit-and-wait.ts https://example.com/in.mp4 "Make it cinematic"
 *
 * Without KLING_API_KEY it starts the built-in mock server and runs against it (offline, a few seconds).
 */
import { APIError, createKlingClient, RequestValidationError, TaskFailedError } from "../src/index.js";
import { startMockServer } from "../src/mock/index.js";

async function main(): Promise<void> {
  const [videoUrl = "https://example.com/original-video.mp4", prompt = "Make the video more cinematic"] =
    process.argv.slice(2);
  const mock = process.env.KLING_API_KEY ? undefined : await startMockServer({ port: 0, speed: 60 });
  const client = mock ? createKlingClient({ apiKey: "mock-key", baseUrl: mock.url }) : createKlingClient();
  if (mock) console.log(`no KLING_API_KEY: using the mock at ${mock.url}`);

  // Ctrl-C aborts the wait cleanly (the task keeps running at the API; its id is printed below).
  const controller = new AbortController();
  process.once("SIGINT", () => controller.abort());

  try {
    const task = await client.edits.createAndWait(
      { prompt, video_urls: [videoUrl], aspect_ratio: "16:9" },
      {
        signal: controller.signal,
        timeoutMs: 20 * 60_000,
        onCreated: (created) =>
          console.log(`created ${created.id} (estimated ${created.task_info?.estimated_time ?? "?"} s)`),
        onProgress: (t) => console.log(`  ${t.status} ${t.progress ?? 0}%`),
      },
    );
    console.log(`completed: ${task.results?.join(", ")}`);
    console.log("results are valid for 24 hours: download them now (see examples/download.ts)");
  } catch (err) {
    if (err instanceof RequestValidationError) {
      for (const v of err.violations) console.error(`invalid ${v.field}: ${v.message}`);
    } else if (err instanceof TaskFailedError) {
      console.error(`the edit failed: ${err.code}: ${err.task.error?.message}`);
    } else if (err instanceof APIError) {
      console.error(`${err.name} ${err.status}: ${err.message} (request id ${err.requestId ?? "none"})`);
    } else {
      throw err;
    }
    process.exitCode = 1;
  } finally {
    await mock?.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
