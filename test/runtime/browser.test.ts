/**
 * The packed client in a real browser (issue 15): Debian's Chromium driven by playwright-core. A page served from
 * one origin, under a Content-Security-Policy without 'unsafe-eval', bundled by a default esbuild browser build from
 * the packed tarball, runs fixtures/browser/flow.js: an invalid edit refused before any request, then create, wait
 * with progress, downloadBlob, and the result playing in a <video>. Once against the mock server on another origin
 * (CORS), once with the mock in the page behind MSW's service worker and no server. A failing test leaves a
 * screenshot in test-results/.
 */
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { build } from "esbuild";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MockServer, startMockServer } from "../../src/mock/index.js";
import { ROOT } from "../cli/helpers.js";
import { packed, requireRuntime } from "../package/packed.js";
import { CHROMIUM_FLAGS, CHROMIUM_PATH } from "../support/browser.js";

const SCREENSHOTS = path.join(ROOT, "test-results");

interface FlowResult {
  done: boolean;
  error?: string;
  csp: string[];
  validation: { name: string; isRequestValidationError: boolean; fields: string[]; requestsSoFar: number };
  progress: [string, number | null][];
  task: { id: string; status: string };
  download: { isBlob: boolean; bytes: number; blobSize: number; contentType: string; url: string };
  video: { duration: number; width: number; height: number };
  fileDownload: { isKlingError: boolean; message: string };
  jobs: { resumed: number; callback: number; said: string };
  createRequests?: number;
}

