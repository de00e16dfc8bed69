/**
 * Lints the spec three ways and fails on any finding:
 *   1. Spectral (spectral:oas, .spectral.yaml), warnings included;
 *   2. Redocly's recommended rules (redocly.yaml), warnings included;
 *   3. the official OpenAPI 3.1 JSON Schema (the document's structure; its schemas are compiled by ajv in codegen).
 *
 * Usage: tsx scripts/lint-spec.ts [spec.yaml]
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { Validator } from "@seriousme/openapi-schema-validator";
import { parse } from "yaml";
import { ROOT, SPEC_PATH } from "./paths.js";

const run = promisify(execFile);
const bin = (name: string) => join(ROOT, "node_modules", ".bin", name);

async function spectral(spec: string): Promise<string[]> {
  try {
    await run(bin("spectral"), ["lint", "--fail-severity=warn", "--format=text", spec], { cwd: ROOT });
    return [];
  } catch (error) {
    const out = String((error as { stdout?: string }).stdout ?? error);
    return out.split("\n").filter((line) => line.trim() !== "");
  }
}

async function redocly(spec: string): Promise<string[]> {
  let stdout: string;
  try {
    ({ stdout } = await run(bin("redocly"), ["lint", "--format=json", spec], { cwd: ROOT }));
  } catch (error) {
    stdout = String((error as { stdout?: string }).stdout ?? "");
  }
  const report = JSON.parse(stdout) as {
    problems: { ruleId: string; severity: string; message: string; location: { pointer: string }[] }[];
  };
  return report.problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message} at ${p.location[0]?.pointer ?? "?"}`);
}

async function officialSchema(spec: string): Promise<string[]> {
  // @seriousme/openapi-schema-validator ships the current official OAS 3.1 schema (the 2021 one in other packages
  // rejects every `$ref` that is a relative URI reference).
  const validator = new Validator();
  const result = await validator.validate(parse(await readFile(spec, "utf8")));
  if (result.valid) return [];
  if (typeof result.errors === "string") return [result.errors];
  return (result.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? e.keyword}`);
}

const spec = process.argv[2] ?? join(ROOT, SPEC_PATH);
const checks: [string, (spec: string) => Promise<string[]>][] = [
  ["Spectral (spectral:oas)", spectral],
  ["Redocly (recommended)", redocly],
  ["OpenAPI 3.1 JSON Schema", officialSchema],
];
let failed = false;
for (const [name, check] of checks) {
  const problems = await check(spec);
  console.log(
    `${problems.length === 0 ? "ok  " : "FAIL"} ${name}${problems.length ? `: ${problems.length} problem(s)` : ""}`,
  );
  for (const problem of problems) console.log(`     ${problem}`);
  failed ||= problems.length > 0;
}
process.exit(failed ? 1 : 0);
