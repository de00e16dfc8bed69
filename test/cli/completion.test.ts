/**
 * `kling-edit completion bash|zsh|fish`: scripts generated from commander's command tree, checked by the shells
 * themselves. bash and fish really complete (bash through its completion variables, fish with `complete -C`); zsh
 * parses the script and registers the function (driving zsh's completion needs a terminal).
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commandTree, completionScript, SHELLS } from "../../src/cli/completion.js";
import { EXIT } from "../../src/cli/exit-codes.js";
import { buildProgram } from "../../src/cli/program.js";
import { requireRuntime } from "../package/packed.js";
import { runMain, tempDir } from "./helpers.js";

const program = buildProgram(
  () => {
    throw new Error("no command runs in these tests");
  },
  {},
  { writeOut: () => {}, writeErr: () => {} },
);
const tree = commandTree(program);

let dir: string;
const scripts: Record<string, string> = {};
beforeAll(() => {
  dir = tempDir("kling-completion-");
  for (const shell of SHELLS) {
    scripts[shell] = path.join(dir, `kling-edit.${shell}`);
    fs.writeFileSync(scripts[shell], completionScript(program, shell));
  }
  fs.writeFileSync(path.join(dir, "edits.jsonl"), "");
  fs.mkdirSync(path.join(dir, "results"));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const has = (cmd: string) => spawnSync(cmd, ["--version"], { encoding: "utf8" }).status === 0;

describe("the command tree", () => {
  it("is commander's: every command, with every option it or the program declares", () => {
    expect(tree.commands.map((c) => c.name)).toEqual(program.commands.map((c) => c.name()));
    expect(tree.commands.map((c) => c.name)).toEqual(
      expect.arrayContaining(["edit", "status", "wait", "download", "batch", "mock", "completion"]),
    );
    const globals = tree.globals.map((o) => o.long);
    expect(globals).toEqual(expect.arrayContaining(["--api-key", "--api-key-file", "--api-key-stdin", "--help"]));
    for (const command of program.commands) {
      const spec = tree.commands.find((c) => c.name === command.name());
      const known = [...(spec?.options ?? []), ...tree.globals].map((o) => o.long);
      for (const option of command.options) expect(known, `${command.name()} ${option.long}`).toContain(option.long);
    }
  });

  it("knows how values complete: files for <file>/<dir>/<manifest>, choices from commander, nothing for text", () => {
    const option = (command: string, long: string) =>
      [...(tree.commands.find((c) => c.name === command)?.options ?? []), ...tree.globals].find((o) => o.long === long)
        ?.value;
    expect(option("edit", "--out")).toEqual({ kind: "file" });
    expect(option("batch", "--journal")).toEqual({ kind: "file" });
    expect(option("edit", "--api-key-file")).toEqual({ kind: "file" });
    expect(option("edit", "--prompt")).toEqual({ kind: "free" });
    expect(option("edit", "--wait")).toEqual({ kind: "none" });
    expect(option("mock", "--scenario")).toMatchObject({ kind: "choices", choices: expect.arrayContaining(["flaky"]) });
    expect(tree.commands.find((c) => c.name === "batch")?.argument).toEqual({ kind: "file" });
    expect(tree.commands.find((c) => c.name === "completion")?.argument).toEqual({
      kind: "choices",
      choices: ["bash", "zsh", "fish"],
    });
  });

  for (const shell of SHELLS) {
    it(`the ${shell} script names every command and every long option`, () => {
      const script = completionScript(program, shell);
      for (const command of tree.commands) expect(script).toContain(command.name);
      for (const option of [...tree.globals, ...tree.commands.flatMap((c) => c.options)]) {
        const long = option.long ?? "";
        expect(script, long).toContain(shell === "fish" ? `-l ${long.slice(2)}` : long);
      }
    });
  }
});

describe("bash completes", () => {
  /** The words bash offers for the command line `line` (the cursor at its end). */
  function complete(line: string): string[] {
    const words = line.split(" ");
    const script = `source ${JSON.stringify(scripts.bash)}
COMP_WORDS=(${words.map((w) => JSON.stringify(w)).join(" ")}); COMP_CWORD=${words.length - 1}
_kling_edit; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const result = spawnSync("bash", ["--norc", "--noprofile", "-c", script], { cwd: dir, encoding: "utf8" });
    expect(result.stderr).toBe("");
    return result.stdout.split("\n").filter(Boolean).sort();
  }

  it.each<[string, string[]]>([
    ["kling-edit ", ["batch", "completion", "download", "drift", "edit", "mock", "status", "verify", "wait", "worker"]],
    ["kling-edit ed", ["edit"]],
    ["kling-edit --api-key-", ["--api-key-file", "--api-key-stdin"]],
    ["kling-edit edit --pr", ["--prompt"]],
    ["kling-edit edit --api-key-", ["--api-key-file", "--api-key-stdin"]],
    ["kling-edit mock --scenario fl", ["flaky"]],
    ["kling-edit completion ", ["bash", "fish", "zsh"]],
    ["kling-edit batch ed", ["edits.jsonl"]],
    ["kling-edit batch edits.jsonl --out res", ["results"]],
    ["kling-edit edit --prompt ", []],
    ["kling-edit status ", []],
  ])("%j -> %j", (line, want) => {
    expect(complete(line)).toEqual(want);
  });
});

describe.concurrent("fish and zsh", () => {
  const fish = requireRuntime("fish (apt-get install fish)", has("fish"));
  it.skipIf(fish.skip)(fish.title("fish completes commands, options, choices and files"), () => {
    const complete = (line: string) => {
      const result = spawnSync(
        "fish",
        ["--no-config", "-c", `source ${scripts.fish}; complete -C ${JSON.stringify(line)}`],
        {
          cwd: dir,
          encoding: "utf8",
        },
      );
      expect(result.stderr).toBe("");
      return result.stdout
        .split("\n")
        .filter(Boolean)
        .map((l) => l.split("\t")[0])
        .sort();
    };
    expect(complete("kling-edit ed")).toEqual(["edit"]);
    expect(complete("kling-edit edit --pro")).toEqual(["--prompt"]);
    expect(complete("kling-edit mock --scenario fl")).toEqual(["flaky"]);
    expect(complete("kling-edit completion ")).toEqual(["bash", "fish", "zsh"]);
    expect(complete("kling-edit batch ed")).toEqual(["edits.jsonl"]);
  });

  const zsh = requireRuntime("zsh (apt-get install zsh)", has("zsh"));
  it.skipIf(zsh.skip)(zsh.title("zsh parses the script and registers it for kling-edit"), () => {
    expect(spawnSync("zsh", ["-n", scripts.zsh as string], { encoding: "utf8" }).stderr).toBe("");
    const result = spawnSync(
      "zsh",
      ["-f", "-c", `autoload -U compinit; compinit -u -D; source ${scripts.zsh}; print -r -- $_comps[kling-edit]`],
      { cwd: dir, encoding: "utf8" },
    );
    expect(result.stderr).toBe("");
    expect(result.stdout.trim()).toBe("_kling_edit");
  });
});

describe("kling-edit completion (through main(), in this process)", () => {
  it("prints the script for the shell; an unknown shell is bad usage", async () => {
    const bash = await runMain(["completion", "bash"]);
    expect(bash.code).toBe(EXIT.ok);
    expect(bash.stdout).toBe(completionScript(program, "bash"));
    const unknown = await runMain(["completion", "pwsh"]);
    expect(unknown.code).toBe(EXIT.usage);
    expect(unknown.stderr).toContain("Allowed choices are bash, zsh, fish");
  });
});
