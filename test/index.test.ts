import { build } from "esbuild";
import { describe, expect, it } from "vitest";
import * as entry from "../src/index.js";

describe("src/index.ts", () => {
  it("has no static node: import anywhere in its graph (browsers, Deno, Bun), only the lazy download chunk", async () => {
    const result = await build({
      entryPoints: ["src/index.ts"],
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
      "parseCallback",
      "handleCallback",
      "downloadBlob",
    ]) {
      expect(entry, name).toHaveProperty(name);
    }
  });
});
