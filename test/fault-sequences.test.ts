/**
 * Fault sequences (issue 11, "proof beyond the list"): fast-check draws sequences of faults (429, 503 from the API and
 * from a gateway, 500, 502, 504, 408, a refused connection, a reset after the request, a hang, a malformed and a
 * schema-breaking body, a cut-off or empty download) and a counting server answers each request of one job (submit,
 * wait, download) with the next fault, then normally. On the server's fake clock, for every sequence: creates counted
 * never exceed the one logical edit (and are 0 when submit rejected), no unhandled rejection, no key in any output
 * (errors, their JSON and inspect, logs, the stored job), and no partial file at the destination.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { inspect } from "node:util";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createKlingClient, type JobSnapshot, memoryJobStore } from "../src/index.js";
// Loaded here, not by download()'s lazy import() inside a run: a module load takes real time the fake clock skips.
import "../src/download-node.js";

const KEY = "sk-fault-seq-0123456789abcdef";
const FAULTS = [
  "429",
  "503-api",
  "503-gateway",
  "500",
  "502",
  "504",
  "408",
  "refused",
  "reset",
  "hang",
  "malformed",
  "schema",
  "cut",
  "empty",
] as const;
type Fault = (typeof FAULTS)[number];

const RUNS = Number(process.env.FAULT_SEQUENCES ?? 1000);
/** The real setTimeout, taken before any test fakes it. */
const realSetTimeout = globalThis.setTimeout;
/** Real file-system work in flight (the download's part file, its rename, the destination checks). */
const fsBusy = () => process.getActiveResourcesInfo().some((r) => r.startsWith("FS") || r === "CloseReq");

/** The counting server, as a fetch: tasks it created, and the next faults to answer with. */
function server(faults: Fault[]) {
  let creates = 0;
  let polls = 0;
  const taskId = "task-unified-1757169743-faultseq";
  const video = new Uint8Array(4096).fill(7);
  const envelope = (status: number, type: string) =>
    new Response(JSON.stringify({ error: { code: status, message: `echo ${KEY}`, type } }), {
      status,
      headers: { "content-type": "application/json", "retry-after": "0", "x-request-id": `req ${KEY}` },
    });
  const task = (status: string) => ({
    id: taskId,
    status,
    progress: status === "completed" ? 100 : 50,
    ...(status === "completed" ? { results: ["https://results.example.com/out.mp4"] } : {}),
    task_info: { estimated_time: 2 },
  });
  const fetchImpl = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = input instanceof Request && init === undefined ? input : new Request(input, init);
    const url = new URL(request.url);
    const kind = request.method === "POST" ? "create" : url.hostname === "results.example.com" ? "download" : "poll";
    const fault = faults.shift();
    const bodyFor = () => {
      if (kind === "create") {
        creates++;
        return task("pending");
      }
      polls++;
      return task(polls >= 2 ? "completed" : "processing");
    };
    switch (fault) {
      case "429":
        return envelope(429, "rate_limit_error");
      case "503-api":
        return envelope(503, "service_unavailable_error");
      case "503-gateway":
        if (kind === "create") creates++; // forwarded, then the gateway answered
        return new Response(`<html>503 ${KEY}</html>`, { status: 503, headers: { "content-type": "text/html" } });
      case "500":
      case "502":
      case "504":
      case "408": {
        if (kind === "create") creates++;
        const status = Number(fault);
        return envelope(status, status === 500 ? "internal_server_error" : "upstream_error");
      }
      case "refused":
        throw new TypeError("fetch failed", {
          cause: Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }),
        });
      case "reset":
        if (kind === "create") creates++;
        throw new TypeError("fetch failed", {
          cause: Object.assign(new Error(`socket hang up ${KEY}`), { code: "ECONNRESET" }),
        });
      case "hang":
        if (kind === "create") creates++;
        return new Promise((_resolve, reject) => {
          request.signal.addEventListener("abort", () => reject(request.signal.reason), { once: true });
        });
      case "malformed":
        if (kind === "download") break; // a result with an unannounced length is whole as far as anyone can tell
        if (kind === "create") creates++;
        return new Response('{"id": "task-unified-', { status: 200, headers: { "content-type": "application/json" } });
      case "schema":
        if (kind === "download") break;
        if (kind === "create") creates++;
        return new Response(JSON.stringify({ id: 42, status: KEY }), {
          status: 200,
          headers: { "content-type": "application/json" },
        });
      case "cut":
        if (kind === "download") {
          return new Response(video.slice(0, 100), {
            status: 200,
            headers: { "content-length": String(video.length) },
          });
        }
        break;
      case "empty":
        if (kind === "download") return new Response(null, { status: 204 });
        break;
      default:
        break;
    }
    if (kind === "download") {
      return new Response(video, { status: 200, headers: { "content-length": String(video.length) } });
    }
    return new Response(JSON.stringify(bodyFor()), { status: 200, headers: { "content-type": "application/json" } });
  };
  return { fetch: fetchImpl as typeof fetch, creates: () => creates };
}

