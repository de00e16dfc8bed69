/**
 * Loading a document for drift:spec, in-process: what it refuses and why (each a DriftInputError naming the source),
 * the raw/resolved pair, and the $ref guards. The command's own messages are in test/drift/drift-spec.test.ts.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DriftInputError } from "../../src/drift/findings.js";
import { isObject, loadSpec, parseSpec } from "../../src/drift/load.js";

const doc = (extra: object = {}) =>
  JSON.stringify({ openapi: "3.1.0", info: { title: "t", version: "1" }, paths: {}, ...extra });

describe("parseSpec refuses what it cannot compare", () => {
  const table: [string, string, RegExp][] = [
    ["text that is neither JSON nor YAML", "a: [1,\n", /^up\.yaml is neither JSON nor YAML: /],
    ["a list", "- 1\n- 2\n", /^up\.yaml is not an OpenAPI document$/],
    ["an HTML page", "<!DOCTYPE html><p>docs</p>", /it is an HTML page: point at the raw JSON or YAML/],
    ["Swagger 2.0", JSON.stringify({ swagger: "2.0" }), /is Swagger 2\.0: only OpenAPI 3\.x/],
    ["an openapi field of 2.x", JSON.stringify({ openapi: "2.0" }), /its `openapi` field is "2\.0"/],
    ["a numeric openapi field", "openapi: 3.1\n", /its `openapi` field is 3\.1/],
    ["no openapi field", JSON.stringify({ info: {} }), /its `openapi` field is undefined/],
    [
      "a $ref to nothing",
      doc({ components: { schemas: { A: { $ref: "#/components/schemas/Missing" } } } }),
      /^Cannot resolve the \$refs of up\.yaml: /,
    ],
  ];
  it.each(table)("%s", async (_name, text, message) => {
    const attempt = parseSpec(text, "up.yaml");
    await expect(attempt).rejects.toBeInstanceOf(DriftInputError);
    await expect(attempt).rejects.toThrow(message);
  });

  it("names a URL source with its credentials hidden", async () => {
    await expect(parseSpec("- 1\n", "https://u:pw@example.com/s.yaml?token=abc")).rejects.toThrow(
      "https://***@example.com/s.yaml?token=*** is not an OpenAPI document",
    );
    const loaded = await parseSpec(doc(), "https://example.com/s.yaml?api_key=abc");
    expect(loaded.source).toBe("https://example.com/s.yaml?api_key=***");
  });
});

describe("parseSpec", () => {
  it("reads a JSON document as the YAML parser does, and reports broken JSON with the YAML parser's position", async () => {
    const text = doc({ components: { schemas: { N: { type: "integer", maximum: 9007199254740991, enum: [1.5e3] } } } });
    const asJson = await parseSpec(text, "up.json");
    // The same text with a leading comment is not JSON: the YAML parser reads it.
    const asYaml = await parseSpec(`# yaml\n${text}`, "up.yaml");
    expect(asJson.raw).toEqual(asYaml.raw);
    await expect(parseSpec('{"openapi": "3.1.0",\n  "paths": {', "up.json")).rejects.toThrow(
      /^up\.json is neither JSON nor YAML: .*line 2/s,
    );
  });

  it("keeps the document as written in raw and resolves every $ref in resolved, cycles as shared objects", async () => {
    const text = doc({
      components: {
        schemas: {
          Task: { type: "object", properties: { status: { $ref: "#/components/schemas/Status" } } },
          Status: { type: "string", enum: ["pending"] },
          Node: { type: "object", properties: { next: { $ref: "#/components/schemas/Node" } } },
        },
      },
    });
    const loaded = await parseSpec(text, "up.json");
    expect(loaded.text).toBe(text);
    const raw = loaded.raw as { components: { schemas: Record<string, { properties?: Record<string, unknown> }> } };
    expect(raw.components.schemas.Task?.properties?.status).toEqual({ $ref: "#/components/schemas/Status" });
    const resolved = loaded.resolved as typeof raw;
    expect(resolved.components.schemas.Task?.properties?.status).toEqual({ type: "string", enum: ["pending"] });
    const node = resolved.components.schemas.Node;
    expect(node?.properties?.next).toBe(node);
  });
});

describe("loadSpec", () => {
  it("a missing file is a DriftInputError saying so", async () => {
    await expect(loadSpec("/nonexistent/kling/spec.yaml")).rejects.toThrow(
      "Cannot read /nonexistent/kling/spec.yaml: no such file",
    );
  });

  it("asks for YAML or JSON with a timeout, and names a failed fetch without the URL's secrets", async () => {
    let init: RequestInit | undefined;
    const ok = await loadSpec("https://example.com/s.yaml", {
      fetch: (async (_url: string, given: RequestInit) => {
        init = given;
        return new Response(doc());
      }) as typeof fetch,
    });
    expect(ok.raw.openapi).toBe("3.1.0");
    expect(new Headers(init?.headers).get("accept")).toMatch(/^application\/yaml, application\/json/);
    expect(init?.signal).toBeInstanceOf(AbortSignal);

    const refused = (async () => {
      throw new TypeError("fetch failed");
    }) as typeof fetch;
    await expect(loadSpec("https://example.com/s.yaml?token=abc", { fetch: refused })).rejects.toThrow(
      "Cannot fetch https://example.com/s.yaml?token=***: fetch failed",
    );
    const gone = (async () => new Response("nope", { status: 404, statusText: "Not Found" })) as typeof fetch;
    await expect(loadSpec("https://example.com/s.yaml", { fetch: gone })).rejects.toThrow(/HTTP 404 Not Found$/);
  });
});

describe("$ref guards", () => {
  let server: http.Server;
  let hits = 0;
  let base = "";
  beforeAll(async () => {
    server = http.createServer((_req, res) => {
      hits++;
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ Secret: { type: "string", description: "internal" } }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  const pointingAt = (ref: string) => doc({ components: { schemas: { A: { $ref: ref } } } });

  it("a document from a public URL cannot make the check connect to a loopback address", async () => {
    const before = hits;
    await expect(parseSpec(pointingAt(`${base}/s.json#/Secret`), "https://example.com/s.json")).rejects.toThrow(
      DriftInputError,
    );
    expect(hits).toBe(before);
  });

  it("a document the user fetched from loopback may follow $refs on loopback", async () => {
    const loaded = await parseSpec(pointingAt(`${base}/s.json#/Secret`), `${base}/spec.json`);
    const a = (loaded.resolved as { components: { schemas: { A: unknown } } }).components.schemas.A;
    expect(a).toEqual({ type: "string", description: "internal" });
  });
});

describe("isObject", () => {
  it("is true for plain objects only", () => {
    expect([{}, [], null, "x", 1].map(isObject)).toEqual([true, false, false, false, false]);
  });
});
