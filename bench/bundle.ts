/**
 * 4. Bundle size: a browser app that creates an edit, waits for it and calls `downloadBlob` (importing the package's
 * `.` entry, src/index.ts), bundled and minified by esbuild (platform browser, format esm), gzip size of the code
 * loaded at start (the entry chunk and the shared chunks it imports statically; lazy chunks apart), against
 * openapi-fetch alone and against the same app with ajv's run-time compiler in place of the precompiled validators.
 * Target: at most 12 kB gzip. Also the size of each subpath with every export kept (`.`, `./mock/msw`, `./webhooks`,
 * `./queue` when package.json exports it), peer dependencies left out.
 *
 * Also reports every `node:` import the browser entry reaches, and how (static or through a dynamic import): a
 * static one would break browser bundles.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { type BuildOptions, build, version as esbuildVersion, type Metafile, type Plugin } from "esbuild";
import { BUILD_DIR, ROOT } from "./lib/proc.js";
import { OPENAPI_KEYWORDS, SCHEMA_ID, specDefs } from "./lib/runtime-ajv.js";
import { pairRatios } from "./lib/stats.js";
import type { Benchmark, Measure } from "./lib/types.js";

const KB = 1000;

/** The app the target is about: create, wait, download the result as a Blob. */
const APP = [
  `import { createKlingClient } from ${JSON.stringify(path.join(ROOT, "src/index.ts"))};`,
  'const client = createKlingClient({ apiKey: "demo" });',
  'const created = await client.edits.create({ prompt: "Make it cinematic", video_urls: ["https://example.com/in.mp4"] });',
  "const task = await client.tasks.wait(created.id);",
  "const { blob } = await client.downloadBlob(task);",
  "export default blob;",
].join("\n");

/** Subpaths whose size is reported, when package.json exports them (`./queue` is Node: bundled for Node). */
const SUBPATHS: { subpath: string; platform: "browser" | "node" }[] = [
  { subpath: ".", platform: "browser" },
  { subpath: "./mock/msw", platform: "browser" },
  { subpath: "./webhooks", platform: "browser" },
  { subpath: "./queue", platform: "node" },
];

/** A subpath's source file, from package.json `exports` (`./dist/src/x.js` is built from `src/x.ts`). */
function subpathSource(subpath: string): string | null {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
    exports?: Record<string, string | { default?: string }>;
  };
  const target = pkg.exports?.[subpath];
  const file = typeof target === "string" ? target : target?.default;
  return file ? file.replace(/^\.\/dist\//, "").replace(/\.js$/, ".ts") : null;
}

/** The package's peer dependencies: the app brings them, so a subpath's size leaves them out. */
function peerDependencies(): string[] {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
    peerDependencies?: Record<string, string>;
  };
  return Object.keys(pkg.peerDependencies ?? {}).flatMap((name) => [name, `${name}/*`]);
}

/** Replaces generated/validators.js with validators that ajv compiles at run time from the spec's schemas. */
function runtimeAjvPlugin(): Plugin {
  return {
    name: "runtime-ajv",
    setup(b) {
      // The aggregate and every per-schema module resolve to one module exporting every validator.
      b.onResolve({ filter: /generated\/validators(\/\w+)?\.js$/ }, () => ({
        path: "validators",
        namespace: "runtime-ajv",
      }));
      b.onLoad({ filter: /.*/, namespace: "runtime-ajv" }, () => {
        const defs = specDefs() as Record<string, unknown>;
        const names = Object.keys(defs);
        return {
          resolveDir: ROOT,
          loader: "js",
          contents: [
            'import Ajv2020 from "ajv/dist/2020.js";',
            'import addFormats from "ajv-formats";',
            "const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });",
            "addFormats(ajv);",
            `ajv.addVocabulary(${JSON.stringify(OPENAPI_KEYWORDS)});`,
            `ajv.addSchema({ $id: ${JSON.stringify(SCHEMA_ID)}, $defs: ${JSON.stringify(defs)} });`,
            ...names.map(
              (n) => `export const validate${n} = ajv.getSchema(${JSON.stringify(`${SCHEMA_ID}#/$defs/${n}`)});`,
            ),
            `export const validators = { ${names.map((n) => `${n}: validate${n}`).join(", ")} };`,
          ].join("\n"),
        };
      });
    },
  };
}

export interface Bundle {
  /** Minified bytes loaded at start: the entry chunk and every chunk it imports statically (shared chunks). */
  initial: number;
  /** Their gzip size (level 9), each file compressed on its own as a server sends it, summed. */
  initialGzip: number;
  /** The entry chunk's own gzip size, without the shared chunks it imports (the figure measured before). */
  entryGzip: number;
  /** The output files loaded at start (entry first). */
  initialFiles: string[];
  /** Minified bytes of every chunk (lazy ones included). */
  total: number;
  /**
   * Gzip of everything the app's flow loads: the chunks loaded at start and the lazy chunks its first create, wait
   * and `downloadBlob` fetch ({@link FLOW_LAZY}, with what they import), each compressed on its own, summed.
   */
  flowGzip: number;
  /** How many files that is. */
  flowFiles: number;
  metafile: Metafile;
  code: string;
}

