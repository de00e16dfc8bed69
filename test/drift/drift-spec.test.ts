import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { compareGenerated, listFiles } from "../../scripts/check-generated.js";
import { applyPlan, planApply } from "../../scripts/drift/apply.js";
import { main } from "../../scripts/drift-spec.js";
import { parseSpec } from "../../src/drift/load.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const specFile = join(root, "spec/kling-o1-video-edit.yaml");
const run = promisify(execFile);

// biome-ignore lint/suspicious/noExplicitAny: the spec is walked freely to make upstream variants
type Doc = any;
const pinnedText = await readFile(specFile, "utf8");
const pinnedDoc = parse(pinnedText);
const pinned = (): Doc => structuredClone(pinnedDoc);
/** The pinned spec as the command loads it; planApply only reads it, so one load serves every case. */
const pinnedSpec = parseSpec(pinnedText, specFile);

/** The pinned spec with a new task status: a risky change for every reader of TaskStatus. */
function withCancelled(): Doc {
  const doc = pinned();
  doc.components.schemas.TaskStatus.enum.push("cancelled");
  return doc;
}

/** The provider's create page only: the task query lives on another page. */
function createPageOnly(doc: Doc): Doc {
  delete doc.paths["/v1/tasks/{task_id}"];
  return doc;
}

async function runMain(args: string[], env: Record<string, string> = {}, repo = root) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { stdout: (t) => out.push(t), stderr: (t) => err.push(t) }, env, {}, repo);
  return { code, stdout: out.join("\n"), stderr: err.join("\n") };
}

/** sha256 of every file of spec/ and generated/ under `repo`, by path. */
async function digest(repo: string): Promise<Record<string, string>> {
  const files = [...(await listFiles(join(repo, "spec"))).map((f) => `spec/${f}`)];
  files.push(...(await listFiles(join(repo, "generated"))).map((f) => `generated/${f}`));
  const hashes = await Promise.all(
    files.map(async (f) => [
      f,
      createHash("sha256")
        .update(await readFile(join(repo, f)))
        .digest("hex"),
    ]),
  );
  return Object.fromEntries(hashes);
}

let dir: string;
let server: Server;
/** The one child process of this file, started first so that it runs while the in-process cases do. */
let script: Promise<{ code?: number; stderr: string }>;
let base: string;
const served = new Map<string, { type: string; body: string; status?: number }>();

