import { describe, expect, it } from "vitest";
import { announcedLength, checkResultUrl, resolveResultUrl } from "../src/download.js";
import {
  APIUserAbortError,
  createKlingClient,
  DownloadError,
  downloadBlob,
  downloadStream,
  type Task,
} from "../src/index.js";
import { scriptedFetch, taskDetail } from "./support/fake-fetch.js";

const URL_OK = "https://cdn.example.com/results/out.mp4";

function bodyOf(bytes: number, announce: number | null = bytes): Response {
  return new Response(new Uint8Array(bytes).fill(9), {
    status: 200,
    headers: { "content-type": "video/mp4", ...(announce === null ? {} : { "content-length": String(announce) }) },
  });
}

describe("resolveResultUrl and checkResultUrl", () => {
  it("takes results[index] of a completed task", () => {
    const task = taskDetail("completed", { results: ["https://a/1.mp4", "https://a/2.mp4"] }) as Task;
    expect(resolveResultUrl(task)).toBe("https://a/1.mp4");
    expect(resolveResultUrl(task, { index: 1 })).toBe("https://a/2.mp4");
    expect(() => resolveResultUrl(task, { index: 2 })).toThrow(DownloadError);
    expect(resolveResultUrl("https://x/y.mp4")).toBe("https://x/y.mp4");
  });

  it.each([
    ["http without allowInsecure", "http://cdn.example.com/a.mp4", false, false],
    ["http with allowInsecure", "http://127.0.0.1:4010/a.mp4", true, true],
    ["https", "https://cdn.example.com/a.mp4", false, true],
    ["file: even with allowInsecure", "file:///etc/passwd", true, false],
    ["not a URL", "out.mp4", true, false],
  ])("%s", (_name, url, allowInsecure, ok) => {
    if (ok) expect(checkResultUrl(url, allowInsecure).href).toBe(url);
    else expect(() => checkResultUrl(url, allowInsecure)).toThrow(DownloadError);
  });

  it("ignores Content-Length of a compressed body", () => {
    expect(announcedLength(bodyOf(10))).toBe(10);
    expect(announcedLength(new Response("x", { headers: { "content-length": "5", "content-encoding": "gzip" } }))).toBe(
      null,
    );
  });
});

describe("downloadBlob (browsers)", () => {
  it("returns the bytes as a Blob with progress, asking for an uncompressed body", async () => {
    const fake = scriptedFetch(bodyOf(4096));
    const progress: number[] = [];
    const result = await downloadBlob(URL_OK, { fetch: fake.fetch, onProgress: (b) => progress.push(b) });
    expect(result.bytes).toBe(4096);
    expect(result.blob.size).toBe(4096);
    expect(result.blob.type).toBe("video/mp4");
    expect(progress.at(-1)).toBe(4096);
    expect(fake.requests[0]?.headers.get("accept-encoding")).toBe("identity");
    expect(fake.requests[0]?.headers.get("authorization")).toBeNull();
  });

  it("is also a client method using the client's fetch", async () => {
    const fake = scriptedFetch(bodyOf(10));
    const client = createKlingClient({ apiKey: "k-12345", fetch: fake.fetch });
    const task = taskDetail("completed", { results: [URL_OK] }) as Task;
    expect((await client.downloadBlob(task)).bytes).toBe(10);
  });

  it("detects a body shorter than its Content-Length", async () => {
    const fake = scriptedFetch(bodyOf(100, 200));
    const err = (await downloadBlob(URL_OK, { fetch: fake.fetch }).catch((e: unknown) => e)) as DownloadError;
    expect(err.reason).toBe("truncated");
    expect(err.message).toMatch(/100 of 200 bytes/);
  });

  it("caps the size while reading when no length is announced", async () => {
    const fake = scriptedFetch(bodyOf(5000, null));
    const err = (await downloadBlob(URL_OK, { fetch: fake.fetch, maxBytes: 1000 }).catch(
      (e: unknown) => e,
    )) as DownloadError;
    expect(err.reason).toBe("too-large");
  });

  it("refuses a redirect from https to http before requesting it (redirects are followed by hand)", async () => {
    const fake = scriptedFetch(
      new Response(null, { status: 302, headers: { location: "http://cdn.example.com/out.mp4?sig=secret" } }),
      bodyOf(10),
    );
    const err = (await downloadBlob(URL_OK, { fetch: fake.fetch, allowInsecure: true }).catch(
      (e: unknown) => e,
    )) as DownloadError;
    expect(err.reason).toBe("insecure");
    expect(err.message).toMatch(/redirect from https to http/);
    expect(fake.requests.map((r) => [r.url, r.redirect])).toEqual([[URL_OK, "manual"]]);
  });

  it("follows a relative redirect, dropping credentials when it leaves the origin", async () => {
    const fake = scriptedFetch(
      new Response(null, { status: 301, headers: { location: "/moved/out.mp4" } }),
      new Response(null, { status: 307, headers: { location: "https://other.example.net/out.mp4" } }),
      bodyOf(10),
    );
    const result = await downloadBlob(URL_OK, { fetch: fake.fetch, headers: { Authorization: "Bearer t" } });
    expect(result.bytes).toBe(10);
    expect(fake.requests.map((r) => [r.url, r.headers.get("authorization")])).toEqual([
      [URL_OK, "Bearer t"],
      ["https://cdn.example.com/moved/out.mp4", "Bearer t"],
      ["https://other.example.net/out.mp4", null],
    ]);
  });

  it("in a browser (an opaque manual redirect) lets fetch follow, then checks where it ended", async () => {
    const opaque = new Response(null, { status: 200 });
    Object.defineProperty(opaque, "type", { value: "opaqueredirect" });
    const downgraded = bodyOf(10);
    Object.defineProperty(downgraded, "url", { value: "http://cdn.example.com/out.mp4" });
    const fake = scriptedFetch(
      () => opaque,
      () => downgraded,
    );
    const err = (await downloadBlob(URL_OK, { fetch: fake.fetch }).catch((e: unknown) => e)) as DownloadError;
    expect(err.reason).toBe("insecure");
    expect(fake.requests.map((r) => r.redirect)).toEqual(["manual", "follow"]);
  });

  it.each([
    ["an empty 200", () => bodyOf(0)],
    ["a 204", () => new Response(null, { status: 204 })],
    ["a 200 without Content-Length and no bytes", () => bodyOf(0, null)],
  ])("refuses %s: a result with no bytes is a failure", async (_name, answer) => {
    const err = (await downloadBlob(URL_OK, { fetch: scriptedFetch(answer).fetch }).catch(
      (e: unknown) => e,
    )) as DownloadError;
    expect(err).toBeInstanceOf(DownloadError);
    expect(err.reason).toBe("empty");
  });

  it("refuses a redirect from https to http reported after the fact by a fetch that follows on its own", async () => {
    const redirected = bodyOf(10);
    Object.defineProperty(redirected, "url", { value: "http://cdn.example.com/out.mp4" });
    const fake = scriptedFetch(() => redirected);
    const err = (await downloadBlob(URL_OK, { fetch: fake.fetch }).catch((e: unknown) => e)) as DownloadError;
    expect(err.reason).toBe("insecure");
  });

  it("explains expired links and wraps connection failures", async () => {
    const expired = await downloadBlob(URL_OK, { fetch: scriptedFetch(new Response("", { status: 410 })).fetch }).catch(
      (e: unknown) => e,
    );
    expect((expired as DownloadError).reason).toBe("expired");
    const offline = await downloadBlob(URL_OK, { fetch: scriptedFetch(new TypeError("fetch failed")).fetch }).catch(
      (e: unknown) => e,
    );
    expect((offline as DownloadError).reason).toBe("network");
  });

  it("honours an abort while waiting for the result host", async () => {
    const controller = new AbortController();
    const outcome = downloadBlob(URL_OK, { fetch: scriptedFetch("hang").fetch, signal: controller.signal }).catch(
      (e: unknown) => e,
    );
    controller.abort();
    expect(await outcome).toBeInstanceOf(APIUserAbortError);
  });
});