/** Bundles for the browser (esbuild, splitting) and measures what is loaded at start. */
export async function bundle(options: BuildOptions): Promise<Bundle> {
  const result = await build({
    bundle: true,
    minify: true,
    platform: "browser",
    format: "esm",
    target: "es2022",
    // Lazy chunks (client.download's Node code) stay out of the initial chunk, as a browser app's bundler does.
    splitting: true,
    outdir: "out",
    write: false,
    metafile: true,
    legalComments: "none",
    logLevel: "silent",
    // Reached only through client.download's dynamic import (listed below); a browser never loads them.
    external: ["node:*"],
    absWorkingDir: ROOT,
    ...options,
  });
  const { outputFiles, metafile } = result;
  if (!outputFiles || !metafile) throw new Error("esbuild returned no output files or metafile");
  const js = outputFiles.filter((f) => f.path.endsWith(".js"));
  const initialFiles = initialOutputs(metafile);
  const fileOf = (out: string) => {
    const file = js.find((f) => f.path.endsWith(out.replace(/^out\//, "")));
    if (!file) throw new Error(`${out} is in the metafile but not in the build output`);
    return file;
  };
  const loaded = initialFiles.map(fileOf);
  const gzip = (f: { contents: Uint8Array }) => gzipSync(f.contents, { level: 9 }).byteLength;
  const flow = flowOutputs(metafile).map(fileOf);
  return {
    initial: loaded.reduce((sum, f) => sum + f.contents.byteLength, 0),
    initialGzip: loaded.reduce((sum, f) => sum + gzip(f), 0),
    entryGzip: gzip(loaded[0] as (typeof loaded)[number]),
    initialFiles,
    total: js.reduce((sum, f) => sum + f.contents.byteLength, 0),
    flowGzip: flow.reduce((sum, f) => sum + gzip(f), 0),
    flowFiles: flow.length,
    metafile,
    code: loaded.map((f) => f.text).join("\n"),
  };
}

/**
 * The outputs a browser loads at start: the entry chunk and, transitively, every chunk it imports statically. With
 * splitting, code that the entry shares with a lazy chunk (errors, the download checks) moves into a shared chunk the
 * entry imports: it is loaded at start all the same, so it counts.
 */
export function initialOutputs(metafile: Metafile): string[] {
  const entry = Object.entries(metafile.outputs).find(([, o]) => o.entryPoint !== undefined)?.[0];
  if (entry === undefined) throw new Error("no entry chunk in the build output");
  const seen = [entry];
  for (let i = 0; i < seen.length; i++) {
    for (const imp of metafile.outputs[seen[i] as string]?.imports ?? []) {
      if (imp.kind === "import-statement" && imp.path in metafile.outputs && !seen.includes(imp.path)) {
        seen.push(imp.path);
      }
    }
  }
  return seen;
}

/**
 * The lazy chunks (src/lazy.ts) that the app's first create, wait and `downloadBlob` fetch: the rules and validators,
 * the wait loop, the download code. Not the job runner (with webhooks) or the file download, which it never calls.
 */
export const FLOW_LAZY = ["src/schemas.ts", "src/wait.ts", "src/download.ts"];

/** The outputs loaded at start and those the flow's lazy chunks bring, with every chunk they import statically. */
export function flowOutputs(metafile: Metafile): string[] {
  const seen = [
    ...initialOutputs(metafile),
    ...Object.entries(metafile.outputs)
      .filter(([, o]) => o.entryPoint !== undefined && FLOW_LAZY.includes(o.entryPoint))
      .map(([file]) => file),
  ];
  for (let i = 0; i < seen.length; i++) {
    for (const imp of metafile.outputs[seen[i] as string]?.imports ?? []) {
      if (imp.kind === "import-statement" && imp.path in metafile.outputs && !seen.includes(imp.path)) {
        seen.push(imp.path);
      }
    }
  }
  return [...new Set(seen)];
}

/**
 * The `node:` imports reachable from the entry, split by how: through static imports only (these would load in a
 * browser) or only through some dynamic `import()` on the way (loaded only when that code runs).
 */
function nodeReach(metafile: Metafile, entry: string): { static: string[]; lazy: string[]; lazyVia: string[] } {
  const walk = (followDynamic: boolean): Set<string> => {
    const seen = new Set<string>([entry]);
    const queue = [entry];
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      for (const imp of metafile.inputs[file]?.imports ?? []) {
        if (imp.external || seen.has(imp.path)) continue;
        if (imp.kind === "dynamic-import" && !followDynamic) continue;
        seen.add(imp.path);
        queue.push(imp.path);
      }
    }
    return seen;
  };
  const nodeOf = (files: Set<string>) =>
    [...files].flatMap((f) =>
      (metafile.inputs[f]?.imports ?? []).filter((i) => i.path.startsWith("node:")).map((i) => `${f} -> ${i.path}`),
    );
  const eager = walk(false);
  const all = walk(true);
  const lazyVia = Object.entries(metafile.inputs).flatMap(([file, input]) =>
    input.imports.filter((i) => i.kind === "dynamic-import" && !eager.has(i.path)).map((i) => `${file} -> ${i.path}`),
  );
  const eagerNode = nodeOf(eager);
  return { static: eagerNode, lazy: nodeOf(all).filter((x) => !eagerNode.includes(x)), lazyVia };
}

/** The largest inputs of what is loaded at start, for "what limits it". */
function topInputs(metafile: Metafile, n: number): string {
  const inputs = initialOutputs(metafile).flatMap((out) => Object.entries(metafile.outputs[out]?.inputs ?? {}));
  return inputs
    .sort((a, b) => b[1].bytesInOutput - a[1].bytesInOutput)
    .slice(0, n)
    .map(([file, info]) => `${file.replace(/^node_modules\//, "")} ${(info.bytesInOutput / KB).toFixed(1)} kB`)
    .join(", ");
}

/**
 * The same app built by Vite (its defaults, which split like esbuild): gzip of the chunks loaded at start (the entry
 * and what it imports statically), for comparison. Vite leaves out of them a module that the entry reaches only
 * through an unused re-export and that a lazy chunk uses; esbuild loads such a module with the entry, with every part
 * the lazy chunk uses (which is why src/index.ts does not re-export src/webhooks.ts).
 */
async function viteBundle(): Promise<{ initialGzip: number; files: number }> {
  const { build: viteBuild } = await import("vite");
  const dir = path.join(BUILD_DIR, "bundle-vite");
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "index.html"), '<!doctype html><script type="module" src="./main.js"></script>\n');
  writeFileSync(path.join(dir, "main.js"), APP);
  const result = await viteBuild({
    root: dir,
    configFile: false,
    logLevel: "silent",
    build: { write: false, target: "es2022", rollupOptions: { external: [/^node:/] } },
  });
  const output = (Array.isArray(result) ? result[0] : result) as { output: unknown[] };
  const chunks = output.output.filter(
    (o): o is { type: "chunk"; fileName: string; code: string; isEntry: boolean; imports: string[] } =>
      (o as { type?: string }).type === "chunk",
  );
  const entry = chunks.find((c) => c.isEntry);
  if (!entry) throw new Error("vite built no entry chunk");
  const loaded = [entry];
  for (let i = 0; i < loaded.length; i++) {
    for (const name of loaded[i]?.imports ?? []) {
      const chunk = chunks.find((c) => c.fileName === name);
      if (chunk && !loaded.includes(chunk)) loaded.push(chunk);
    }
  }
  const initialGzip = loaded.reduce((sum, c) => sum + gzipSync(c.code, { level: 9 }).byteLength, 0);
  return { initialGzip, files: loaded.length };
}