/** A static server for the page's files, with the page's CSP; it records every path asked of it. */
async function servePage(dir: string, csp: string) {
  const asked: string[] = [];
  const types: Record<string, string> = { ".html": "text/html", ".js": "text/javascript" };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://page");
    asked.push(url.pathname);
    const file = path.join(dir, path.normalize(url.pathname === "/" ? "/index.html" : url.pathname));
    if (!file.startsWith(dir) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, {
      "content-type": types[path.extname(file)] ?? "application/octet-stream",
      "content-security-policy": csp,
      "cache-control": "no-store",
    });
    res.end(fs.readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    asked,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Bundles a page the way a user's default build would, from the packed package in `project`'s node_modules. */
async function bundlePage(project: string, name: string, entry: string): Promise<string> {
  const source = path.join(project, `browser-src-${name}`);
  fs.mkdirSync(source, { recursive: true });
  for (const file of fs.readdirSync(path.join(ROOT, "test/runtime/fixtures/browser"))) {
    fs.copyFileSync(path.join(ROOT, "test/runtime/fixtures/browser", file), path.join(source, file));
  }
  const dir = path.join(project, `browser-${name}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const result = await build({
    entryPoints: [path.join(source, entry)],
    bundle: true,
    platform: "browser",
    format: "esm",
    // Split as an app's bundler does: the jobs' code, loaded with import() at the first action, is a chunk of its own
    // that the page fetches when the flow first uses jobs.
    splitting: true,
    outdir: dir,
    entryNames: "app",
    logLevel: "silent",
  });
  expect([...result.errors, ...result.warnings]).toEqual([]);
  const html = fs.readFileSync(path.join(source, "index.html"), "utf8");
  fs.writeFileSync(path.join(dir, "index.html"), html.replace("./APP", "./app.js"));
  fs.writeFileSync(path.join(dir, "probe.html"), html.replace("./APP", "./probe.js"));
  fs.copyFileSync(path.join(source, "probe.js"), path.join(dir, "probe.js"));
  return dir;
}

/** Loads the page, waits for the flow to end, and returns what it saw; on failure, a screenshot. */
async function runPage(browser: Browser, url: string, name: string, check: (r: FlowResult) => void): Promise<void> {
  const context = await browser.newContext();
  const page: Page = await context.newPage();
  const consoleErrors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error" || process.env.DEBUG_BROWSER) consoleErrors.push(`${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
  try {
    await page.goto(url);
    await page.waitForFunction(() => (window as unknown as { __result?: FlowResult }).__result?.done === true, null, {
      timeout: 20_000,
    });
    const result = await page.evaluate(() => (window as unknown as { __result: FlowResult }).__result);
    expect(result.error, "the flow threw").toBeUndefined();
    check(result);
    expect(consoleErrors).toEqual([]);
    // The policy is in force: a script of the same origin, under the same header, may not eval.
    await page.goto(new URL("/probe.html", url).href);
    await page.waitForFunction(() => document.title.startsWith("eval "), null, { timeout: 5_000 });
    expect(await page.title()).toBe("eval refused");
  } catch (error) {
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOTS, `browser-${name}.png`), fullPage: true }).catch(() => {});
    if (consoleErrors.length > 0 && error instanceof Error) {
      error.message += `\nbrowser console:\n${consoleErrors.join("\n")}`;
    }
    throw error;
  } finally {
    await context.close();
  }
}

/** What both pages must show: the checks of issue 15. */
function checkFlow(result: FlowResult): void {
  // Nothing the client does needs more than the policy allows (no eval, no inline script).
  expect(result.csp).toEqual([]);
  // The invalid edit: a typed error naming each field, shown before any request was made.
  expect(result.validation).toEqual({
    name: "RequestValidationError",
    isRequestValidationError: true,
    fields: ["prompt", "video_urls[0]"],
    requestsSoFar: 0,
  });
  // Progress was reported up to the end.
  expect(result.progress.length).toBeGreaterThan(0);
  expect(result.progress.at(-1)?.[0]).toBe("completed");
  expect(result.task.status).toBe("completed");
  // downloadBlob returns { blob, bytes, contentType, url }, and the <video> plays it: the 2 s sample clip.
  expect(result.download).toMatchObject({ isBlob: true, contentType: "video/mp4" });
  expect(result.download.blobSize).toBe(result.download.bytes);
  expect(result.download.url).toContain(`/__mock/results/${result.task.id}`);
  expect(result.video.duration).toBeGreaterThan(1.8);
  expect(result.video.duration).toBeLessThan(2.2);
  expect(result.video.width).toBeGreaterThan(0);
  // Saving to a file says what to use in a browser.
  expect(result.fileDownload.isKlingError).toBe(true);
  expect(result.fileDownload.message).toMatch(/downloadBlob\(\)/);
  // The jobs' lazily loaded code ran: an empty store resumed, a callback that is not JSON refused.
  expect(result.jobs).toEqual({ resumed: 0, callback: 400, said: "Callback body is not JSON" });
}

/** The page fetched a chunk besides app.js after the start: the lazily loaded code came over the network. */
function lazyChunks(asked: string[]): string[] {
  return asked.filter((p) => p.endsWith(".js") && !["/app.js", "/probe.js", "/mockServiceWorker.js"].includes(p));
}

const gate = requireRuntime(`Chromium at ${CHROMIUM_PATH}`, fs.existsSync(CHROMIUM_PATH));

describe.skipIf(gate.skip).concurrent(gate.title("the packed client in Chromium"), () => {
  let browser: Browser;
  let project: string;
  beforeAll(async () => {
    const [pkg, launched] = await Promise.all([
      packed(),
      chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_FLAGS }),
    ]);
    project = pkg.project;
    browser = launched;
  });
  afterAll(() => browser?.close());

  it("a page on one origin, under a CSP without 'unsafe-eval', against the mock server on another", async () => {
    const mock: MockServer = await startMockServer({ port: 0, host: "127.0.0.1", speed: 2000, seed: 15 });
    const dir = await bundlePage(project, "server", "app-server.js");
    const page = await servePage(
      dir,
      `default-src 'none'; script-src 'self'; connect-src ${mock.url}; media-src blob:; style-src 'self'`,
    );
    try {
      expect(new URL(page.url).origin).not.toBe(new URL(mock.url).origin);
      await runPage(browser, `${page.url}/?api=${encodeURIComponent(mock.url)}`, "server", checkFlow);
      expect(lazyChunks(page.asked).length).toBeGreaterThan(0);
      // One create reached the server: the valid one.
      const admin = (await (await fetch(`${mock.url}/__mock/tasks`)).json()) as { createRequests: number };
      expect(admin.createRequests).toBe(1);
    } finally {
      await Promise.all([page.close(), mock.close()]);
    }
  });

  it("the same page with the mock behind MSW's service worker, and no API server", async () => {
    const dir = await bundlePage(project, "msw", "app-msw.js");
    // The worker file `npx msw init <dir>` writes: msw's own lib/mockServiceWorker.js.
    fs.copyFileSync(
      path.join(ROOT, "node_modules/msw/lib/mockServiceWorker.js"),
      path.join(dir, "mockServiceWorker.js"),
    );
    const page = await servePage(
      dir,
      "default-src 'none'; script-src 'self'; worker-src 'self'; connect-src 'self'; media-src blob:; style-src 'self'",
    );
    try {
      await runPage(browser, `${page.url}/`, "msw", (result) => {
        checkFlow(result);
        expect(result.createRequests).toBe(1);
      });
      // Every API call was answered in the page: none reached the (static) server.
      expect(page.asked.filter((p) => p.startsWith("/api"))).toEqual([]);
      expect(page.asked).toContain("/mockServiceWorker.js");
    } finally {
      await page.close();
    }
  });
});
