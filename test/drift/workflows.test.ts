import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";
import { afterAll, describe, expect, it } from "vitest";
import { parse, parseDocument } from "yaml";
import { STAGES } from "../../scripts/test.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

// @actions/workflow-parser imports its JSON schema without an import attribute, which Node's ESM loader refuses
// (vitest loads node_modules natively). esbuild bundles it, JSON included, into one module for this test.
const parserDir = await mkdtemp(join(tmpdir(), "kling-workflow-parser-"));
const bundled = await build({
  stdin: { contents: 'export * from "@actions/workflow-parser";', resolveDir: root, loader: "js" },
  bundle: true,
  format: "esm",
  platform: "node",
  write: false,
  logLevel: "silent",
});
await writeFile(join(parserDir, "parser.mjs"), bundled.outputFiles[0]?.text ?? "");
const { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } = (await import(
  pathToFileURL(join(parserDir, "parser.mjs")).href
)) as typeof import("@actions/workflow-parser");
afterAll(() => rm(parserDir, { recursive: true, force: true }));
const workflowsDir = join(root, ".github/workflows");
const scripts: Record<string, string> = JSON.parse(await readFile(join(root, "package.json"), "utf8")).scripts;

/** Every problem of a workflow file: YAML, GitHub's own schema and expression checks, scripts, pins, cron. */
async function problems(name: string, content: string): Promise<string[]> {
  const out: string[] = [];
  const doc = parseDocument(content);
  out.push(...doc.errors.map((e) => `YAML: ${e.message}`));
  if (out.length > 0) return out;
  // GitHub's workflow parser (actions/languageservices): structure, keys, expressions and cron syntax.
  const parsed = parseWorkflow({ name, content }, new NoOperationTraceWriter());
  if (!parsed.value) return [...out, ...parsed.context.errors.getErrors().map((e) => `workflow: ${e.message}`)];
  const template = await convertWorkflowTemplate(parsed.context, parsed.value);
  out.push(...parsed.context.errors.getErrors().map((e) => `workflow: ${e.message}`));
  out.push(...(template.errors ?? []).map((e) => `workflow: ${e.Message}`));

  const text = JSON.stringify(doc.toJSON());
  for (const [, script] of text.matchAll(/npm run (?:--silent )?([\w:.-]+)/g)) {
    if (!(String(script) in scripts)) out.push(`npm run ${script}: no such script in package.json`);
  }
  for (const [, action] of text.matchAll(/"uses":"([^"]+)"/g)) {
    // A major tag (GitHub's recommended minimum) or a full commit SHA; never a branch or nothing.
    if (!/^[\w.-]+\/[\w./-]+@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$/.test(String(action))) {
      out.push(`uses ${action}: not pinned to a version or commit`);
    }
  }
  // Each `run:` script is valid bash (GitHub runs them with `bash -e`); expressions are substituted before.
  for (const job of Object.values(
    (doc.toJSON() as { jobs?: Record<string, { steps?: { run?: string }[] }> }).jobs ?? {},
  )) {
    for (const step of job.steps ?? []) {
      if (!step.run) continue;
      const checked = spawnSync("bash", ["-n"], { input: step.run.replace(/\$\{\{[^}]*\}\}/g, "x"), encoding: "utf8" });
      if (checked.status !== 0) out.push(`bash: ${checked.stderr.trim()}`);
    }
  }
  return out;
}

const files = (await readdir(workflowsDir)).filter((f) => /\.ya?ml$/.test(f)).sort();
const load = async (file: string) => readFile(join(workflowsDir, file), "utf8");

