/**
 * src/defaults.ts is constants, so what can be wrong with it is a relation between them, a default that nothing reads,
 * or a JSDoc `@default` that copies a number instead of linking the constant (issue 13: "a number is written once").
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import * as defaults from "../src/defaults.js";
import { MIN_FIXED_POLL_INTERVAL_MS } from "../src/wait.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const SRC = path.join(ROOT, "src");
const sources = fs
  .readdirSync(SRC, { recursive: true, withFileTypes: true })
  .filter((e) => e.isFile() && e.name.endsWith(".ts"))
  .map((e) => path.join(e.parentPath, e.name));
const read = (file: string) => fs.readFileSync(file, "utf8");
const numeric = Object.entries(defaults).filter((entry): entry is [string, number] => typeof entry[1] === "number");

describe("defaults relate as documented", () => {
  it("retry delays: the first is below the cap, the cap below the longest honoured hint, which fits a default call", () => {
    expect(defaults.INITIAL_RETRY_DELAY_MS).toBeGreaterThan(0);
    expect(defaults.INITIAL_RETRY_DELAY_MS).toBeLessThan(defaults.MAX_RETRY_DELAY_MS);
    expect(defaults.MAX_RETRY_DELAY_MS).toBeLessThanOrEqual(defaults.MAX_RETRY_AFTER_MS);
    expect(defaults.MAX_RETRY_AFTER_MS).toBeLessThanOrEqual(defaults.DEFAULT_TIMEOUT_MS);
    // Every default retry's longest backoff together still fits one call's default deadline.
    expect(defaults.MAX_RETRY_DELAY_MS * defaults.DEFAULT_MAX_RETRIES).toBeLessThan(defaults.DEFAULT_TIMEOUT_MS);
  });

  it("poll intervals: fixed minimum <= adaptive minimum <= first unknown <= maximum < the wait's deadline", () => {
    expect(MIN_FIXED_POLL_INTERVAL_MS).toBeLessThanOrEqual(defaults.MIN_POLL_INTERVAL_MS);
    expect(defaults.MIN_POLL_INTERVAL_MS).toBeLessThanOrEqual(defaults.FIRST_UNKNOWN_POLL_MS);
    expect(defaults.FIRST_UNKNOWN_POLL_MS).toBeLessThanOrEqual(defaults.MAX_POLL_INTERVAL_MS);
    expect(defaults.MAX_POLL_INTERVAL_MS).toBeLessThan(defaults.DEFAULT_WAIT_TIMEOUT_MS);
    expect(defaults.MAX_CONSECUTIVE_POLL_ERRORS).toBeGreaterThanOrEqual(1);
  });

  it("downloads: a part younger than a download's deadline is never stale; redirects stay under fetch's 20", () => {
    expect(defaults.STALE_PART_MS).toBeGreaterThanOrEqual(defaults.DEFAULT_DOWNLOAD_TIMEOUT_MS);
    expect(defaults.DEFAULT_DOWNLOAD_RETRIES).toBe(defaults.DEFAULT_MAX_RETRIES);
    expect(defaults.MAX_DOWNLOAD_REDIRECTS).toBeGreaterThan(0);
    expect(defaults.MAX_DOWNLOAD_REDIRECTS).toBeLessThan(20);
    expect(defaults.RESULT_EXPIRY_WARNING_MS).toBeLessThan(defaults.RESULT_TTL_MS);
  });

  it("every number is a finite non-negative integer (a typo like 30 * 60 would still pass; NaN would not)", () => {
    for (const [name, value] of numeric) expect(Number.isSafeInteger(value) && value >= 0, name).toBe(true);
  });

  it("the job reference parameter is a plain query parameter name", () => {
    expect(defaults.DEFAULT_JOB_REF_PARAM).toMatch(/^[a-z][a-z0-9_]*$/);
  });
});

describe("defaults are written once", () => {
  it("every default is read somewhere else in src/ (a default nothing uses documents nothing)", () => {
    const others = sources.filter((f) => !f.endsWith(`${path.sep}defaults.ts`)).map(read);
    const unused = Object.keys(defaults).filter(
      (name) => !others.some((text) => new RegExp(`\\b${name}\\b`).test(text)),
    );
    expect(unused).toEqual([]);
  });

  it("every `@default {@link NAME}` names a constant that exists", () => {
    const exported = new Set<string>();
    for (const file of sources) {
      for (const m of read(file).matchAll(/export (?:const|(?:async )?function) ([A-Za-z_][A-Za-z0-9_]*)\b/g))
        exported.add(m[1] ?? "");
    }
    const dangling: string[] = [];
    for (const file of sources) {
      if (file === path.join(SRC, "defaults.ts")) continue; // its header explains the `{@link NAME}` form
      for (const m of read(file).matchAll(/@default \{@link ([A-Za-z0-9_.]+)\}/g)) {
        if (!exported.has(m[1] ?? "")) dangling.push(`${path.relative(ROOT, file)}: ${m[1]}`);
      }
    }
    expect(dangling).toEqual([]);
  });

  it("no client option's `@default` copies the number of a constant in src/defaults.ts: it links the constant", () => {
    const namesOf = new Map<number, string[]>();
    for (const [name, value] of numeric) namesOf.set(value, [...(namesOf.get(value) ?? []), name]);
    // The client's own files (src/*.ts): the mock, drift, verify, queue and CLI have defaults of their own that may
    // equal one of these numbers by chance.
    const clientFiles = sources.filter((f) => path.dirname(f) === SRC && !f.endsWith(`${path.sep}defaults.ts`));
    const copies: string[] = [];
    for (const file of clientFiles) {
      for (const clause of read(file).matchAll(/@default ([^\n]*?)(?:\*\/|$)/gm)) {
        // A number with a unit word after it ("2 GiB", "30 minutes") is prose, not a copied value.
        for (const m of (clause[1] ?? "").matchAll(/(?<![\w.{])(\d[\d_]*)(?![\d_]|\s*[A-Za-z])/g)) {
          const names = namesOf.get(Number((m[1] ?? "").replaceAll("_", "")));
          if (names)
            copies.push(`${path.relative(ROOT, file)}: @default ${clause[1]?.trim()} (one of ${names.join(", ")})`);
        }
      }
    }
    expect(copies).toEqual([]);
  });

  it("no option anywhere in src/ gives a bare number as its `@default`: it links a named constant", () => {
    const bare: string[] = [];
    for (const file of sources) {
      for (const clause of read(file).matchAll(/@default (\d[\d_ ]*)([^\n]*?)(?:\*\/|$)/gm)) {
        const value = Number((clause[1] ?? "").replaceAll(/[_ ]/g, ""));
        // 0 and 1 are neutral values (index 0, port 0 = a free one, scale 1), and another library's own default is
        // named as such ("30000 (BullMQ's)"): neither is a number of ours written twice.
        if (value === 0 || value === 1 || /\(\w+'s\)/.test(clause[2] ?? "")) continue;
        bare.push(`${path.relative(ROOT, file)}: @default ${clause[1]}${clause[2]}`.trim());
      }
    }
    expect(bare).toEqual([]);
  });
});
