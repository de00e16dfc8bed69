/**
 * The README as someone who did not clone the repository reads it: it begins with the install command and a short
 * example, and that example runs, as written, from the packed package (against the mock instead of the API).
 * The Quick start keeps its two commands; maintainer pages live in docs/.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MockServer, startMockServer } from "../../src/mock/index.js";
import { ROOT } from "../cli/helpers.js";
import { type Packed, packed } from "./packed.js";

const run = promisify(execFile);
const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
const blocks = [...readme.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1], code: m[2] as string }));
const section = (title: string) => {
  const start = readme.indexOf(`\n## ${title}\n`);
  return start < 0 ? "" : readme.slice(start, readme.indexOf("\n## ", start + 1));
};

describe("README.md", () => {
  it("begins (after the pitch) with npm install and an example of at most ten lines", () => {
    expect(readme.indexOf("```")).toBeLessThan(readme.indexOf("\n## "));
    expect(blocks[0]).toEqual({ lang: "sh", code: "npm install kling-o1-video-edit\n" });
    expect(blocks[1]?.lang).toBe("ts");
    expect(blocks[1]?.code.split("\n").filter((l) => l.trim()).length).toBeLessThanOrEqual(10);
    expect(blocks[1]?.code).toContain('from "kling-o1-video-edit"');
  });

  it("keeps the Quick start's two commands for a fresh clone", () => {
    const commands = [...section("Quick start").matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) =>
      (m[1] as string)
        .split("\n")
        .filter(Boolean)
        .map((l) => l.replace(/\s+#.*$/, "")),
    );
    expect(commands).toEqual(["npm ci && npm run demo", "npm test"]);
  });

  it("says what downloadBlob returns, and links the maintainer pages in docs/", () => {
    expect(readme).toContain("`{ blob, bytes, contentType, url }`");
    expect(readme).not.toMatch(/downloadBlob[^.]*returns a `Blob`/);
    for (const page of fs.readdirSync(path.join(ROOT, "docs"))) expect(readme).toContain(`](docs/${page}`);
  });
});

describe("the README's example, from the packed package", () => {
  let pkg: Packed;
  let mock: MockServer;
  let dir: string;
  beforeAll(async () => {
    [pkg, mock] = await Promise.all([packed(), startMockServer({ port: 0, host: "127.0.0.1", speed: 2000, seed: 3 })]);
    dir = path.join(pkg.project, "readme-example");
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir);
  });
  afterAll(() => mock?.close());

  it("runs as written: creates, waits with progress, saves edited.mp4", async () => {
    // Plain JavaScript as it stands; only the mock's http:// result link needs allowInsecure (the API's are https).
    const code = (blocks[1]?.code ?? "").replace(
      'client.download(task, "edited.mp4")',
      'client.download(task, "edited.mp4", { allowInsecure: true })',
    );
    expect(code).toContain("allowInsecure");
    fs.writeFileSync(path.join(dir, "example.mjs"), code);
    const { stdout } = await run(process.execPath, ["example.mjs"], {
      cwd: dir,
      env: { ...process.env, KLING_API_KEY: "readme-key", KLING_BASE_URL: mock.url },
    });
    expect(stdout).toMatch(/^completed 100$/m);
    expect(stdout.trim().split("\n").at(-1)).toBe("saved edited.mp4");
    expect(fs.readFileSync(path.join(dir, "edited.mp4")).subarray(4, 8).toString("latin1")).toBe("ftyp");
  });
});
