/**
 * `kling-edit` against a mock server started here: every command, the `--json` shape, every exit code, and that the
 * API key never appears in any output. Commands run in this process through main() (as the executable does, with
 * stdout and stderr captured); the built executable is spawned only where the process itself is the subject: the
 * bin shim, and `mock` stopped by Ctrl-C.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createKlingClient } from "../../src/index.js";
import type { MockServer } from "../../src/mock/index.js";
import {
  apiArgs,
  completed,
  EDIT_FLAGS,
  ensureBuilt,
  jsonLines,
  mockServer,
  ROOT,
  runCli,
  runMain,
  snapshot,
  startCli,
  tempDir,
  withMockServer,
} from "./helpers.js";

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
  version: string;
  bin: Record<string, string>;
};

// Most tests wait on polls (at least a second each) and run at once: more than the default 5 at a time.
vi.setConfig({ maxConcurrency: 32 });

let mock: MockServer;
let dir: string;

beforeAll(async () => {
  await ensureBuilt();
  mock = await mockServer();
  dir = tempDir();
});

afterAll(async () => {
  await mock?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Creates a task through the CLI and returns its id. */
async function createTask(server: MockServer = mock): Promise<string> {
  const run = await runMain([...apiArgs(server), "edit", ...EDIT_FLAGS, "--quiet"]);
  expect(run.code, run.stderr).toBe(0);
  return run.stdout.trim();
}

