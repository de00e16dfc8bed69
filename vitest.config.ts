import { readdirSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { configDefaults, defineConfig } from "vitest/config";

/**
 * Test files at the same time. Vitest's default is one less than the cores: a single worker on a 2-core machine, so
 * the files ran one after another while many of them wait (on the CLI's child processes, servers, Prism, Redis,
 * Chromium). Measured on 2 cores (issue 18, load 5 to 7 from other work): 1 worker 96 s wall (99.6 s CPU), 3 workers
 * 58 s wall (91.6 s CPU): much of a file's time is waiting, so one worker per core plus one.
 */
const maxWorkers = Math.max(3, os.availableParallelism() + 1);

const ROOT = path.dirname(fileURLToPath(import.meta.url));
export const FOLDERS = ["test", "contract-tests"];

/**
 * What makes a test file change the process for the files after it: module mocks, fake timers or clocks, stubbed
 * globals or environment, spies on process/globalThis/console, assignments to process.env, process.argv,
 * process.exitCode or a global, a changed working directory, and msw/node (its interceptors patch node:http and
 * fetch; files run after it in the same process failed at random, found with --sequence.shuffle).
 */
export const CHANGES_THE_PROCESS =
  /vi\.(mock|doMock|useFakeTimers|setSystemTime|stubGlobal|stubEnv)\(|vi\.spyOn\((process|globalThis|console)\b|process\.env(\.\w+|\[[^\]]+\])\s*=[^=]|delete process\.env|process\.(argv|exitCode)\s*=[^=]|globalThis\.\w+\s*=[^=]|process\.chdir\(|from "msw\/node"/;

/** An import of test/cli/helpers.ts, from a file in test/cli/. */
const USES_CLI_HELPERS = /from "\.\/helpers\.js"/;

/**
 * The files that run isolated (each in a fresh module graph, vitest's default): those that change the process (see
 * above), and the CLI tests that use test/cli/helpers.ts (its runMain clears the developer's KLING_* variables from
 * the process, and sets the environment around in-process runs). Every other file runs with
 * `isolate: false`: files share a worker's module graph, so src/ and its dependencies are imported once per worker
 * instead of once per file. Measured on the 96 fastest files (2 cores, load 6 from other work, two rounds each):
 * isolated 40.8 and 40.9 s CPU (43.8 and 50.6 s wall), shared 16.9 and 20.2 s CPU (17.8 and 19.5 s wall).
 */
export function isolatedFiles(): string[] {
  return testFiles().filter((file) => {
    const text = readFileSync(path.join(ROOT, file), "utf8");
    return CHANGES_THE_PROCESS.test(text) || (file.startsWith("test/cli/") && USES_CLI_HELPERS.test(text));
  });
}

/** Every test file, relative to the repository, sorted. */
export function testFiles(): string[] {
  return FOLDERS.flatMap((folder) =>
    readdirSync(path.join(ROOT, folder), { recursive: true, encoding: "utf8" })
      .map((file) => `${folder}/${file.split(path.sep).join("/")}`)
      .filter((file) => file.endsWith(".test.ts")),
  ).sort();
}

const isolated = isolatedFiles();

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Forks: threads measured no faster here (61 s, 91 s CPU, same load).
    pool: "forks",
    maxWorkers,
    projects: [
      { extends: true, test: { name: "isolated", include: isolated } },
      {
        extends: true,
        test: {
          name: "shared",
          include: FOLDERS.map((folder) => `${folder}/**/*.test.ts`),
          // Replacing vitest's default exclude would drop its node_modules/dist rules: keep them.
          exclude: [...configDefaults.exclude, ...isolated],
          isolate: false,
        },
      },
    ],
  },
});
