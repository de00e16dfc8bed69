/**
 * Ctrl-C (SIGINT) sent to the built CLI while it waits for a task and while it downloads a result: it stops cleanly,
 * prints the task id and the exact command to resume, leaves no partial file, and exits 130. Only the interrupted
 * runs are subprocesses; the task the download test needs is created in this process (main()).
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  apiArgs,
  completed,
  EDIT_FLAGS,
  ensureBuilt,
  jsonLines,
  mockServer,
  proxy,
  runMain,
  startCli,
  tempDir,
} from "./helpers.js";

let dir: string;
beforeAll(async () => {
  await ensureBuilt();
  dir = tempDir();
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe.concurrent("Ctrl-C", () => {
  it("during the wait: prints the task id and the resume command, writes nothing, exits 130", async () => {
    const slow = await mockServer({ speed: 1 }); // a task takes a minute or more
    const outDir = path.join(dir, "wait");
    const out = path.join(outDir, "result.mp4");
    try {
      const running = startCli([...apiArgs(slow), "--json", "edit", ...EDIT_FLAGS, "--out", out]);
      const created = await running.waitForEvent((e) => e.event === "created");
      const id = (created.task as { id: string }).id;
      running.child.kill("SIGINT");
      const run = await running.done;
      expect(run.code).toBe(130);
      const resume = `kling-edit --base-url ${slow.url} wait ${id} --out ${out}`;
      expect(run.stderr).toContain(id);
      expect(run.stderr).toContain(resume);
      expect(jsonLines(run.stdout).at(-1)).toMatchObject({ event: "task", exitCode: 130, resume, task: { id } });
      expect(fs.existsSync(out)).toBe(false);
      expect(fs.existsSync(outDir) ? fs.readdirSync(outDir) : []).toEqual([]);
    } finally {
      await slow.close();
    }
  });

  it("during the download: deletes the partial file, prints the task id and the resume command, exits 130", async () => {
    const mock = await mockServer();
    const stalling = await proxy(mock, { stallResults: true });
    const outDir = path.join(dir, "download");
    const out = path.join(outDir, "result.mp4");
    try {
      const created = await runMain([...apiArgs(mock), "edit", ...EDIT_FLAGS, "--quiet"]);
      const id = created.stdout.trim();
      await completed(mock, id);

      const running = startCli([...apiArgs(stalling), "--json", "download", id, "--out", out]);
      await running.waitForEvent((e) => e.event === "download" && (e.bytes as number) > 0);
      // Wait until the partial bytes are on disk (under the client's temporary name), so the test proves their removal.
      while (fs.readdirSync(outDir).length === 0) await new Promise((r) => setTimeout(r, 20));
      expect(fs.readdirSync(outDir)).toHaveLength(1);
      running.child.kill("SIGINT");
      const run = await running.done;
      expect(run.code).toBe(130);
      expect(run.stderr).toContain(id);
      expect(run.stderr).toContain(`kling-edit --base-url ${stalling.url} wait ${id} --out ${out}`);
      // Issue 11, item 19: the task has completed; only its download was interrupted.
      expect(run.stderr).toContain("It completed; its result was not saved");
      expect(run.stderr).not.toContain("keeps running");
      expect(fs.readdirSync(outDir)).toEqual([]);
      expect(jsonLines(run.stdout).at(-1)).toMatchObject({ event: "task", exitCode: 130, task: { id } });
    } finally {
      await stalling.close();
      await mock.close();
    }
  });
});
