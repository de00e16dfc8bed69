/**
 * Download a completed task's result to a file, with a progress line. Streams to a temporary file and renames it
 * only when complete, so an interrupted download never leaves a partial file behind.
 *
 *   KLING_API_KEY=... npx tsx examples/download.ts task-unified-... ./out.mp4
 *
 * Without KLING_API_KEY it starts the mock, runs an edit there, and downloads its result.
 */
import { createKlingClient, DownloadError } from "../src/index.js";
import { startMockServer } from "../src/mock/index.js";

async function main(): Promise<void> {
  const [taskIdArg, destination = "."] = process.argv.slice(2);
  const mock = process.env.KLING_API_KEY ? undefined : await startMockServer({ port: 0, speed: 60 });
  const client = mock ? createKlingClient({ apiKey: "mock-key", baseUrl: mock.url }) : createKlingClient();
  try {
    let taskId = taskIdArg;
    if (!taskId) {
      if (!mock) throw new Error("usage: examples/download.ts TASK_ID [DESTINATION]");
      const created = await client.edits.create({
        prompt: "Make the video more cinematic",
        video_urls: ["https://example.com/original-video.mp4"],
      });
      taskId = created.id;
    }
    const task = await client.tasks.wait(taskId);
    const result = await client.download(task, destination, {
      allowInsecure: mock !== undefined, // the mock serves results over http://
      onProgress: (bytes, total) => {
        const share = total ? ` ${Math.round((bytes / total) * 100)}%` : "";
        process.stdout.write(`\r${bytes} bytes${share}`);
      },
    });
    process.stdout.write("\n");
    console.log(`saved ${result.bytes} bytes (${result.contentType ?? "unknown type"}) to ${result.path}`);
  } catch (err) {
    if (err instanceof DownloadError && err.reason === "expired") {
      console.error(err.message); // results live 24 hours
      process.exitCode = 1;
      return;
    }
    throw err;
  } finally {
    await mock?.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
