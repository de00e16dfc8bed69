/**
 * A webhook receiver that completes jobs: mount `client.jobs.handleCallback` at the `callback_url` you submit with.
 * It confirms each callback with a GET, stores the job's new state, and ends a waiting `job.wait` at once; a job whose
 * create's answer was lost (`unknown`) is reconciled by the `kling_job` reference its callback URL carries.
 *
 *   KLING_API_KEY=... PORT=8080 CALLBACK_URL=https://your.host/hooks/kling npx tsx examples/job-webhook-receiver.ts
 *
 * Without KLING_API_KEY it runs a demonstration against the mock: the mock delivers the callback straight to the
 * handler (a real deployment needs a public HTTPS URL: the API refuses http:// and internal addresses).
 */
import http from "node:http";
import { createKlingClient, type KlingClient, memoryJobStore } from "../src/index.js";
import { startMockServer } from "../src/mock/index.js";
import { sendWebResponse, toWebRequest } from "../src/node.js";

async function main(): Promise<void> {
  let client: KlingClient | undefined;
  const live = Boolean(process.env.KLING_API_KEY);
  const mock = live
    ? undefined
    : await startMockServer({
        port: 0,
        speed: 120,
        // Stands in for the network: the mock's callback goes straight to the handler below.
        callbackFetch: async (input, init) => (client as KlingClient).jobs.handleCallback(new Request(input, init)),
      });
  client = mock
    ? createKlingClient({ apiKey: "mock-key", baseUrl: mock.url, jobs: { store: memoryJobStore() } })
    : createKlingClient();
  const callbackUrl = process.env.CALLBACK_URL ?? "https://hooks.example.com/kling";

  if (live) {
    const server = http.createServer(async (req, res) => {
      const response = await (client as KlingClient).jobs.handleCallback(await toWebRequest(req));
      await sendWebResponse(res, response);
    });
    server.listen(Number(process.env.PORT ?? 8080), () => console.log(`receiving callbacks for ${callbackUrl}`));
  }
  const job = await client.jobs.submit({
    prompt: "Make it cinematic",
    video_urls: ["https://example.com/in.mp4"],
    callback_url: callbackUrl,
  });
  console.log(`submitted ${job.id} (task ${job.taskId}); callback URL ${job.params.callback_url}`);
  await job.wait();
  console.log(`${job.id} ${job.state}: ${job.resultUrl}`);
  await mock?.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
