/**
 * src/cli/drift.ts: `kling-edit drift spec|live` hand their arguments, unchanged, to the drift implementation (so
 * `--help` and every option are its own, not commander's), name themselves in its messages, end each write with a
 * newline, and set the exit code it returns. In-process; the implementation: test/drift/.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Command } from "commander";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { addDriftCommand } from "../../src/cli/drift.js";

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "kling-drift-cli-"));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
beforeEach(() => {
  vi.stubEnv("KLING_SPEC_URL", undefined);
  return () => vi.unstubAllEnvs();
});

/** Runs `kling-edit drift ...args` in-process; returns the exit code it set and each write. */
async function drift(...args: string[]) {
  const writes = { out: [] as string[], err: [] as string[] };
  const result: { exitCode?: number } = {};
  const program = new Command("kling-edit").exitOverride();
  addDriftCommand(program, result, {
    writeOut: (t) => writes.out.push(t),
    writeErr: (t) => writes.err.push(t),
  });
  await program.parseAsync(["drift", ...args], { from: "user" });
  return { code: result.exitCode, stdout: writes.out.join(""), stderr: writes.err.join(""), writes };
}

describe("kling-edit drift", () => {
  it("registers spec and live under drift", () => {
    const program = new Command("kling-edit");
    addDriftCommand(program, {}, { writeOut: () => {}, writeErr: () => {} });
    const command = program.commands.find((c) => c.name() === "drift");
    expect(command?.commands.map((c) => c.name())).toEqual(["spec", "live"]);
  });

  it.each(["spec", "live"])(
    "%s --help is the implementation's usage under the command's name, exit 0",
    async (name) => {
      const { code, stdout, stderr } = await drift(name, "--help");
      expect(code).toBe(0);
      expect(stdout).toContain(`kling-edit drift ${name}`);
      expect(stdout).toMatch(/--fail-on/);
      expect(stderr).toBe("");
    },
  );

  it("spec with no document (and no KLING_SPEC_URL) is bad input: exit 2, named", async () => {
    const { code, stderr, stdout } = await drift("spec");
    expect(code).toBe(2);
    expect(stderr).toBe(
      "kling-edit drift spec: no upstream document: pass a file or URL (kling-edit drift spec <file-or-url>) or set KLING_SPEC_URL\n",
    );
    expect(stdout).toBe("");
  });

  it("an option commander does not know reaches the implementation, which refuses it (exit 2)", async () => {
    const { code, stderr } = await drift("spec", "--no-such-option", "x.yaml");
    expect(code).toBe(2);
    expect(stderr).toMatch(/^kling-edit drift spec: .*--no-such-option/);
  });

  it("live with two folders is bad input (exit 2)", async () => {
    const { code, stderr } = await drift("live", dir, dir);
    expect(code).toBe(2);
    expect(stderr).toBe("kling-edit drift live: one recordings folder, not 2\n");
  });

  /** A small OpenAPI document; `withTask` adds a second operation. */
  function spec(file: string, withTask: boolean): string {
    const op = (id: string) => ({ operationId: id, responses: { "200": { description: "ok" } } });
    const doc = {
      openapi: "3.1.0",
      info: { title: "t", version: "1" },
      paths: { "/a": { get: op("getA") }, ...(withTask ? { "/b": { get: op("getB") } } : {}) },
    };
    const p = path.join(dir, file);
    fs.writeFileSync(p, JSON.stringify(doc));
    return p;
  }

  it("passes its options through and sets the exit code the comparison gives: 0 no drift, 1 breaking", async () => {
    const pinned = spec("pinned.json", true);
    const same = await drift("spec", "--pinned", pinned, spec("same.json", true), "--format", "json");
    expect(same.code).toBe(0);
    expect(JSON.parse(same.stdout)).toMatchObject({ findings: [], exitCode: 0 });
    // The provider dropped an operation the pinned spec has: with --complete (the document is the whole API) that is
    // breaking, which fails the run by default; without it the operation is only "not compared".
    const partial = await drift("spec", "--pinned", pinned, spec("dropped.json", false), "--format", "json");
    expect(partial.code).toBe(0);
    const dropped = await drift(
      "spec",
      "--pinned",
      pinned,
      spec("dropped.json", false),
      "--format",
      "json",
      "--complete",
    );
    expect(dropped.code).toBe(1);
    expect(JSON.parse(dropped.stdout)).toMatchObject({ exitCode: 1, summary: { breaking: 1 } });
    for (const w of [...same.writes.out, ...dropped.writes.out]) expect(w.endsWith("\n")).toBe(true);
  });
});
