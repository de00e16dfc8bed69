/**
 * A webhook receiver for task callbacks (`callback_url`), on Node's http server.
 *
 *   KLING_API_KEY=... PORT=8080 npx tsx examples/webhook-receiver.ts
 *
 * Put it behind a public HTTPS URL (the API refuses http:// and internal addresses for callback_url) and pass that
 * URL as `callback_url` when you create an edit. The API documents no signature on callbacks, so with a key set this
 * receiver confirms each task with GET /v1/tasks/{id} (verify: "fetch") before trusting it.
 *
 * Without KLING_API_KEY it runs a demonstration: it delivers one callback to itself the way the API does (the first
 * attempt and its 3 retries) and shows the task is reported once.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { createKlingClient, type Task } from "../src/index.js";
import { createNodeCallbackListener } from "../src/node.js";
import { MemoryCallbackStore } from "../src/webhooks.js";

async function main(): Promise<void> {
  const live = Boolean(process.env.KLING_API_KEY);
  const onTask = async (task: Task) => {
    if (task.status === "completed") console.log(`task ${task.id} completed: ${task.results?.join(", ")}`);
    else console.log(`task ${task.id} is ${task.status}${task.error ? `: ${task.error.message}` : ""}`);
  };
  const listener = createNodeCallbackListener({
    onTask,
    store: new MemoryCallbackStore(10_000), // behind a load balancer, use a shared store instead
    ...(live ? { verify: "fetch" as const, client: createKlingClient() } : {}),
  });
  const server = http.createServer(listener);
  await new Promise<void>((resolve) => server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/kling`;
  console.log(`listening on ${url}`);
  if (live) return; // keep serving

  const body = JSON.stringify({
    id: "task-unified-1757169743-7cvnl5zw",
    status: "completed",
    progress: 100,
    results: ["https://example.com/results/task-unified-1757169743-7cvnl5zw.mp4"],
  });
  for (let attempt = 0; attempt < 4; attempt++) {
    const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body });
    console.log(`delivery ${attempt + 1}: ${response.status} ${await response.text()}`);
  }
  const bad = await fetch(url, { method: "POST", body: '{"id": 1}' });
  console.log(`an invalid body: ${bad.status} ${await bad.text()}`);
  await new Promise((resolve) => server.close(resolve));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