// Every suite here runs at once (the waits overlap), apart from the one that sets the environment, which follows.
describe.concurrent("kling-edit", () => {
  describe.concurrent("kling-edit basics", () => {
    it("is the package's bin, starts with a node shebang, and prints package.json's version", async () => {
      // bin.js loads main.js, saying so when an optional dependency is missing; runCli spawns it (helpers' CLI).
      const bin = path.join(ROOT, pkg.bin["kling-edit"] ?? "");
      expect(bin).toBe(path.join(ROOT, "dist/src/cli/bin.js"));
      expect(fs.readFileSync(bin, "utf8").split("\n")[0]).toBe("#!/usr/bin/env node");
      const run = await runCli(["--version"]);
      expect(run).toMatchObject({ code: 0, stdout: `${pkg.version}\n`, stderr: "" });
    });

    it("documents every command, the global options and the exit codes in --help", async () => {
      const run = await runMain(["--help"]);
      expect(run.code).toBe(0);
      for (const word of ["edit", "status", "wait", "download", "mock", "batch", "--api-key", "--base-url", "--mock"]) {
        expect(run.stdout).toContain(word);
      }
      for (const word of ["--json", "--quiet", "--version", "KLING_API_KEY", "KLING_BASE_URL"])
        expect(run.stdout).toContain(word);
      for (const code of ["0 ", "2 ", "3 ", "4 ", "5 ", "130"])
        expect(run.stdout).toMatch(new RegExp(`^\\s+${code}`, "m"));
    });

    it("exits 2 on bad usage, naming the problem", async () => {
      const run = await runMain(["edit", "--bogus"]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain("unknown option '--bogus'");
      const none = await runMain(["batch", "x.jsonl"]);
      expect(none.code).toBe(2);
      expect(none.stderr).toContain("--out");
    });
  });

  describe.concurrent("edit", () => {
    it("validates every flag before sending anything, naming the flag and the rule (exit 2)", async () => {
      // Its own server: the other tests of this file create tasks concurrently.
      await withMockServer({}, async (quiet) => {
        const run = await runMain([
          ...apiArgs(quiet),
          "edit",
          "--prompt",
          "x".repeat(5001),
          "--video",
          "https://example.com/clip.avi",
          "--image",
          "https://example.com/ref.jpg",
          "--image",
          "https://example.com/ref.gif",
          "--aspect-ratio",
          "4:3",
          "--callback-url",
          "https://10.0.0.7/hook",
        ]);
        expect(run.code).toBe(2);
        expect(run.stderr).toContain("nothing was sent");
        expect(run.stderr).toMatch(/--prompt must be at most 5000 characters/);
        expect(run.stderr).toMatch(/--video must be a video URL ending in \.mp4, \.mov/);
        expect(run.stderr).toMatch(/--image #2 must be an image URL/);
        expect(run.stderr).not.toMatch(/--image #1/);
        expect(run.stderr).toMatch(/--aspect-ratio must be one of "16:9", "9:16", "1:1"/);
        expect(run.stderr).toMatch(/--callback-url must not point at an internal address/);
        expect((await snapshot(quiet)).createRequests).toBe(0);
      });
    });

    // Issue 11, item 3: --out was checked only after the billed create; the failure then exited 2 ("nothing was sent").
    it("refuses an --out it cannot write before anything is sent (exit 2): under a regular file, in a read-only folder", async () => {
      await withMockServer({}, async (quiet) => {
        const file = path.join(dir, "a-regular-file");
        fs.writeFileSync(file, "x");
        const readOnly = path.join(dir, "read-only");
        fs.mkdirSync(readOnly, { recursive: true });
        fs.chmodSync(readOnly, 0o555);
        const outs = [
          path.join(file, "result.mp4"),
          path.join(file, "deeper", "result.mp4"),
          // Root writes anywhere it has permission bits for; /proc refuses new files to everyone.
          process.getuid?.() === 0 ? "/proc/kling-edit-result.mp4" : path.join(readOnly, "result.mp4"),
        ];
        for (const out of outs) {
          const run = await runMain([...apiArgs(quiet), "--json", "edit", ...EDIT_FLAGS, "--out", out]);
          expect(run.code, `${out}: ${run.stderr}`).toBe(2);
          expect(run.stderr).toContain("nothing was sent");
          expect(jsonLines(run.stdout).at(-1)).toMatchObject({ event: "error", exitCode: 2 });
        }
        expect((await snapshot(quiet)).createRequests).toBe(0);
      });
    });

    it("refuses a second --video and a missing --prompt in one report", async () => {
      const run = await runMain([
        ...apiArgs(mock),
        "edit",
        "--video",
        "https://e.com/a.mp4",
        "--video",
        "https://e.com/b.mp4",
      ]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain("--prompt is required");
      expect(run.stderr).toContain("--video must be given once");
    });

    it("without a key and without --mock, says how to get one or to try --mock (exit 2)", async () => {
      const run = await runMain(["--base-url", mock.url, "edit", ...EDIT_FLAGS]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain("KLING_API_KEY");
      expect(run.stderr).toContain("--mock");
    });

    it("submits and prints the task id and the command to follow it", async () => {
      const run = await runMain([...apiArgs(mock), "edit", ...EDIT_FLAGS]);
      expect(run.code, run.stderr).toBe(0);
      const id = run.stdout.split("\n")[0] ?? "";
      expect(id).toMatch(/^task-unified-/);
      expect(run.stdout).toContain(`kling-edit --base-url ${mock.url} wait ${id}`);
      expect((await snapshot(mock)).tasks.map((t) => t.id)).toContain(id);
    });

    it("--wait --out --json: NDJSON only on stdout, every line an event, the final task last; the file is saved", async () => {
      const out = path.join(dir, "edit-json", "result.mp4");
      const run = await runMain([
        ...apiArgs(mock),
        "--json",
        "edit",
        ...EDIT_FLAGS,
        "--aspect-ratio",
        "9:16",
        "--wait",
        "--out",
        out,
      ]);
      expect(run.code, run.stderr).toBe(0);
      const events = jsonLines(run.stdout);
      for (const e of events) expect(typeof e.event).toBe("string");
      const names = events.map((e) => e.event);
      expect(names[0]).toBe("created");
      expect(names).toContain("progress");
      expect(names).toContain("downloaded");
      const last = events.at(-1) as {
        event: string;
        exitCode: number;
        task: { id: string; status: string };
        file: { path: string; bytes: number };
      };
      expect(last).toMatchObject({ event: "task", exitCode: 0, task: { status: "completed" }, file: { path: out } });
      const bytes = fs.readFileSync(out);
      expect(bytes.length).toBe(last.file.bytes);
      expect(bytes.subarray(4, 8).toString("latin1")).toBe("ftyp"); // an MP4
      const served = await fetch(`${mock.url}/__mock/results/${last.task.id}.mp4`);
      expect(Buffer.from(await served.arrayBuffer()).equals(bytes)).toBe(true);
    });

    it("--quiet prints only the saved path", async () => {
      const out = path.join(dir, "quiet.mp4");
      const run = await runMain([...apiArgs(mock), "--quiet", "edit", ...EDIT_FLAGS, "--out", out]);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toBe(`${out}\n`);
      expect(run.stderr).toBe("");
    });

    it("prints progress as plain lines when not on a terminal, ending with where the file was saved", async () => {
      const out = path.join(dir, "plain.mp4");
      const run = await runMain([...apiArgs(mock), "edit", ...EDIT_FLAGS, "--wait", "--out", out]);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toMatch(/task-unified-\S+ completed 100%/);
      expect(run.stderr).not.toContain("\u001b["); // no cursor movement: no bars off a TTY
      expect(run.stdout.trim().split("\n").at(-1)).toMatch(new RegExp(`result to ${out.replaceAll(".", "\\.")} \\(`));
    });
  });

  describe.concurrent("status, wait, download", () => {
    it("status prints the task; --json prints one task event", async () => {
      const id = await createTask();
      const run = await runMain([...apiArgs(mock), "status", id]);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(new RegExp(`^${id} (pending|processing|completed)`));
      const json = await runMain([...apiArgs(mock), "status", id, "--json"]);
      const events = jsonLines(json.stdout);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ event: "task", exitCode: 0, task: { id } });
    });

    it("wait --out waits for a submitted task and saves its result", async () => {
      const id = await createTask();
      const out = path.join(dir, "waited.mp4");
      const run = await runMain([...apiArgs(mock), "wait", id, "--out", out, "--json"]);
      expect(run.code, run.stderr).toBe(0);
      expect(jsonLines(run.stdout).at(-1)).toMatchObject({ event: "task", task: { id, status: "completed" } });
      expect(fs.statSync(out).size).toBeGreaterThan(0);
    });

    it("download saves a completed task's result; refuses one still running (exit 2) and an unknown id (exit 3)", async () => {
      const id = await createTask();
      const early = await runMain([...apiArgs(mock), "download", id, "--out", path.join(dir, "early.mp4")]);
      if (early.code !== 0) {
        // Still pending/processing at this speed: told to wait, nothing written.
        expect(early.code).toBe(2);
        expect(early.stderr).toContain(`wait ${id} --out`);
        expect(fs.existsSync(path.join(dir, "early.mp4"))).toBe(false);
      }
      await runMain([...apiArgs(mock), "wait", id]);
      const out = path.join(dir, "downloaded.mp4");
      const run = await runMain([...apiArgs(mock), "download", id, "--out", out]);
      expect(run.code, run.stderr).toBe(0);
      expect(fs.statSync(out).size).toBeGreaterThan(0);
      const missing = await runMain([
        ...apiArgs(mock),
        "download",
        "task-unified-1-missing0",
        "--out",
        path.join(dir, "m.mp4"),
      ]);
      expect(missing.code).toBe(3);
      expect(missing.stderr).toContain("Task not found");
    });

    it("wait, status and download of an id the API does not know: an error event (not a made-up task), exit 3, no resume hint", async () => {
      const missing = "task-unified-1-missing1";
      const runs = {
        wait: await runMain([...apiArgs(mock), "--json", "wait", missing, "--out", path.join(dir, "never.mp4")]),
        status: await runMain([...apiArgs(mock), "--json", "status", missing]),
        download: await runMain([
          ...apiArgs(mock),
          "--json",
          "download",
          missing,
          "--out",
          path.join(dir, "never.mp4"),
        ]),
      };
      for (const [command, run] of Object.entries(runs)) {
        expect(run.code, `${command}: ${run.stderr}`).toBe(3);
        const events = jsonLines(run.stdout);
        expect(
          events.filter((e) => e.event === "task"),
          command,
        ).toEqual([]);
        expect(events.at(-1), command).toMatchObject({
          event: "error",
          exitCode: 3,
          error: { status: 404, requestId: expect.stringMatching(/^req_/) },
        });
        expect(run.stderr, command).toContain("Task not found");
        expect(run.stderr, command).toMatch(/request id: req_/);
        expect(run.stderr, command).not.toContain("to try again");
        expect(run.stderr, command).not.toContain(`wait ${missing}`);
      }
      expect(fs.existsSync(path.join(dir, "never.mp4"))).toBe(false);
    });

    it("wait --timeout with no poll answered: an error event with the command to wait again, not a made-up pending task", async () => {
      await withMockServer({ scenario: "hang" }, async (hang) => {
        const id = "task-unified-1-unanswered";
        const run = await runMain([...apiArgs(hang), "--json", "wait", id, "--timeout", "1"]);
        expect(run.code, run.stderr).toBe(5);
        const events = jsonLines(run.stdout);
        expect(events.filter((e) => e.event === "task")).toEqual([]);
        expect(events.at(-1)).toMatchObject({
          event: "error",
          exitCode: 5,
          resume: expect.stringContaining(`wait ${id}`),
        });
        expect(run.stderr).toContain(`to try again, kling-edit --base-url ${hang.url} wait ${id}`);
        expect(run.stderr).not.toContain("still pending");
        // Issue 11, item 19: the deadline cut the poll in flight; nobody pressed Ctrl-C.
        expect(run.stderr).toContain("Timed out after 1000 ms");
        expect(run.stdout + run.stderr).not.toContain("Aborted by the caller");
      });
    });

    it("wait --timeout gives up with exit 5 and the command to wait again; the task keeps running", async () => {
      await withMockServer({ speed: 1 }, async (slow) => {
        const id = await createTask(slow);
        const run = await runMain([...apiArgs(slow), "wait", id, "--timeout", "1", "--out", "late.mp4"]);
        expect(run.code).toBe(5);
        expect(run.stderr).toContain(`kling-edit --base-url ${slow.url} wait ${id} --out late.mp4`);
      });
    });
  });

  describe.concurrent("job files (issue 12, item 10)", () => {
    /** Submits a job with the library and saves `job.toJSON()` to a file, as a service would. */
    async function jobFile(name: string): Promise<{ file: string; id: string }> {
      const client = createKlingClient({ apiKey: "test-key", baseUrl: mock.url });
      const job = await client.jobs.submit({ prompt: "Make it cinematic", video_urls: ["https://example.com/in.mp4"] });
      const file = path.join(dir, `${name}.job.json`);
      fs.writeFileSync(file, JSON.stringify(job.toJSON()));
      return { file, id: job.id };
    }

    it("status, wait and download take a job file; wait records each step in it and prints when the link expires", async () => {
      const { file, id } = await jobFile("job-a");
      const status = await runMain([...apiArgs(mock), "--json", "status", file]);
      expect(status.code, status.stderr).toBe(0);
      expect(jsonLines(status.stdout).at(-1)).toMatchObject({ event: "task", job: { id, state: "submitted" } });

      const out = path.join(dir, "job-a.mp4");
      const waited = await runMain([...apiArgs(mock), "wait", file, "--out", out]);
      expect(waited.code, waited.stderr).toBe(0);
      expect(waited.stderr).toMatch(/result link expires \S+Z \(in 2[34]h\d\dm\)/);
      expect(fs.statSync(out).size).toBeGreaterThan(0);
      const saved = JSON.parse(fs.readFileSync(file, "utf8")) as { state: string; resultExpiresAt: number };
      expect(saved).toMatchObject({ state: "downloaded" });
      expect(saved.resultExpiresAt).toBeGreaterThan(Date.now());

      const copy = path.join(dir, "job-a-copy.mp4");
      const downloaded = await runMain([...apiArgs(mock), "download", file, "--out", copy]);
      expect(downloaded.code, downloaded.stderr).toBe(0);
      expect(fs.readFileSync(copy).equals(fs.readFileSync(out))).toBe(true);
    }, 60_000);

    it("a job file whose create's outcome is unknown: status, wait and download say so (exit 5) and send nothing", async () => {
      await withMockServer({}, async (quiet) => {
        const now = Date.now();
        const file = path.join(dir, "unknown.job.json");
        fs.writeFileSync(
          file,
          JSON.stringify({
            version: 1,
            id: "job-unknown-1",
            state: "submitting",
            params: { prompt: "p", video_urls: ["https://example.com/in.mp4"] },
            requestIds: [],
            createdAt: now,
            updatedAt: now,
          }),
        );
        for (const args of [
          ["status", file],
          ["wait", file],
          ["download", file, "--out", path.join(dir, "u.mp4")],
        ]) {
          const run = await runMain([...apiArgs(quiet), "--json", ...args]);
          expect(run.code, `${args[0]}: ${run.stderr}`).toBe(5);
          expect(run.stderr).toContain("outcome is unknown");
          expect(jsonLines(run.stdout).at(-1)).toMatchObject({
            event: "error",
            job: { id: "job-unknown-1", state: "unknown" },
          });
        }
        const state = await snapshot(quiet);
        expect(state.createRequests).toBe(0);
        expect(state.tasks).toEqual([]);
        expect(fs.existsSync(path.join(dir, "u.mp4"))).toBe(false);
      });
    });

    it("a job file past its result's expiry: download exits 3 at once and writes nothing", async () => {
      const { file } = await jobFile("job-expired");
      const snap = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
      const taskId = snap.taskId as string;
      // status asks the API, so the task must really have completed (a spawned CLI's start-up used to give it time).
      await completed(mock, taskId);
      fs.writeFileSync(
        file,
        JSON.stringify({
          ...snap,
          state: "completed",
          task: {
            id: taskId,
            status: "completed",
            progress: 100,
            results: [`${mock.url}/__mock/results/${taskId}.mp4`],
          },
          completedAt: Date.now() - 25 * 3_600_000,
          resultExpiresAt: Date.now() - 3_600_000,
        }),
      );
      const status = await runMain([...apiArgs(mock), "status", file]);
      expect(status.stdout).toMatch(/link expires \S+Z \(expired\)/);
      const out = path.join(dir, "expired-job.mp4");
      const run = await runMain([...apiArgs(mock), "download", file, "--out", out]);
      expect(run.code, run.stderr).toBe(3);
      expect(run.stderr).toContain("expired");
      expect(fs.existsSync(out)).toBe(false);
      expect(JSON.parse(fs.readFileSync(file, "utf8")).state).toBe("expired");
    });
  });

  describe.concurrent("exit codes of failures, and the key never printed", () => {
    const KEY = "sk-LEAKCHECK-0123456789abcdef";

    it("4 when the task fails, with the API's error code and message", async () => {
      await withMockServer({ scenario: "fails" }, async (failing) => {
        const run = await runMain([...apiArgs(failing, KEY), "--json", "edit", ...EDIT_FLAGS, "--wait"]);
        expect(run.code).toBe(4);
        expect(run.stderr).toContain("video_download_failed");
        const last = jsonLines(run.stdout).at(-1);
        expect(last).toMatchObject({ event: "task", exitCode: 4, task: { status: "failed" } });
        const id = (last as { task: { id: string } }).task.id;
        const status = await runMain([...apiArgs(failing, KEY), "status", id]);
        expect(status.code).toBe(4);
        for (const text of [run.stdout, run.stderr, status.stdout, status.stderr]) expect(text).not.toContain(KEY);
      });
    });

    it("download of a failed task: exit 4, and with --json the last line is the task event the README promises", async () => {
      await withMockServer({ scenario: "fails" }, async (failing) => {
        const created = await runMain([...apiArgs(failing, KEY), "--json", "edit", ...EDIT_FLAGS, "--wait"]);
        expect(created.code).toBe(4);
        const id = (jsonLines(created.stdout).at(-1) as { task: { id: string } }).task.id;
        const out = path.join(dir, "failed.mp4");
        const run = await runMain([...apiArgs(failing, KEY), "--json", "download", id, "--out", out]);
        expect(run.code).toBe(4);
        expect(run.stderr).toContain("video_download_failed");
        expect(jsonLines(run.stdout).at(-1)).toMatchObject({
          event: "task",
          exitCode: 4,
          task: { id, status: "failed" },
          error: { exitCode: 4 },
        });
        expect(fs.existsSync(out)).toBe(false);
      });
    });

    it("3 when the result link has expired; the final task event carries the error; no file is written", async () => {
      await withMockServer({ scenario: "expired-result" }, async (expired) => {
        const out = path.join(dir, "expired.mp4");
        const run = await runMain([...apiArgs(expired, KEY), "--json", "edit", ...EDIT_FLAGS, "--out", out]);
        expect(run.code).toBe(3);
        expect(run.stderr).toContain("410");
        const last = jsonLines(run.stdout).at(-1) as { task: { id: string } };
        expect(last).toMatchObject({
          event: "task",
          exitCode: 3,
          task: { status: "completed" },
          error: { reason: "expired" },
        });
        expect(run.stderr).toContain(`wait ${last.task.id} --out ${out}`);
        expect(fs.existsSync(out)).toBe(false);
        expect(run.stdout + run.stderr).not.toContain(KEY);
      });
    });

    it("3 on 402 with the API's fallback_suggestion", async () => {
      await withMockServer({ scenario: "quota" }, async (broke) => {
        const run = await runMain([...apiArgs(broke, KEY), "edit", ...EDIT_FLAGS]);
        expect(run.code).toBe(3);
        expect(run.stderr).toContain("Insufficient quota");
        expect(run.stderr).toContain("suggestion: https://ai.odkkk.com/apiv1/dashboard/billing");
        expect(run.stdout + run.stderr).not.toContain(KEY);
      });
    });

    it("5 on a 5xx, with message, suggestion and request id, never the key", async () => {
      await withMockServer({ scenario: "upstream-down" }, async (down) => {
        const run = await runMain([...apiArgs(down, KEY), "--json", "edit", ...EDIT_FLAGS]);
        expect(run.code).toBe(5);
        expect(run.stderr).toContain("Upstream AI service unavailable");
        expect(run.stderr).toContain("suggestion: try different model");
        expect(run.stderr).toMatch(/request id: req_/);
        expect(run.stdout + run.stderr).not.toContain(KEY);
        expect(jsonLines(run.stdout).at(-1)).toMatchObject({
          event: "error",
          exitCode: 5,
          error: { status: 502, fallbackSuggestion: "try different model" },
        });
      });
    });
  });

  describe.concurrent("mock", () => {
    it("starts the mock server on the asked port and stops cleanly on Ctrl-C", async () => {
      const running = startCli(["mock", "--port", "0", "--speed", "100", "--seed", "3"]);
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setInterval(() => {
          const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(running.stdout());
          if (m?.[1]) {
            clearInterval(timer);
            resolve(m[1]);
          } else if (running.child.exitCode !== null) {
            clearInterval(timer);
            reject(new Error(running.stderr()));
          }
        }, 50);
      });
      expect(running.stdout()).toContain("seed 3");
      const res = await fetch(`${url}/__mock/tasks`);
      expect(await res.json()).toMatchObject({ createRequests: 0, speed: 100, seed: 3 });
      running.child.kill("SIGINT");
      expect((await running.done).code).toBe(0);
    });

    it("with --json, stdout carries only JSON: a mock event with the URL, the banner on stderr", async () => {
      const running = startCli(["--json", "mock", "--port", "0", "--speed", "100", "--seed", "4"]);
      try {
        // Wait for the banner wherever it lands, so a wrong stream fails the assertions below instead of timing out.
        await new Promise<void>((resolve, reject) => {
          const timer = setInterval(() => {
            if (/listening on http/.test(running.stdout() + running.stderr())) {
              clearInterval(timer);
              resolve();
            } else if (running.child.exitCode !== null) {
              clearInterval(timer);
              reject(new Error(running.stderr()));
            }
          }, 50);
        });
      } finally {
        running.child.kill("SIGINT");
      }
      const run = await running.done;
      expect(run.code, run.stderr).toBe(0);
      const events = jsonLines(run.stdout);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        event: "mock",
        url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
        seed: 4,
        speed: 100,
        scenario: "happy",
      });
      expect(run.stderr).toContain(`listening on ${events[0]?.url as string}`);
    });
  });
});

