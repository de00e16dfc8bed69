import { type BuildOptions, build } from "esbuild";
import { describe, expect, it } from "vitest";
import * as entry from "../src/index.js";
import * as webhooks from "../src/webhooks.js";

/** A browser build with splitting, as an app's bundler makes it (node: left external, to be listed). */
const browserBuild = (input: Pick<BuildOptions, "entryPoints" | "stdin">) =>
  build({
    ...input,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "browser",
    outdir: "out",
    write: false,
    metafile: true,
    external: ["node:*"],
    logLevel: "silent",
  });

describe("src/index.ts", () => {
  it("has no static node: import anywhere in its graph (browsers, Deno, Bun), only the lazy download chunk", async () => {
    const result = await browserBuild({ entryPoints: ["src/index.ts"] });
    const outputs = Object.entries(result.metafile.outputs);
    const entryOut = outputs.find(([, o]) => o.entryPoint === "src/index.ts");
    expect(entryOut).toBeDefined();
    const staticNode = outputs.flatMap(([file, o]) =>
      o.imports
        .filter((i) => i.path.startsWith("node:") && i.kind === "import-statement")
        .map((i) => `${file}: ${i.path}`),
    );
    // Only the chunk that download() imports dynamically may use node: modules.
    const offenders = staticNode.filter((line) => !line.includes("download-node"));
    expect(offenders).toEqual([]);
    expect(entryOut?.[1].imports.some((i) => i.kind === "dynamic-import" && i.path.includes("download-node"))).toBe(
      true,
    );
  });

  it("exports the agreed surface", () => {
    for (const name of [
      "createKlingClient",
      "KlingClient",
      "APIError",
      "BadRequestError",
      "AuthenticationError",
      "InsufficientQuotaError",
      "PermissionDeniedError",
      "NotFoundError",
      "RateLimitError",
      "InternalServerError",
      "UpstreamError",
      "ServiceUnavailableError",
      "APIConnectionError",
      "APITimeoutError",
      "APIUserAbortError",
      "RequestValidationError",
      "ContractViolationError",
      "TaskFailedError",
      "DownloadError",
      "MissingApiKeyError",
      "KlingError",
      "downloadBlob",
      "downloadStream",
      "LOAD_FAILED_CODE",
    ]) {
      expect(entry, name).toHaveProperty(name);
    }
  });

  it("leaves the webhook receiver to its own entry, kling-o1-video-edit/webhooks", () => {
    for (const name of ["handleCallback", "readCallback", "parseCallback", "createCallbackHandler", "callbackKey"]) {
      expect(entry, name).not.toHaveProperty(name);
      expect(webhooks, name).toHaveProperty(name);
    }
    expect(webhooks).toHaveProperty("MemoryCallbackStore");
  });

  it("loads no webhook, rule, validator, wait or download code at start in a browser app that creates, waits and downloads", async () => {
    const app = [
      'import { createKlingClient } from "./src/index.ts";',
      'const client = createKlingClient({ apiKey: "k" });',
      'const created = await client.edits.create({ prompt: "p", video_urls: ["https://example.com/in.mp4"] });',
      "const { blob } = await client.downloadBlob(await client.tasks.wait(created.id));",
      "export const job = client.jobs;",
      "export default blob;",
    ].join("\n");
    const result = await browserBuild({ stdin: { contents: app, resolveDir: process.cwd(), loader: "ts" } });
    const { outputs } = result.metafile;
    const entryOut = Object.keys(outputs).find((file) => outputs[file]?.entryPoint !== undefined) as string;
    // The chunks a browser loads at start: the entry and what it imports statically, transitively.
    const atStart = [entryOut];
    for (const file of atStart) {
      for (const imp of outputs[file]?.imports ?? []) {
        if (imp.kind === "import-statement" && imp.path in outputs && !atStart.includes(imp.path))
          atStart.push(imp.path);
      }
    }
    const inputsAtStart = atStart.flatMap((file) => Object.keys(outputs[file]?.inputs ?? {}));
    expect(inputsAtStart).toContain("src/client.ts");
    expect(inputsAtStart).toContain("src/request.ts");
    // What src/lazy.ts loads on first use stays out of the chunks loaded at start (issue 18), and is still in the
    // build, in lazy chunks: webhooks for client.jobs.handleCallback, the rest for the first create, wait, download.
    const lazy = [
      "src/webhooks.ts",
      "src/internal/jobs-run.ts",
      "src/schemas.ts",
      "src/rules.ts",
      "src/internal/addresses.ts",
      "generated/validators/TaskDetail.ts",
      "generated/validators/VideoGenerationRequest.ts",
      "generated/validators/VideoGenerationResponse.ts",
      "src/wait.ts",
      "src/poll.ts",
      "src/download.ts",
    ];
    expect(inputsAtStart.filter((input) => lazy.includes(input))).toEqual([]);
    const built = Object.values(outputs).flatMap((o) => Object.keys(o.inputs));
    expect(lazy.filter((input) => !built.includes(input))).toEqual([]);
  });
});
