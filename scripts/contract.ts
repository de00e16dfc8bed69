/**
 * Runs the contract suite for CI: vitest with its JUnit reporter (contract-tests/reports/junit.xml) next to the
 * suite's own Markdown and JSON reports, then prints the per-target summary and writes it to
 * contract-tests/reports/summary.md. Exits non-zero on any violation (a failed test).
 *
 * Usage: tsx scripts/contract.ts [--target prism|mock|live] [--record] [-- extra vitest arguments]
 *   npm run test:contract            prism and mock, the recordings, the drift corpus, the proxy
 *   npm run test:live [-- --record]  the live API (KLING_BASE_URL, KLING_API_KEY; KLING_LIVE_SPEND=1 to create tasks)
 */
import { spawn } from "node:child_process";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { REPORTS_DIR, ROOT } from "../contract-tests/lib/paths.js";
import type { ReportData } from "../contract-tests/lib/report.js";
import { TARGET_NAMES, type TargetName } from "../contract-tests/lib/targets.js";

function vitestEntry(): string {
  const require = createRequire(import.meta.url);
  const pkgPath = require.resolve("vitest/package.json");
  const pkg = require(pkgPath) as { bin: string | Record<string, string> };
  const bin = typeof pkg.bin === "string" ? pkg.bin : (pkg.bin.vitest ?? "");
  return join(dirname(pkgPath), bin);
}

async function summarise(since: number): Promise<string> {
  const names = (await readdir(REPORTS_DIR).catch(() => [] as string[])).filter((n) => n.endsWith(".json")).sort();
  const rows: string[] = [];
  for (const name of names) {
    const data = JSON.parse(await readFile(join(REPORTS_DIR, name), "utf8")) as ReportData;
    if (Date.parse(data.generatedAt) < since) continue; // a report of an earlier run
    const s = data.summary;
    const verdict = s.failed ? "FAIL" : s.checks === s.skipped ? "SKIPPED" : "PASS";
    const caught = data.details.caught ? ` (${data.details.caught} caught)` : "";
    rows.push(
      `| ${data.target} | ${verdict} | ${s.passed} | ${s.failed} | ${s.skipped} | ${s.violations} | [${data.target}.md](${data.target}.md)${caught} |`,
    );
  }
  return [
    "# Contract test summary",
    "",
    "| target | verdict | passed | failed | skipped | violations | details |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...rows,
    "",
    "JUnit XML: junit.xml",
    "",
  ].join("\n");
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { target: { type: "string", short: "t" }, record: { type: "boolean", default: false } },
  });
  const target = values.target as TargetName | undefined;
  if (target !== undefined && !TARGET_NAMES.includes(target)) {
    console.error(`--target must be one of ${TARGET_NAMES.join(", ")} (got ${target})`);
    return 2;
  }
  const env = { ...process.env };
  if (target) env.CONTRACT_TARGET = target;
  if (values.record) env.CONTRACT_RECORD = "1";
  // With a target, only its file and the recordings (a --record run replays what it just wrote).
  const files = target ? [`contract-tests/${target}.test.ts`, "contract-tests/recordings.test.ts"] : ["contract-tests"];
  await mkdir(REPORTS_DIR, { recursive: true });
  const started = Date.now();
  const args = [
    vitestEntry(),
    "run",
    ...files,
    "--reporter=default",
    "--reporter=junit",
    `--outputFile.junit=${join(REPORTS_DIR, "junit.xml")}`,
    ...positionals,
  ];
  const code = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: "inherit" });
    child.on("exit", (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0)));
  });
  const summary = await summarise(started);
  await writeFile(join(REPORTS_DIR, "summary.md"), summary);
  console.log(`\n${summary}\nReports: ${REPORTS_DIR}`);
  return code;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: Error) => {
    console.error(`contract: ${error.message}`);
    process.exitCode = 1;
  },
);
