/** The named checks: every one is raised somewhere, names are recognised exactly, and --list shows what each needs. */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { CHECK_NAMES, CHECKS, isCheckName, listChecks } from "../../src/verify/catalog.js";

const VERIFY = fileURLToPath(new URL("../../src/verify/", import.meta.url));

describe("CHECKS", () => {
  it("every check is named by the code that raises it (a check nothing raises would always pass)", () => {
    const sources = fs
      .readdirSync(VERIFY)
      .filter((f) => f.endsWith(".ts") && f !== "catalog.ts")
      .map((f) => fs.readFileSync(path.join(VERIFY, f), "utf8"))
      .join("\n");
    expect(CHECK_NAMES.filter((name) => !sources.includes(JSON.stringify(name)))).toEqual([]);
  });

  it("every check says what it holds the server to; the ones that spend are the ones Prism cannot satisfy", () => {
    for (const name of CHECK_NAMES) expect(CHECKS[name].description.length, name).toBeGreaterThan(10);
    const paying = CHECK_NAMES.filter((n) => CHECKS[n].needs !== "free");
    expect(paying.length).toBeGreaterThan(0);
    for (const name of paying) expect("notOnPrism" in CHECKS[name], name).toBe(true);
  });

  it("isCheckName knows exactly the checks' names, not Object.prototype's keys", () => {
    expect(CHECK_NAMES.every(isCheckName)).toBe(true);
    for (const name of ["constructor", "toString", "Body-Schema", ""])
      expect([name, isCheckName(name)]).toEqual([name, false]);
  });
});

describe("listChecks", () => {
  it("prints one line per check in report order, descriptions aligned, marking what a paying check needs", () => {
    const lines = listChecks().split("\n");
    expect(lines.map((l) => l.split(/\s+/)[0])).toEqual(CHECK_NAMES);
    const column = Math.max(...CHECK_NAMES.map((n) => n.length)) + 2;
    for (const [i, line] of lines.entries()) {
      const name = CHECK_NAMES[i] as keyof typeof CHECKS;
      expect(line.slice(column), name).toMatch(
        new RegExp(`^${CHECKS[name].description.slice(0, 20).replace(/[()[\].*+?^$|\\]/g, "\\$&")}`),
      );
      const needs = CHECKS[name].needs;
      expect(line.endsWith(" [--spend --callback-url]"), name).toBe(needs === "callback");
      expect(line.endsWith(" [--spend]"), name).toBe(needs === "spend");
    }
  });
});
