/**
 * What a file download may touch, and what it may ask for (issue 11, items 9-12): destinations that are not regular
 * files, file names a server chose, empty results, redirects checked hop by hop; plus the gzip bomb and the
 * transports: every case runs through node:http (no `fetch` given) and through an injected fetch.
 */
import { execFileSync } from "node:child_process";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DownloadError } from "../src/index.js";
import { downloadToFile, type FileDownloadOptions, fileNameFromUrl, safeFileName } from "../src/node.js";
import { fileBytes, type ResultServer, startResultServer } from "./support/result-server.js";

let host: ResultServer;
let dir: string;

beforeAll(async () => {
  host = await startResultServer();
  host.files.set("ok.mp4", { size: 3000, etag: '"v1"' });
});
afterAll(() => host.close());
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "kling-dl-safety-"));
  host.seen.length = 0;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const transports: [string, FileDownloadOptions][] = [
  ["node:http", { allowInsecure: true, retries: 0 }],
  ["fetch", { allowInsecure: true, retries: 0, fetch: (input, init) => globalThis.fetch(input, init) }],
];

async function failure(promise: Promise<unknown>): Promise<DownloadError> {
  const err = await promise.then(
    () => new Error("expected the download to fail"),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DownloadError);
  return err as DownloadError;
}

describe.each(transports)("downloadToFile via %s", (_name, base) => {
  describe("destinations that are not regular files (item 9)", () => {
    it("refuses a symlink, before any request, and leaves the link and its target alone", async () => {
      const victim = path.join(dir, "victim.txt");
      writeFileSync(victim, "keep me");
      const link = path.join(dir, "out.mp4");
      symlinkSync(victim, link);
      const err = await failure(downloadToFile(`${host.base}/file/ok.mp4`, link, base));
      expect(err.reason).toBe("io");
      expect(err.message).toMatch(/symbolic link/);
      expect(host.seen).toEqual([]);
      expect(lstatSync(link).isSymbolicLink()).toBe(true);
      expect(readFileSync(victim, "utf8")).toBe("keep me");
      expect(readdirSync(dir).sort()).toEqual(["out.mp4", "victim.txt"]);
    });

    it("refuses a FIFO, before any request, and leaves it a FIFO", async () => {
      const fifo = path.join(dir, "out.mp4");
      execFileSync("mkfifo", [fifo]);
      const err = await failure(downloadToFile(`${host.base}/file/ok.mp4`, fifo, base));
      expect(err.reason).toBe("io");
      expect(err.message).toMatch(/FIFO/);
      expect(host.seen).toEqual([]);
      expect(lstatSync(fifo).isFIFO()).toBe(true);
    });

    it("refuses a destination that turns into a FIFO while downloading; the part is deleted", async () => {
      const dest = path.join(dir, "out.mp4");
      let made = false;
      const err = await failure(
        downloadToFile(`${host.base}/file/ok.mp4`, dest, {
          ...base,
          onProgress: () => {
            if (made) return;
            made = true;
            execFileSync("mkfifo", [dest]);
          },
        }),
      );
      expect(err.reason).toBe("io");
      expect(lstatSync(dest).isFIFO()).toBe(true);
      expect(readdirSync(dir)).toEqual(["out.mp4"]);
    });

    it("refuses a symlink inside a destination folder (the URL's file name is a link)", async () => {
      const victim = path.join(dir, "victim.txt");
      writeFileSync(victim, "keep me");
      symlinkSync(victim, path.join(dir, "ok.mp4"));
      const err = await failure(downloadToFile(`${host.base}/file/ok.mp4`, dir, base));
      expect(err.reason).toBe("io");
      expect(readFileSync(victim, "utf8")).toBe("keep me");
      expect(host.seen).toEqual([]);
    });

    it("writes into the folder a symlinked destination folder points at", async () => {
      const real = path.join(dir, "real");
      mkdirSync(real);
      symlinkSync(real, path.join(dir, "link"));
      const result = await downloadToFile(`${host.base}/file/ok.mp4`, path.join(dir, "link"), base);
      expect(result.path).toBe(path.join(dir, "link", "ok.mp4"));
      expect(readFileSync(path.join(real, "ok.mp4"))).toEqual(fileBytes(3000));
    });

    it("replaces an existing regular file, and refuses a folder that does not exist before any request", async () => {
      const dest = path.join(dir, "out.mp4");
      writeFileSync(dest, "old");
      await downloadToFile(`${host.base}/file/ok.mp4`, dest, base);
      expect(readFileSync(dest)).toEqual(fileBytes(3000));
      host.seen.length = 0;
      const err = await failure(downloadToFile(`${host.base}/file/ok.mp4`, path.join(dir, "nope", "x.mp4"), base));
      expect(err.reason).toBe("io");
      expect(host.seen).toEqual([]);
    });
  });

  describe("a result with no bytes is a failure (item 11)", () => {
    it.each(["/empty-200", "/empty-chunked", "/no-content"])(
      "%s: DownloadError empty, existing file untouched",
      async (p) => {
        const dest = path.join(dir, "out.mp4");
        writeFileSync(dest, "previous result");
        const err = await failure(downloadToFile(`${host.base}${p}`, dest, base));
        expect(err.reason).toBe("empty");
        expect(err.message).toMatch(/no bytes|empty/);
        expect(readFileSync(dest, "utf8")).toBe("previous result");
        expect(readdirSync(dir)).toEqual(["out.mp4"]);
      },
    );
  });

  describe("redirects are followed by hand (item 12)", () => {
    it("follows a redirect to the file", async () => {
      const result = await downloadToFile(`${host.base}/redirect?to=/file/ok.mp4`, path.join(dir, "a.mp4"), base);
      expect(result.bytes).toBe(3000);
      expect(host.seen.map((s) => s.path)).toEqual(["/redirect", "/file/ok.mp4"]);
    });

    it("checks a hop's scheme before requesting it", async () => {
      const err = await failure(
        downloadToFile(
          `${host.base}/redirect?to=${encodeURIComponent("file:///etc/passwd")}`,
          path.join(dir, "a.mp4"),
          base,
        ),
      );
      expect(err.reason).toBe("insecure");
      expect(host.seen.map((s) => s.path)).toEqual(["/redirect"]);
      expect(readdirSync(dir)).toEqual([]);
    });

    it("drops Authorization and Cookie on a hop to another origin, keeps them on the same origin", async () => {
      const headers = { Authorization: "Bearer result-host-token", Cookie: "session=1", "X-Trace": "t" };
      await downloadToFile(`${host.base}/redirect?to=/file/ok.mp4`, path.join(dir, "same.mp4"), { ...base, headers });
      expect(host.seen[1]?.headers.authorization).toBe("Bearer result-host-token");
      host.seen.length = 0;
      await downloadToFile(`${host.base}/redirect?host=other&to=/file/ok.mp4`, path.join(dir, "other.mp4"), {
        ...base,
        headers,
      });
      expect(host.seen.map((s) => [s.path, s.headers.host?.split(":")[0]])).toEqual([
        ["/redirect", "127.0.0.1"],
        ["/file/ok.mp4", "localhost"],
      ]);
      expect(host.seen[0]?.headers.authorization).toBe("Bearer result-host-token");
      expect(host.seen[1]?.headers.authorization).toBeUndefined();
      expect(host.seen[1]?.headers.cookie).toBeUndefined();
      expect(host.seen[1]?.headers["x-trace"]).toBe("t");
    });

    it("gives up on a redirect loop", async () => {
      const err = await failure(downloadToFile(`${host.base}/loop`, path.join(dir, "a.mp4"), base));
      expect(err.reason).toBe("http");
      expect(err.message).toMatch(/redirects/);
      expect(host.seen.length).toBe(11);
    });
  });

  it("stops a gzip bomb at maxBytes (decoded bytes count) and leaves no file", async () => {
    const err = await failure(
      downloadToFile(`${host.base}/gzip-bomb`, path.join(dir, "b.mp4"), { ...base, maxBytes: 1_000_000 }),
    );
    expect(err.reason).toBe("too-large");
    expect(readdirSync(dir)).toEqual([]);
  });

  it("decodes a gzip body like fetch does", async () => {
    const result = await downloadToFile(`${host.base}/gzip-small`, path.join(dir, "g.mp4"), base);
    expect(result.bytes).toBe(5000);
    expect(readFileSync(result.path)).toEqual(fileBytes(5000));
  });
});