describe("downloadStream", () => {
  async function drain(stream: ReadableStream<Uint8Array>): Promise<number> {
    let n = 0;
    for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) n += chunk.byteLength;
    return n;
  }

  it("streams the bytes with the announced total", async () => {
    const client = createKlingClient({ apiKey: "k-12345", fetch: scriptedFetch(bodyOf(3000)).fetch });
    const result = await client.downloadStream(URL_OK);
    expect(result.total).toBe(3000);
    expect(result.contentType).toBe("video/mp4");
    expect(await drain(result.stream)).toBe(3000);
  });

  it("errors the stream when the body is shorter than announced", async () => {
    const result = await downloadStream(URL_OK, { fetch: scriptedFetch(bodyOf(100, 200)).fetch });
    const err = (await drain(result.stream).catch((e: unknown) => e)) as DownloadError;
    expect(err).toBeInstanceOf(DownloadError);
    expect(err.reason).toBe("truncated");
  });

  it("errors the stream past maxBytes", async () => {
    const result = await downloadStream(URL_OK, { fetch: scriptedFetch(bodyOf(5000, null)).fetch, maxBytes: 10 });
    const err = (await drain(result.stream).catch((e: unknown) => e)) as DownloadError;
    expect(err.reason).toBe("too-large");
  });

  it("errors the stream when the body is empty", async () => {
    const result = await downloadStream(URL_OK, { fetch: scriptedFetch(bodyOf(0, null)).fetch });
    const err = (await drain(result.stream).catch((e: unknown) => e)) as DownloadError;
    expect(err.reason).toBe("empty");
  });

  it("refuses a link past expiresAt without a request", async () => {
    const fake = scriptedFetch(bodyOf(10));
    const err = await downloadStream(URL_OK, { fetch: fake.fetch, expiresAt: Date.now() - 1 }).catch((e: unknown) => e);
    expect((err as DownloadError).reason).toBe("expired");
    expect(fake.requests).toEqual([]);
  });

  it("refuses an expired link before returning a stream", async () => {
    const err = await downloadStream(URL_OK, { fetch: scriptedFetch(new Response("", { status: 403 })).fetch }).catch(
      (e: unknown) => e,
    );
    expect((err as DownloadError).reason).toBe("expired");
  });
});