describe("fault sequences against a counting server", () => {
  let dir: string;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "kling-faults-"));
    process.on("unhandledRejection", onUnhandled);
  });
  afterAll(() => {
    process.off("unhandledRejection", onUnhandled);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it(`${RUNS} sequences: no duplicate create, no unhandled rejection, no key in any output, no partial file`, async () => {
    let run = 0;
    const seen = { rejected: 0, unknown: 0, failedWait: 0, downloaded: 0 };
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...FAULTS), { maxLength: 8 }), async (sequence) => {
        run++;
        vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
        const srv = server([...sequence]);
        const logs: string[] = [];
        const log = (...args: unknown[]) => logs.push(args.map((a) => inspect(a, { depth: 6 })).join(" "));
        const store = memoryJobStore();
        const client = createKlingClient({
          apiKey: `${KEY}\r`,
          baseUrl: "https://api.example.com/apiv1",
          fetch: srv.fetch,
          timeoutMs: 5_000,
          logger: { debug: log, info: log, warn: log, error: log },
          logLevel: "debug",
          jobs: { store },
        });
        const destination = path.join(dir, `out-${run}.mp4`);
        const errors: unknown[] = [];
        const work = (async () => {
          let job: Awaited<ReturnType<typeof client.jobs.submit>>;
          try {
            job = await client.jobs.submit({ prompt: "p", video_urls: ["https://example.com/in.mp4"] });
          } catch (err) {
            errors.push(err);
            return { rejected: true };
          }
          try {
            await job.wait({ timeoutMs: 60_000 });
            await job.download(destination, { retries: 0 });
          } catch (err) {
            errors.push(err);
          }
          return { rejected: false };
        })();
        let settled = false;
        let outcome = { rejected: false };
        work.then((o) => {
          settled = true;
          outcome = o;
        });
        // Timers move on the fake clock, straight to the next one. File writes are real: while one is in flight the
        // clock waits for it (50 event-loop turns, then up to 50 ms), so a download's deadline never passes during a write that took a
        // millisecond. Stepping 500 ms per event-loop turn instead took 140 turns a sequence and let the clock run
        // minutes ahead of the disk on a loaded machine (downloads timed out at random: 15 to 58 failed waits of 1000).
        const realEnd = performance.now() + 20_000;
        while (!settled && performance.now() < realEnd) {
          for (let i = 0; fsBusy() && i < 100; i++) {
            await new Promise((resolve) => (i < 50 ? setImmediate(resolve) : realSetTimeout(resolve, 1)));
          }
          await vi.advanceTimersToNextTimerAsync();
          await new Promise((resolve) => setImmediate(resolve));
        }
        vi.useRealTimers();
        expect(settled).toBe(true);
        // Money: one logical edit, at most one create; a rejection means none.
        expect(srv.creates()).toBeLessThanOrEqual(1);
        if (outcome.rejected) expect(srv.creates()).toBe(0);
        // Secrets: nowhere in errors (message, JSON, inspect), logs or the stored job.
        const stored: JobSnapshot[] = await store.list();
        const outputs = [
          ...errors.flatMap((e) => [String(e), JSON.stringify(e), inspect(e, { depth: 8 })]),
          ...logs,
          JSON.stringify(stored),
        ].join("\n");
        expect(outputs).not.toContain(KEY);
        const state = stored[0]?.state;
        if (outcome.rejected) seen.rejected++;
        else if (state === "unknown") seen.unknown++;
        else if (state === "downloaded") seen.downloaded++;
        else seen.failedWait++;
        // Files: the destination is whole or absent.
        if (fs.existsSync(destination)) expect(fs.statSync(destination).size).toBe(4096);
      }),
      { numRuns: RUNS, seed: 20261202, endOnFailure: true },
    );
    expect(unhandled).toEqual([]);
    // Not vacuous: the sequences reached every ending (a rejection, an unknown create, a finished download, a
    // wait or download that gave up).
    process.stderr.write(`fault sequences: ${JSON.stringify(seen)}\n`);
    for (const count of Object.values(seen)) expect(count).toBeGreaterThan(0);
  }, 600_000);
});
