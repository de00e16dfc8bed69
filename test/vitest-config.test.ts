/**
 * vitest.config.ts's split: the files that change the process run isolated, every other file shares a worker's module
 * graph. The rule is a scan of each file's text; these cases keep the scan honest.
 */
import { describe, expect, it } from "vitest";
import config, { CHANGES_THE_PROCESS, isolatedFiles, testFiles } from "../vitest.config.js";

describe("vitest.config.ts", () => {
  it.each([
    ['vi.mock("../src/internal/scope.js", () => ({}))', true],
    ["vi.useFakeTimers();", true],
    ['vi.stubEnv("KLING_API_KEY", "k");', true],
    ['vi.spyOn(process, "exit")', true],
    ['process.env.KLING_API_KEY = "k";', true],
    ['process.env["KLING_BASE_URL"] = "x";', true],
    ["delete process.env.KLING_API_KEY;", true],
    ['process.argv = ["node", "x"];', true],
    ["globalThis.fetch = fake;", true],
    ['import { setupServer } from "msw/node";', true],
    ['expect(process.env.KLING_API_KEY === "k").toBe(true);', false],
    ["if (globalThis.fetch === fake) return;", false],
    ['vi.fn(); vi.spyOn(store, "claim");', false],
  ])("%s changes the process: %s", (text, changes) => {
    expect(CHANGES_THE_PROCESS.test(text)).toBe(changes);
  });

  it("puts every test file in exactly one project, the ones that change the process in the isolated one", () => {
    const all = testFiles();
    // The walk finds what vitest's own glob would: this file among them.
    expect(all).toContain("test/vitest-config.test.ts");
    const isolated = isolatedFiles();
    const projects = (config.test?.projects ?? []) as {
      test: { name: string; include: string[]; exclude?: string[] };
    }[];
    const byName = Object.fromEntries(projects.map((p) => [p.test.name, p.test]));
    expect(Object.keys(byName).sort()).toEqual(["isolated", "shared"]);
    expect(byName.isolated?.include).toEqual(isolated);
    expect(byName.shared?.exclude).toEqual(expect.arrayContaining([...isolated, "**/node_modules/**"]));
    expect(isolated.every((file) => all.includes(file))).toBe(true);
    // A module mock, msw's interceptors, the CLI helpers' in-process runs: isolated. Pure ones, a CLI test without
    // those helpers and the contract suite (servers it starts and stops itself): shared.
    for (const file of ["test/client-http.test.ts", "test/mock/msw.test.ts", "test/cli/commands.test.ts"]) {
      expect(isolated, file).toContain(file);
    }
    for (const file of ["test/rules.test.ts", "test/cli/flags.test.ts", "contract-tests/mock.test.ts"]) {
      expect(isolated, file).not.toContain(file);
    }
    expect(isolated.length).toBeLessThan(all.length / 2);
  });
});
