import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { APITimeoutError, APIUserAbortError, createKlingClient, DownloadError, type Task } from "../src/index.js";
import { downloadToFile, fileNameFromUrl } from "../src/node.js";
import { TASK_ID, taskDetail } from "./support/fake-fetch.js";

const MiB = 1024 * 1024;
let server: http.Server;
let base: string;
let dir: string;
/** Requests the server saw, by path. */
const hits: string[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    hits.push(url.pathname);
    const size = Number(url.searchParams.get("size") ?? 1000);
    switch (url.pathname) {
      case "/ok.mp4": {
        res.writeHead(200, { "content-type": "video/mp4", "content-length": String(size) });
        res.end(Buffer.alloc(size, 1));
        return;
      }
      case "/big.mp4": {
        // Streams `size` bytes in 64 KiB chunks with backpressure, never holding the whole body.
        res.writeHead(200, { "content-type": "video/mp4", "content-length": String(size) });
        const chunk = Buffer.alloc(64 * 1024, 2);
        let sent = 0;
        const pump = () => {
          while (sent < size) {
            const part = chunk.subarray(0, Math.min(chunk.length, size - sent));
            sent += part.length;
            if (!res.write(part)) {
              res.once("drain", pump);
              return;
            }
          }
          res.end();
        };
        pump();
        return;
      }
      case "/chunked.mp4": {
        res.writeHead(200, { "content-type": "video/mp4" });
        res.end(Buffer.alloc(size, 3));
        return;
      }
      case "/truncated.mp4": {
        res.writeHead(200, { "content-length": "1000" });
        res.write(Buffer.alloc(400, 4));
        setTimeout(() => res.socket?.destroy(), 20);
        return;
      }
      case "/slow.mp4": {
        res.writeHead(200, { "content-length": "1000" });
        res.write(Buffer.alloc(100, 5));
        return; // never finishes
      }
      case "/expired-403.mp4":
      case "/expired-404.mp4":
      case "/expired-410.mp4": {
        res.writeHead(Number(url.pathname.slice(9, 12)), { "content-type": "application/xml" });
        res.end("<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>");
        return;
      }
      case "/broken.mp4": {
        res.writeHead(500);
        res.end("oops");
        return;
      }
      default:
        res.writeHead(404);
        res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "kling-dl-"));
  hits.length = 0;
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const client = () => createKlingClient({ apiKey: "k-download-test", baseUrl: "https://api.test" });
const insecure = { allowInsecure: true } as const;