describe("safeFileName: names from ids and URLs stay inside their folder (item 10)", () => {
  it.each([
    [".../../escaped", "__.._escaped"],
    ["../../etc/passwd", "__.._etc_passwd"],
    ["..", "result"],
    [".", "result"],
    ["", "result"],
    ['a\\b:c*d?e"f<g>h|i', "a_b_c_d_e_f_g_h_i"],
    ["line\nbreak\u0000nul", "line_break_nul"],
    ["CON", "_CON"],
    ["nul.mp4", "_nul.mp4"],
    ["trailing. . ", "trailing"],
    ["task-unified-1757169743-7cvnl5zw", "task-unified-1757169743-7cvnl5zw"],
  ])("%j -> %j", (input, want) => {
    expect(safeFileName(input)).toBe(want);
  });

  it("cuts long names to 200 bytes, keeping the extension", () => {
    const name = safeFileName(`${"é".repeat(300)}.mp4`);
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(200);
    expect(name.endsWith(".mp4")).toBe(true);
  });

  it("for any text, the joined path is a direct child of the folder (property)", () => {
    const folder = path.resolve("/srv/out");
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: "grapheme-composite" }),
          fc.string({ unit: "binary" }),
          fc.constantFrom("..", ".", "/", "\\..\\"),
        ),
        (text) => {
          for (const name of [safeFileName(text), `${safeFileName(text)}.mp4`]) {
            const joined = path.resolve(folder, name);
            expect(path.dirname(joined)).toBe(folder);
            expect([".", ".."]).not.toContain(path.basename(joined));
            expect(Buffer.byteLength(name)).toBeLessThanOrEqual(204);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it("a server-chosen id as the batch names it lands inside --out", async () => {
    const out = path.join(dir, "out");
    mkdirSync(out);
    const dest = path.join(out, `${safeFileName(".../../escaped")}.mp4`);
    const result = await downloadToFile(`${host.base}/file/ok.mp4`, dest, { allowInsecure: true });
    expect(path.dirname(result.path)).toBe(out);
    expect(readdirSync(out)).toEqual(["__.._escaped.mp4"]);
    expect(existsSync(path.join(dir, "escaped.mp4"))).toBe(false);
  });

  it("fileNameFromUrl uses it", () => {
    expect(fileNameFromUrl("https://cdn.example.com/a/..%2F..%2Fescaped.mp4")).toBe("__.._escaped.mp4");
    expect(fileNameFromUrl("https://cdn.example.com/a/%E0%A4%A.mp4")).toBe("result.mp4");
  });
});
