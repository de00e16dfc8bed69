/**
 * The control page at /__mock/ in a real browser (Debian's Chromium through playwright-core): create a task from the
 * form, watch it move, fail it and see its callback, switch the scenario, pause and advance the clock.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type MockServer, startMockServer } from "../../src/mock/index.js";
import { loadRecordings } from "../../src/mock/replay-files.js";
import { describeBrowser, launchChromium } from "../support/browser.js";
import { headers } from "./helpers.js";

let mock: MockServer;
let browser: Browser | null;
let page: Page;
let sink: Server;
let sinkUrl: string;
const delivered: unknown[] = [];

beforeAll(async () => {
  sink = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", () => {
      delivered.push(JSON.parse(body));
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => sink.listen(0, "127.0.0.1", resolve));
  sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/hooks?from=page`;
  mock = await startMockServer({ port: 0, seed: 5, speed: 10, allowLoopbackCallbacks: true });
  browser = await launchChromium();
  if (browser) page = await browser.newPage();
});

afterAll(async () => {
  await browser?.close();
  await mock?.close();
  await new Promise<void>((resolve) => sink?.close(() => resolve()));
});

/** Saves a screenshot under test-results/ when a test fails, to see what the page showed. */
function screenshotOnFailure(onTestFailed: (fn: () => Promise<void>) => void, name: string): void {
  onTestFailed(async () => {
    await page.screenshot({ path: `test-results/mock-page-${name}.png`, fullPage: true }).catch(() => {});
  });
}

const row = (id: string) => `#tasks tr[data-id="${id}"]`;

describeBrowser("the control page at /__mock/ (Chromium)", () => {
  it("creates a task from the form, shows its progress moving, fails it and shows the callback", async ({
    onTestFailed,
  }) => {
    screenshotOnFailure(onTestFailed, "fail");
    await page.goto(`${mock.url}/__mock/`);
    await page.fill('#create input[name="callback"]', sinkUrl);
    await page.click("#create-submit");
    await expect.poll(() => page.textContent("#create-result")).toMatch(/^HTTP 200 \(req_[0-9a-f]{32}\)/);
    await page.waitForSelector("#tasks tbody tr");
    const id = (await page.getAttribute("#tasks tbody tr", "data-id")) ?? "";
    expect(mock.engine.get(id)).toBeDefined();

    // Progress moves on its own (speed 10: pending for well under a second, then processing).
    await expect
      .poll(async () => Number.parseInt((await page.textContent(`${row(id)} td.progress`)) ?? "0", 10), {
        timeout: 15_000,
      })
      .toBeGreaterThan(0);
    expect(await page.getAttribute(row(id), "data-status")).toBe("processing");

    await page.fill("#fail-code", "content_policy_violation");
    await page.click(`${row(id)} button[data-action="fail"]`);
    await page.waitForSelector(`${row(id)}[data-status="failed"]`);
    await page.waitForSelector(`#callbacks tr[data-id="${id}"][data-state="delivered"]`);
    expect(await page.textContent(`#callbacks tr[data-id="${id}"] td.attempts`)).toContain("HTTP 200");
    expect(delivered).toEqual([
      expect.objectContaining({
        id,
        status: "failed",
        error: expect.objectContaining({ code: "content_policy_violation" }),
      }),
    ]);

    // A second press is refused: a failed task stays failed, and the page says why.
    await page.click(`${row(id)} button[data-action="complete"]`);
    await expect.poll(() => page.textContent("#message")).toMatch(/already failed/);
    expect(await page.getAttribute(row(id), "data-status")).toBe("failed");
  });

  it("switches the scenario: the next create from the form is answered 429", async ({ onTestFailed }) => {
    screenshotOnFailure(onTestFailed, "scenario");
    await page.selectOption("#scenario", "rate-limited");
    await page.click("#set-scenario");
    await expect.poll(() => page.textContent("#clock")).toContain("scenario rate-limited");
    expect(mock.api.scenario).toBe("rate-limited");
    await page.click("#create-submit");
    await expect.poll(() => page.textContent("#create-result")).toMatch(/^HTTP 429/);
    await page.selectOption("#scenario", "happy");
    await page.click("#set-scenario");
    await expect.poll(() => mock.api.scenario).toBe("happy");
  });

  it("pauses the clock (a new task stands still) and advances it (the task completes, its link counts down)", async ({
    onTestFailed,
  }) => {
    screenshotOnFailure(onTestFailed, "clock");
    await page.click("#pause");
    await page.waitForSelector('#clock[data-paused="true"]');
    await page.fill('#create input[name="callback"]', "");
    await page.click("#create-submit");
    await expect.poll(() => page.textContent("#create-result")).toMatch(/^HTTP 200/);
    const id = mock.engine.tasks().at(-1)?.id ?? "";
    await page.waitForSelector(row(id));
    expect(await page.getAttribute(row(id), "data-status")).toBe("pending");

    await page.fill("#advance-by", "10m");
    await page.click("#advance");
    await page.waitForSelector(`${row(id)}[data-status="completed"]`);
    expect(await page.textContent(`${row(id)} td.link`)).toMatch(/video 23h 5\dm \d+s left/);
    expect(await page.getAttribute("#clock", "data-paused")).toBe("true");
    await page.click("#resume");
    await page.waitForSelector('#clock[data-paused="false"]');
  });

  it("marks the answers that came from recordings (--replay)", async ({ onTestFailed }) => {
    screenshotOnFailure(onTestFailed, "replay");
    const { recordings } = await loadRecordings(
      fileURLToPath(new URL("../../contract-tests/recordings", import.meta.url)),
    );
    const replaying = await startMockServer({ port: 0, seed: 5, replay: recordings });
    try {
      const recorded = recordings.find((r) => r.request.method === "GET");
      await (await fetch(`${replaying.url}${recorded?.request.path}`, { headers: headers() })).body?.cancel();
      await (await fetch(`${replaying.url}/v1/tasks/task-unified-1-unrecorded`, { headers: headers() })).body?.cancel();
      await page.goto(`${replaying.url}/__mock/`);
      await page.waitForSelector('#requests tr[data-source="replay"]');
      expect(await page.textContent('#requests tr[data-source="replay"]')).toContain(`replayed: ${recorded?.file}`);
      expect(await page.textContent('#requests tr[data-source="simulation"]')).toContain("task-unified-1-unrecorded");
      expect(await page.textContent("#replay-summary")).toContain("1 of 2 recordings used");
    } finally {
      await replaying.close();
    }
  });
});
