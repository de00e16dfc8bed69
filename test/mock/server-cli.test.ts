import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt } from "../cli/helpers.js";
import { EXAMPLE_REQUEST, headers } from "./helpers.js";

// src/mock/server-cli.ts as built (npm test builds first; a lone run builds here): plain Node starts it in a third
// of the CPU that loading it through tsx takes, and it is the same code.
const ENTRY = fileURLToPath(new URL("../../dist/src/mock/server-cli.js", import.meta.url));
beforeAll(() => ensureBuilt(), 120_000);
const RECORDINGS = fileURLToPath(new URL("../../contract-tests/recordings", import.meta.url));

/** Every process a test started: one a failed assertion left running is killed after the test. */
const children = new Set<ChildProcess>();
afterEach(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  children.clear();
});

function run(args: string[]): { child: ChildProcess; output: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, ["--import", "tsx", ENTRY, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  let output = "";
  child.stdout?.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    output += chunk;
  });
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, output: () => output, exit };
}

describe("npm run mock (src/mock/server-cli.ts)", () => {
  it("prints its URL and an example request, serves, and stops cleanly on SIGTERM with a hanging request open", async () => {
    const { child, output, exit } = run([
      ...["--port", "0", "--seed", "3", "--speed", "100", "--scenario", "happy"],
      ...["--replay", RECORDINGS],
    ]);
    await expect
      .poll(() => /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output())?.[1], { timeout: 20_000 })
      .toBeTruthy();
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output())?.[1] ?? "";
    expect(output()).toContain(`curl -s ${url}/v1/videos/generations`);
    expect(output()).toContain("seed 3");
    expect(output()).toContain(`Control page: ${url}/__mock/`);
    expect(output()).toMatch(/Replaying 2 recorded answers first/);
    const res = await fetch(`${url}/v1/videos/generations`, {
      method: "POST",
      headers: headers(),
      body: JSON.stringify(EXAMPLE_REQUEST),
    });
    expect(res.status).toBe(200);
    const hanging = fetch(`${url}/v1/tasks/task-unified-1-aaaaaaaa`, {
      headers: headers({ prefer: "scenario=hang" }),
    }).catch((error: unknown) => error);
    await expect
      .poll(async () => ((await (await fetch(`${url}/__mock/tasks`)).json()) as { tasks: unknown[] }).tasks)
      .toHaveLength(1);
    child.kill("SIGTERM");
    expect(await exit).toBe(0);
    expect(output()).toContain("SIGTERM: stopping the mock");
    expect(await hanging).toBeInstanceOf(TypeError);
  });
});