describe(".github/workflows", () => {
  it("ships the pull-request and the nightly workflow", () => {
    expect(files).toEqual(expect.arrayContaining(["ci.yml", "nightly-drift.yml"]));
  });

  for (const file of files) {
    it(`${file}: parses, passes GitHub's workflow parser, runs only real scripts, pins every action`, async () => {
      expect(await problems(file, await load(file))).toEqual([]);
    });
  }

  it("the checks can fail: a bad cron, an unpinned action, a missing script, a bad key, bad bash are each caught", async () => {
    const nightly = await load("nightly-drift.yml");
    const broken: [string, string, RegExp][] = [
      ['cron: "17 4 * * *"', 'cron: "61 4 * * *"', /Invalid cron expression/],
      ["actions/checkout@v4", "actions/checkout@main", /actions\/checkout@main: not pinned/],
      ["npm run --silent drift:live", "npm run --silent drift:livee", /drift:livee: no such script/],
      ["timeout-minutes: 40", "timeout-minute: 40", /Unexpected value 'timeout-minute'/],
      [
        'echo "exit=$?" >> "$GITHUB_OUTPUT"',
        'echo "exit=$?" >> "$GITHUB_OUTPUT"\n          fi',
        /bash: .*syntax error/,
      ],
      [
        "steps.drift-spec.outputs.exit == '1'",
        "steps.drift-spec.outputs.exit == '1' ||",
        /Unexpected end of expression: '\|\|'/,
      ],
    ];
    for (const [from, to, expected] of broken) {
      expect(nightly).toContain(from);
      const found = await problems("nightly-drift.yml", nightly.replace(from, to));
      expect(found.join("\n"), `${from} -> ${to}`).toMatch(expected);
    }
  });

  it("ci.yml runs on pull requests and covers every stage of npm test, the contract suite included", async () => {
    const ci = parse(await load("ci.yml"));
    expect(Object.keys(ci.on)).toContain("pull_request");
    const runs: string[] = Object.values(ci.jobs).flatMap((job) =>
      ((job as { steps: { run?: string }[] }).steps ?? []).map((s) => s.run ?? ""),
    );
    expect(runs).toContain("npm ci --no-audit --no-fund");
    // npm test is scripts/test.ts: its stages are package.json scripts, listed in STAGES.
    expect(scripts.test).toBe("tsx scripts/test.ts");
    for (const stage of STAGES.flatMap((s) => s.steps)) {
      const covered = runs.some((run) => run === `npm run ${stage}` || run === scripts[stage]);
      expect(covered, `npm test stage "${stage}" has no step in ci.yml`).toBe(true);
    }
    expect(ci.permissions).toEqual({ contents: "read" });
  });

  it("the nightly runs on a schedule and by hand, with secrets and variables from the repository's settings", async () => {
    const text = await load("nightly-drift.yml");
    const nightly = parse(text);
    expect(nightly.on.schedule).toEqual([{ cron: expect.stringMatching(/^\S+ \S+ \S+ \S+ \S+$/) }]);
    expect(nightly.on).toHaveProperty("workflow_dispatch");
    expect(nightly.permissions).toEqual({ contents: "read", issues: "write" });
    for (const ref of ["secrets.KLING_API_KEY", "secrets.KLING_BASE_URL", "vars.KLING_SPEC_URL"]) {
      expect(text).toContain(`\${{ ${ref} }}`);
    }
    const runs = nightly.jobs.drift.steps.map((s: { run?: string }) => s.run ?? "").join("\n");
    expect(runs).toContain("npm run test:live");
    expect(runs).toContain("npm run --silent drift:live -- --fail-on risky --out drift-reports");
    expect(runs).toContain(
      "npm run --silent drift:spec -- $KLING_SPEC_URL --fail-on risky --accept scripts/drift/accepted.yaml --out drift-reports",
    );
    // Every file a workflow passes to a drift command exists.
    for (const [, file] of text.matchAll(/--accept (\S+)/g))
      expect(existsSync(join(root, String(file))), file).toBe(true);
    // No secret is ever echoed or interpolated into a shell script.
    expect(runs).not.toMatch(/secrets\./);
  });
});