beforeAll(async () => {
  const { KLING_SPEC_URL: _, ...env } = process.env;
  script = run(process.execPath, ["--import", "tsx", "scripts/drift-spec.ts"], { cwd: root, env }).catch(
    (e: { code: number; stderr: string }) => e,
  );
  dir = await mkdtemp(join(tmpdir(), "kling-drift-spec-"));
  server = createServer((req, res) => {
    const page = served.get(new URL(req.url ?? "/", "http://x").pathname);
    res.writeHead(page?.status ?? (page ? 200 : 404), { "content-type": page?.type ?? "text/plain" });
    res.end(page?.body ?? "not found");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

describe("npm run drift:spec", () => {
  it("finds nothing when upstream is the pinned spec, and exits 0", async () => {
    const { code, stdout } = await runMain([specFile]);
    expect(code).toBe(0);
    expect(stdout).toContain("Compared 2 operation(s): `createVideoGeneration`, `getTaskDetail`");
    expect(stdout).toContain("No differences in the compared operations.");
  });

  it("reports a new task status as risky: exit 0, or 1 with --fail-on risky; Markdown and JSON agree", async () => {
    const file = join(dir, "cancelled.yaml");
    await writeFile(file, stringify(withCancelled()));
    const md = await runMain([file]);
    expect(md.code).toBe(0);
    expect(md.stdout).toContain("### Risky (3)");
    expect(md.stdout).toMatch(/\| `getTaskDetail` \| response 200 \| `status` \| new enum value\(s\) cancelled/);
    expect(md.stdout).toContain("callback taskFinished body");
    const strict = await runMain([file, "--fail-on", "risky", "--format", "json"]);
    expect(strict.code).toBe(1);
    const json = JSON.parse(strict.stdout);
    expect(json).toMatchObject({ kind: "spec", failOn: "risky", exitCode: 1, summary: { breaking: 0, risky: 3 } });
    expect(json.findings.map((f: { where: string }) => f.where).sort()).toEqual([
      "callback taskFinished body",
      "response 200",
      "response 200",
    ]);
  });

  it("fetches a JSON document from a URL, resolving a $ref into another served file, and exits 1 on breaking", async () => {
    const doc = pinned();
    doc.components.schemas.VideoGenerationRequest.properties.prompt.maxLength = 2000;
    // TaskStatus moves to a separate file on the server: the same schema, so no finding for it.
    const status = doc.components.schemas.TaskStatus;
    doc.components.schemas.TaskStatus = { $ref: "./common.yaml#/TaskStatus" };
    served.set("/openapi.json", { type: "application/json", body: JSON.stringify(doc) });
    served.set("/common.yaml", { type: "application/yaml", body: stringify({ TaskStatus: status }) });
    const { code, stdout } = await runMain([`${base}/openapi.json?api_key=s3cret`, "--format", "json"]);
    expect(code).toBe(1);
    const json = JSON.parse(stdout);
    expect(json.summary).toEqual({ breaking: 1, risky: 0, safe: 0 });
    expect(json.findings[0]).toMatchObject({
      level: "breaking",
      rule: "constraint-narrowed",
      operation: "createVideoGeneration",
      where: "request body",
      field: "prompt",
      before: 5000,
      after: 2000,
    });
    expect(stdout).not.toContain("s3cret");
    expect(json.upstream[0].source).toContain("api_key=***");
  });

  it("lists operations a per-operation page lacks as not compared, or removed with --complete", async () => {
    const file = join(dir, "create-page.yaml");
    await writeFile(file, stringify(createPageOnly(pinned())));
    const partial = await runMain([file]);
    expect(partial.code).toBe(0);
    expect(partial.stdout).toContain(
      "Not in the upstream document, so not compared: `getTaskDetail` (GET /v1/tasks/{task_id})",
    );
    const complete = await runMain([file, "--complete", "--format", "json"]);
    expect(complete.code).toBe(1);
    expect(JSON.parse(complete.stdout).findings).toEqual([
      expect.objectContaining({ level: "breaking", rule: "operation-removed", operation: "getTaskDetail" }),
    ]);
  });

  it("takes the URLs from KLING_SPEC_URL and writes both reports with --out", async () => {
    served.set("/create.yaml", { type: "application/yaml", body: stringify(createPageOnly(withCancelled())) });
    served.set("/task.yaml", { type: "application/yaml", body: pinnedText });
    const out = join(dir, "reports");
    const { code, stderr } = await runMain(["--out", out], { KLING_SPEC_URL: `${base}/create.yaml ${base}/task.yaml` });
    expect(code).toBe(0);
    expect(stderr).toContain("drift-spec.md");
    const json = JSON.parse(await readFile(join(out, "drift-spec.json"), "utf8"));
    expect(json.compared).toEqual(["createVideoGeneration", "getTaskDetail"]);
    expect(json.summary.risky).toBe(2);
    expect(await readFile(join(out, "drift-spec.md"), "utf8")).toContain("## Spec drift");
  });

  it("against the provider's create page, finds only the pinned spec's deliberate inferences; accepted, they pass", async () => {
    const page = join(root, "test/drift/fixtures/provider/create-page.yaml");
    const raw = await runMain([page, "--format", "json"]);
    expect(raw.code).toBe(1);
    const rows = JSON.parse(raw.stdout).findings.map(
      (f: { level: string; rule: string; where: string; field?: string }) =>
        `${f.level} ${f.rule} ${f.where}${f.field ? ` ${f.field}` : ""}`,
    );
    expect(rows).toEqual([
      "breaking callback-removed callback taskFinished",
      "breaking response-field-now-optional response 200 id",
      "breaking response-field-now-optional response 200 status",
      ...["400", "401", "402", "403", "404", "429", "500", "502", "503"].map(
        (status) => `breaking response-field-now-optional response ${status} error`,
      ),
      "safe constraint-widened request body callback_url",
      "safe constraint-widened request body callback_url",
      "safe doc-changed response 200",
      "safe doc-changed response 200",
      ...["400", "401", "402", "403", "404", "429", "500", "502", "503"].map(
        (status) => `safe doc-changed response ${status}`,
      ),
    ]);
    // What the nightly runs: --fail-on risky with the repository's acceptance file.
    const accepted = join(root, "scripts/drift/accepted.yaml");
    const nightly = await runMain([page, "--fail-on", "risky", "--accept", accepted, "--format", "json"]);
    expect(nightly.code).toBe(0);
    const json = JSON.parse(nightly.stdout);
    expect(json.summary).toEqual({ breaking: 0, risky: 0, safe: 13 });
    expect(json.accepted).toHaveLength(12);
    expect(json.accepted[1]).toMatchObject({ rule: "response-field-now-optional", field: "id", reason: /Inferred/ });
    expect(json.staleAcceptances).toEqual([]);
  });

  it("lists acceptances that match nothing as stale, and refuses a malformed acceptance file", async () => {
    const file = join(dir, "cancelled-accept.yaml");
    await writeFile(file, stringify(withCancelled()));
    const accept = join(dir, "accept.yaml");
    await writeFile(
      accept,
      stringify([
        {
          rule: "enum-value-added",
          operation: "getTaskDetail",
          where: "response 200",
          field: "status",
          reason: "handled",
        },
        { rule: "status-removed", operation: "getTaskDetail", where: "response 404" },
      ]),
    );
    const { code, stdout } = await runMain([file, "--accept", accept, "--fail-on", "risky"]);
    expect(code).toBe(1);
    expect(stdout).toContain("### Risky (2)");
    expect(stdout).toContain("Accepted (1): known differences listed in");
    expect(stdout).toMatch(/Stale acceptances in .*accept\.yaml .*`status-removed getTaskDetail response 404`/);
    await writeFile(accept, stringify([{ rule: "enum-value-added", operation: "getTaskDetail" }]));
    const bad = await runMain([file, "--accept", accept]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/accept\.yaml: entry 1 needs a string `where`/);
  });

  it("exits 2 with a message naming the problem when the check cannot run", async () => {
    served.set("/docs.html", { type: "text/html", body: "<!doctype html><html><body>API docs</body></html>" });
    const cases: [string[], RegExp][] = [
      [[], /no upstream document: pass a file or URL/],
      [[specFile, "--format", "xml"], /--format must be md or json \(got "xml"\)/],
      [[specFile, "--fail-on", "safe"], /--fail-on must be breaking or risky/],
      [[specFile, "--bogus"], /Unknown option '--bogus'/],
      [[join(dir, "missing.yaml")], /Cannot read .*missing\.yaml: no such file/],
      [[`${base}/gone.yaml`], /Cannot fetch http:\/\/127\.0\.0\.1:\d+\/gone\.yaml: HTTP 404/],
      [[`${base}/docs.html`], /is not an OpenAPI document \(it is an HTML page/],
      [[specFile, "--apply", "--pinned", specFile], /--apply writes spec\/ and cannot be combined with --pinned/],
    ];
    for (const [args, message] of cases) {
      const { code, stderr } = await runMain(args);
      expect({ args, code }).toEqual({ args, code: 2 });
      expect(stderr).toMatch(message);
    }
    // A fetched document cannot make the check read local files through a $ref.
    await writeFile(join(dir, "local-secret.yaml"), "Secret: { type: string, description: do-not-leak }\n");
    const sneaky = pinned();
    sneaky.components.schemas.TaskStatus = { $ref: `file://${join(dir, "local-secret.yaml")}#/Secret` };
    served.set("/sneaky.json", { type: "application/json", body: JSON.stringify(sneaky) });
    const blocked = await runMain([`${base}/sneaky.json`]);
    expect(blocked.code).toBe(2);
    expect(blocked.stderr).toMatch(/Cannot resolve the \$refs of http:\/\/127\.0\.0\.1:\d+\/sneaky\.json/);
    expect(`${blocked.stdout}${blocked.stderr}`).not.toContain("do-not-leak");

    await writeFile(join(dir, "swagger.json"), JSON.stringify({ swagger: "2.0", info: {}, paths: {} }));
    expect((await runMain([join(dir, "swagger.json")])).stderr).toMatch(/Swagger 2\.0: only OpenAPI 3\.x/);
  });
  it("runs as a script: `node --import tsx scripts/drift-spec.ts` reaches main and exits with its code", async () => {
    // The only child process of this file (started in beforeAll): the cases above call main() in-process, so this is
    // what proves that the file's run-as-a-script guard calls main and that its exit code reaches the process (the
    // nightly workflow reads it). The cheapest run that says so: no document (exit 2, before loading any spec).
    const failure = await script;
    expect(failure).toMatchObject({ code: 2, stderr: expect.stringMatching(/^drift:spec: no upstream document/m) });
  });
});

describe("drift:spec --apply", () => {
  it("replaces the spec with a whole upstream document, keeping the pinned jsonSchemaDialect it lacks", async () => {
    const doc = withCancelled();
    delete doc.jsonSchemaDialect;
    const plan = planApply(await pinnedSpec, [await parseSpec(JSON.stringify(doc), "up.json")], false);
    expect(plan.mode).toBe("replace");
    expect(plan.keptDialect).toBe(true);
    const written = parse(plan.text);
    expect(Object.keys(written).slice(0, 2)).toEqual(["openapi", "jsonSchemaDialect"]);
    expect(written.jsonSchemaDialect).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(written.components.schemas.TaskStatus.enum).toContain("cancelled");
    // An upstream dialect wins.
    const own = { ...withCancelled(), jsonSchemaDialect: "https://spec.openapis.org/oas/3.1/dialect/base" };
    const plan2 = planApply(await pinnedSpec, [await parseSpec(JSON.stringify(own), "up.json")], false);
    expect(parse(plan2.text).jsonSchemaDialect).toBe("https://spec.openapis.org/oas/3.1/dialect/base");
  });

  it("merges a per-operation page: other operations, comments and top-level fields stay", async () => {
    const page = createPageOnly(withCancelled());
    page.info.description = "the provider's page";
    const plan = planApply(await pinnedSpec, [await parseSpec(stringify(page), "create.yaml")], false);
    expect(plan.mode).toBe("merge");
    expect(plan.operations).toEqual(["POST /v1/videos/generations"]);
    expect(plan.replacedComponents).toEqual(["schemas.TaskStatus"]);
    const written = parse(plan.text);
    expect(written.paths["/v1/tasks/{task_id}"].get.operationId).toBe("getTaskDetail");
    expect(written.components.schemas.TaskStatus.enum).toContain("cancelled");
    expect(written.info.description).not.toBe("the provider's page");
    expect(plan.text).toContain("# The two stated restrictions a schema can express");
    // --complete: the page is the whole API, the task query goes.
    const complete = planApply(await pinnedSpec, [await parseSpec(stringify(page), "c.yaml")], true);
    expect(parse(complete.text).paths["/v1/tasks/{task_id}"]).toBeUndefined();
  });

  it("writes spec/ and regenerates generated/ in a copy of the repository (never the real one)", async () => {
    const real = await digest(root);
    expect(Object.keys(real)).toContain("generated/schema.ts");
    // What --apply touches: spec/ (read as the pinned spec, then written) and generated/ (written).
    const copy = join(dir, "repo");
    for (const entry of ["spec", "generated"]) await cp(join(root, entry), join(copy, entry), { recursive: true });
    const page = join(dir, "apply-page.yaml");
    await writeFile(page, stringify(createPageOnly(withCancelled())));

    const { code, stderr } = await runMain([page, "--apply"], {}, copy);
    expect(code).toBe(0);
    expect(stderr).toContain(
      "drift:spec --apply: merged into spec/kling-o1-video-edit.yaml (1 operation(s) from upstream)\n" +
        "  upstream replaced these pinned components: schemas.TaskStatus\n" +
        `  npm run generate: generated ${join(copy, "generated/schema.ts")}, `,
    );
    const specText = await readFile(join(copy, "spec/kling-o1-video-edit.yaml"), "utf8");
    const spec = parse(specText);
    expect(spec.components.schemas.TaskStatus.enum).toContain("cancelled");
    expect(spec.paths["/v1/tasks/{task_id}"].get.operationId).toBe("getTaskDetail");
    const types = await readFile(join(copy, "generated/schema.ts"), "utf8");
    expect(types).toContain('TaskStatus: "pending" | "processing" | "completed" | "failed" | "cancelled";');
    const meta = await readFile(join(copy, "generated/spec-meta.ts"), "utf8");
    expect(meta).toContain(createHash("sha256").update(specText).digest("hex"));
    // Regenerated whole, as `npm run generate` would: the files a new status reaches (the types, the facts, the hash,
    // the two validators of bodies holding a status) differ from the committed ones, and every other file is byte for
    // byte the committed one, which check:generated holds to what `npm run generate` writes from the real spec.
    const committed = join(root, "generated");
    const changed = await compareGenerated(committed, await listFiles(committed), join(copy, "generated"));
    expect(changed.sort()).toEqual([
      expect.stringMatching(/^differs: schema\.ts /),
      expect.stringMatching(/^differs: spec-facts\.ts /),
      expect.stringMatching(/^differs: spec-meta\.ts /),
      expect.stringMatching(/^differs: validators\/TaskDetail\.ts /),
      expect.stringMatching(/^differs: validators\/VideoGenerationResponse\.ts /),
    ]);
    // A spec that cannot be generated from: the error says what happened and how to undo it.
    const plan = planApply(await pinnedSpec, [await pinnedSpec], false);
    const broken = { ...plan, text: "openapi: 3.1.0\npaths: [not, a, map\n" };
    await expect(applyPlan(broken, join(copy, "spec/kling-o1-video-edit.yaml"), copy)).rejects.toThrow(
      /spec written, but `npm run generate` failed \(fix the spec, or `git checkout spec\/` to undo\):\nYAMLParseError: /,
    );
    // The real spec/ and generated/ are untouched.
    expect(await digest(root)).toEqual(real);
  });
});