// runMain with env sets process.env for the run, so these run one at a time, apart from the concurrent tests.
describe("settings from the environment", () => {
  const KEY = "sk-LEAKCHECK-0123456789abcdef";

  it("--mock runs against the built-in mock: no key, no network", async () => {
    const out = path.join(dir, "builtin.mp4");
    const run = await runMain(["edit", "--mock", ...EDIT_FLAGS, "--wait", "--out", out], {
      env: { KLING_MOCK_SPEED: "1000" },
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain("built-in mock at http://127.0.0.1:");
    expect(fs.statSync(out).size).toBeGreaterThan(0);
  });

  it("3 on 401, printing the API's message and request id, never the key (flag or environment)", async () => {
    await withMockServer({ apiKey: "the-right-key" }, async (strict) => {
      const viaFlag = await runMain([...apiArgs(strict, KEY), "edit", ...EDIT_FLAGS]);
      const viaEnv = await runMain(["--base-url", strict.url, "--json", "edit", ...EDIT_FLAGS], {
        env: { KLING_API_KEY: KEY },
      });
      for (const run of [viaFlag, viaEnv]) {
        expect(run.code).toBe(3);
        expect(run.stderr).toContain("Invalid or expired token");
        expect(run.stderr).toMatch(/request id: req_[0-9a-f]+/);
        expect(run.stdout + run.stderr).not.toContain(KEY);
      }
      expect(jsonLines(viaEnv.stdout).at(-1)).toMatchObject({ event: "error", exitCode: 3, error: { status: 401 } });
      expect((await snapshot(strict)).createRequests).toBe(2);
    });
  });
});