describe("client.download to a file", () => {
  it("streams a task's result to the destination, reporting progress", async () => {
    const task = taskDetail("completed", { results: [`${base}/ok.mp4?size=5000`] }) as Task;
    const progress: [number, number | null][] = [];
    const dest = path.join(dir, "out.mp4");
    const result = await client().download(task, dest, { ...insecure, onProgress: (b, t) => progress.push([b, t]) });
    expect(result).toEqual({ path: dest, bytes: 5000, contentType: "video/mp4", url: `${base}/ok.mp4?size=5000` });
    expect(readFileSync(dest)).toHaveLength(5000);
    expect(progress.at(-1)).toEqual([5000, 5000]);
    expect(readdirSync(dir)).toEqual(["out.mp4"]);
  });

  it("takes the URL's file name when the destination is a directory", async () => {
    const result = await client().download(`${base}/ok.mp4`, dir, insecure);
    expect(result.path).toBe(path.join(dir, "ok.mp4"));
    expect(fileNameFromUrl("https://cdn.example.com/a/task-unified-1.mp4?sig=1")).toBe("task-unified-1.mp4");
    expect(fileNameFromUrl("https://cdn.example.com/")).toBe("result.mp4");
    expect(fileNameFromUrl("https://cdn.example.com/..%2F..%2Fetc")).toBe("__.._etc");
  });

  it("accepts a body without Content-Length", async () => {
    const result = await client().download(`${base}/chunked.mp4?size=3000`, path.join(dir, "c.mp4"), {
      ...insecure,
      onProgress: (_b, total) => expect(total).toBeNull(),
    });
    expect(result.bytes).toBe(3000);
  });

  it("refuses http:// without allowInsecure, before any request", async () => {
    const err = (await client()
      .download(`${base}/ok.mp4`, path.join(dir, "x.mp4"))
      .catch((e: unknown) => e)) as DownloadError;
    expect(err).toBeInstanceOf(DownloadError);
    expect(err.reason).toBe("insecure");
    expect(hits).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
  });

  it.each([403, 404, 410])("explains an expired link (%i from the result host)", async (status) => {
    const err = (await client()
      .download(`${base}/expired-${status}.mp4`, path.join(dir, "x.mp4"), insecure)
      .catch((e: unknown) => e)) as DownloadError;
    expect(err).toBeInstanceOf(DownloadError);
    expect(err.reason).toBe("expired");
    expect(err.status).toBe(status);
    expect(err.message).toMatch(/valid for 24 hours/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("reports other HTTP failures as such", async () => {
    const err = (await downloadToFile(`${base}/broken.mp4`, path.join(dir, "x.mp4"), { ...insecure, retries: 0 }).catch(
      (e: unknown) => e,
    )) as DownloadError;
    expect(err.reason).toBe("http");
    expect(err.status).toBe(500);
  });

  it("deletes the partial file and keeps an existing destination when the body is cut off", async () => {
    const dest = path.join(dir, "keep.mp4");
    writeFileSync(dest, "previous");
    const err = (await downloadToFile(`${base}/truncated.mp4`, dest, { ...insecure, retries: 0 }).catch(
      (e: unknown) => e,
    )) as DownloadError;
    expect(err).toBeInstanceOf(DownloadError);
    expect(err.reason).toBe("truncated");
    expect(readdirSync(dir)).toEqual(["keep.mp4"]);
    expect(readFileSync(dest, "utf8")).toBe("previous");
  });

  it("refuses a file over maxBytes by its Content-Length, before writing", async () => {
    const err = (await client()
      .download(`${base}/ok.mp4?size=2000`, path.join(dir, "x.mp4"), { ...insecure, maxBytes: 1000 })
      .catch((e: unknown) => e)) as DownloadError;
    expect(err.reason).toBe("too-large");
    expect(readdirSync(dir)).toEqual([]);
  });

  it("stops a body without Content-Length at maxBytes and deletes the partial file", async () => {
    const err = (await client()
      .download(`${base}/chunked.mp4?size=300000`, path.join(dir, "x.mp4"), { ...insecure, maxBytes: 100_000 })
      .catch((e: unknown) => e)) as DownloadError;
    expect(err.reason).toBe("too-large");
    expect(readdirSync(dir)).toEqual([]);
  });

  it("aborts mid-stream: APIUserAbortError and no file", async () => {
    const controller = new AbortController();
    const err = await client()
      .download(`${base}/slow.mp4`, path.join(dir, "x.mp4"), {
        ...insecure,
        signal: controller.signal,
        onProgress: () => controller.abort(),
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(APIUserAbortError);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("times out a stalled body: APITimeoutError and no file", async () => {
    const err = await client()
      .download(`${base}/slow.mp4`, path.join(dir, "x.mp4"), { ...insecure, timeoutMs: 300 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(APITimeoutError);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("reports a destination it cannot write as an io error", async () => {
    const err = (await client()
      .download(`${base}/ok.mp4`, path.join(dir, "missing", "x.mp4"), insecure)
      .catch((e: unknown) => e)) as DownloadError;
    expect(err).toBeInstanceOf(DownloadError);
    expect(err.reason).toBe("io");
  });

  it("refuses a task that has no result", async () => {
    const err = (await client()
      .download(taskDetail("processing") as Task, dir)
      .catch((e: unknown) => e)) as DownloadError;
    expect(err.reason).toBe("no-result");
    expect(err.message).toContain(TASK_ID);
  });

  it("keeps memory flat for a 100 MB result (streams, never buffers)", async () => {
    const size = 100 * MiB;
    let peak = 0;
    const before = process.memoryUsage();
    const result = await downloadToFile(`${base}/big.mp4?size=${size}`, path.join(dir, "big.mp4"), {
      ...insecure,
      onProgress: (bytes) => {
        if (bytes % (4 * MiB) < 64 * 1024) {
          const now = process.memoryUsage();
          peak = Math.max(peak, now.arrayBuffers - before.arrayBuffers);
        }
      },
    });
    expect(result.bytes).toBe(size);
    expect(existsSync(result.path)).toBe(true);
    // Buffering holds all 100 MB in ArrayBuffers (measured: about 300 MB with response.arrayBuffer()); streaming
    // holds a few pipeline buffers plus whatever the GC has not collected yet.
    expect(peak).toBeLessThan(64 * MiB); // measured about 30 MB
  });
});