describe("the nightly's issue step (actions/github-script)", () => {
  let workspace: string;
  afterAll(() => (workspace ? rm(workspace, { recursive: true, force: true }) : undefined));

  async function runScript(env: Record<string, string>, openIssues: { number: number; body: string }[]) {
    const nightly = parse(await load("nightly-drift.yml"));
    const step = nightly.jobs.drift.steps.find((s: { uses?: string }) => s.uses?.startsWith("actions/github-script@"));
    const calls: { method: string; args: Record<string, unknown> }[] = [];
    const record = (method: string) => async (args: Record<string, unknown>) => {
      calls.push({ method, args });
      return { data: { number: 42 } };
    };
    const github = {
      paginate: async (_fn: unknown, args: Record<string, unknown>) => {
        calls.push({ method: "list", args });
        return openIssues;
      },
      rest: {
        issues: {
          listForRepo: () => undefined,
          update: record("update"),
          createComment: record("comment"),
          create: record("create"),
        },
      },
    };
    const context = { serverUrl: "https://github.com", repo: { owner: "acme", repo: "kling" }, runId: 7 };
    const notices: string[] = [];
    const core = { notice: (m: string) => notices.push(m) };
    const fakeProcess = { env: { GITHUB_WORKSPACE: workspace, ...env } };
    // github-script runs the script as the body of an async function with these names in scope.
    const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor;
    const fn = new AsyncFunction("github", "context", "core", "require", "process", step.with.script);
    const { createRequire } = await import("node:module");
    await fn(github, context, core, createRequire(import.meta.url), fakeProcess);
    return { calls, notices };
  }

  it("opens an issue with the reports when none is open, and updates and comments on the open one", async () => {
    workspace = await mkdtemp(join(tmpdir(), "kling-gh-script-"));
    await mkdir(join(workspace, "drift-reports"));
    await writeFile(join(workspace, "drift-reports/drift-spec.md"), "## Spec drift: SPEC-REPORT\n");
    await writeFile(join(workspace, "drift-reports/drift-live.md"), "## Live drift: LIVE-REPORT\n");

    const first = await runScript({ SPEC_EXIT: "1", LIVE_EXIT: "0", LIVE_OUTCOME: "success" }, []);
    const created = first.calls.find((c) => c.method === "create");
    expect(created?.args).toMatchObject({ owner: "acme", repo: "kling", labels: ["drift"] });
    expect(created?.args.body).toContain("SPEC-REPORT");
    expect(created?.args.body).not.toContain("LIVE-REPORT");
    expect(created?.args.body).toContain("https://github.com/acme/kling/actions/runs/7");
    expect(first.notices).toEqual(["Opened drift issue #42"]);

    const marker = String(created?.args.body).split("\n")[0] as string;
    const second = await runScript({ SPEC_EXIT: "0", LIVE_EXIT: "1", LIVE_OUTCOME: "failure" }, [
      { number: 3, body: "an unrelated issue" },
      { number: 9, body: `${marker}\nold report` },
    ]);
    expect(second.calls.map((c) => c.method)).toEqual(["list", "update", "comment"]);
    const update = second.calls.find((c) => c.method === "update")?.args;
    expect(update).toMatchObject({ issue_number: 9 });
    expect(update?.body).toContain("LIVE-REPORT");
    expect(update?.body).toContain("Live contract run failed");
    expect(second.notices).toEqual(["Updated drift issue #9"]);
  });
});

describe("README: the Verify a server workflow", () => {
  it("is a valid workflow that runs the installed package's commands, without checking out this repository", async () => {
    const readme = await readFile(join(root, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## Verify a server"), readme.indexOf("## Contract tests"));
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)?.[1] ?? "";
    expect(await problems("readme-verify.yml", yaml)).toEqual([]);
    expect(yaml).not.toMatch(/actions\/checkout/);
    expect(yaml).toMatch(/npx kling-edit verify --base-url/);
    expect(yaml).toMatch(/npx kling-edit drift live/);
  });
});