/** A subpath bundled with every export kept (peer dependencies and node: builtins left out), or null if not exported. */
async function subpathBundle(subpath: string, platform: "browser" | "node"): Promise<Bundle | null> {
  const source = subpathSource(subpath);
  if (!source) return null;
  return bundle({
    entryPoints: [path.join(ROOT, source)],
    platform,
    external: ["node:*", ...peerDependencies()],
  });
}

export const bundleSize: Benchmark = {
  name: "bundle",
  title: "browser bundle size (esbuild, minified, gzip)",
  async run(ctx) {
    const app = { stdin: { contents: APP, resolveDir: ROOT, sourcefile: "app.js", loader: "js" as const } };
    const ours = await bundle(app);
    const bare = await bundle({
      stdin: { contents: 'export { default } from "openapi-fetch";', resolveDir: ROOT, loader: "js" },
    });
    const withAjv = await bundle({ ...app, plugins: [runtimeAjvPlugin()] });
    // A Vite build takes seconds: the harness's smoke run (npm test) leaves it out.
    const vite = ctx.smoke ? null : await viteBundle();
    ctx.log(
      `app ${ours.initialGzip} B gzip at start (${ours.flowGzip} B with its flow's chunks), openapi-fetch ${bare.initialGzip} B, app with ajv ${withAjv.flowGzip} B with its flow's chunks`,
    );
    const subpaths = await Promise.all(
      SUBPATHS.map(async ({ subpath, platform }) => ({
        subpath,
        platform,
        built: await subpathBundle(subpath, platform),
      })),
    );

    const reach = nodeReach(ours.metafile, "app.js");
    const kb = (label: string, bytes: number): Measure => ({ label, unit: "kB", values: [bytes / KB] });
    const oursGz = kb("app: create, wait, downloadBlob (client + validators; no dependency)", ours.initialGzip);
    const startFiles = (b: Bundle) =>
      b.initialFiles.length === 1 ? "one chunk" : `the entry chunk and ${b.initialFiles.length - 1} shared chunk(s)`;
    const bareGz = kb("openapi-fetch alone", bare.initialGzip);
    const ajvGz = kb("same app, ajv compiled at run time: its whole flow", withAjv.flowGzip);
    const flowGz = kb("app: start, then the chunks its first create, wait and downloadBlob fetch", ours.flowGzip);
    const csp = /new Function|(?<![\w.])eval\(/.test(ours.code);
    const peers = peerDependencies().filter((p) => !p.endsWith("/*"));
    return {
      runs: "one build (sizes are deterministic)",
      notes: [
        `esbuild ${esbuildVersion}: bundle, minify, platform browser, format esm, target es2022, splitting (lazy chunks apart); gzip level 9; kB = 1,000 bytes. What is loaded at start counts: the entry chunk and every chunk it imports statically (here ${startFiles(ours)}; each gzipped on its own, summed); the entry chunk alone, the figure measured before this counted shared chunks, is ${(ours.entryGzip / KB).toFixed(1)} kB gzip.${vite ? ` The same app built by Vite (defaults) loads ${(vite.initialGzip / KB).toFixed(1)} kB gzip at start in ${vite.files} chunk(s).` : ""} Minified: app ${ours.initial.toLocaleString("en-US")} B at start (${ours.total.toLocaleString("en-US")} B with lazy chunks), openapi-fetch ${bare.initial.toLocaleString("en-US")} B, app with run-time ajv ${withAjv.initial.toLocaleString("en-US")} B.`,
        reach.static.length === 0
          ? `The app reaches no node: module through static imports. ${reach.lazy.length} node: imports (${[...new Set(reach.lazy.map((x) => x.split(" -> ")[1]))].join(", ")}) are reached only through ${reach.lazyVia.join(", ")} (dynamic imports): they land in a lazy chunk a browser never loads, but a browser build must mark node:* external (esbuild otherwise fails with "Could not resolve node:fs").`
          : `FINDING: the app statically reaches node: modules: ${reach.static.join("; ")}.`,
        `Largest parts of what the app loads at start (minified, before gzip): ${topInputs(ours.metafile, 8)}.`,
        ...subpaths.map(({ subpath, platform, built }) =>
          built
            ? `Subpath ${subpath} (platform ${platform}, every export kept, ${peers.length > 0 ? `peer dependencies ${peers.join(", ")} and ` : ""}node:* left out): ${(built.initialGzip / KB).toFixed(1)} kB gzip, ${(built.initial / KB).toFixed(1)} kB minified; largest parts: ${topInputs(built.metafile, 5)}.`
            : `Subpath ${subpath}: not in package.json exports, not measured.`,
        ),
        csp
          ? "FINDING: the code loaded at start contains new Function or eval (breaks a strict Content-Security-Policy)."
          : "The code loaded at start contains no new Function or eval (strict Content-Security-Policy safe); the run-time ajv variant needs new Function.",
      ],
      rows: [
        {
          measure: "browser app (create, wait, downloadBlob), minified + gzip (loaded at start)",
          ours: oursGz,
          baseline: bareGz,
          ratio: pairRatios(oursGz.values, bareGz.values),
          target: { on: "ours", op: "<=", value: 12 },
          note: `Minified, before gzip: ${topInputs(ours.metafile, 4)} of ${(ours.initial / KB).toFixed(1)} kB.`,
        },
        ...(vite
          ? [
              {
                measure: "the same app built by Vite (defaults), minified + gzip (loaded at start)",
                ours: kb("app built by Vite", vite.initialGzip),
              },
            ]
          : []),
        {
          measure: "the same app, everything its flow loads (at start, then its first create, wait and downloadBlob)",
          ours: flowGz,
          note: `${ours.flowFiles} files, each gzipped on its own; the validators and rules, the wait loop and the download code load at the first call that needs them (src/lazy.ts).`,
        },
        {
          measure: "precompiled validators vs ajv's run-time compiler in the bundle (the whole flow)",
          ours: flowGz,
          baseline: ajvGz,
          ratio: pairRatios(flowGz.values, ajvGz.values),
        },
        ...subpaths.flatMap(({ subpath, platform, built }) =>
          built
            ? [
                {
                  measure: `subpath ${subpath}, every export (platform ${platform}), minified + gzip`,
                  ours: kb(subpath, built.initialGzip),
                },
              ]
            : [],
        ),
      ],
    };
  },
};
