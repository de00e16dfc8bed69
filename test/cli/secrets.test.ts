/**
 * Issue 11 item 8: the built CLI against a server that echoes the key it was sent, with the key given as a CRLF
 * `.env` file gives it. Headers sends the key trimmed, so the echo is the trimmed key: the CLI must scrub that form.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, runCli } from "./helpers.js";

const KEY = "sk-cli-crlf-0123456789abcdef";
let server: http.Server;
let url: string;

beforeAll(async () => {
  await ensureBuilt();
  // Answers every request 401, echoing the Authorization header in the body, a header and the request id.
  server = http.createServer((req, res) => {
    const token = String(req.headers.authorization ?? "").replace(/^Bearer /, "");
    res.writeHead(401, { "content-type": "application/json", "x-request-id": `req-${token}`, "x-echo": token });
    res.end(JSON.stringify({ error: { code: 401, message: `Invalid token ${token}`, type: "authentication_error" } }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe("kling-edit with a key ending in \\r", () => {
  it.each([
    ["KLING_API_KEY", { args: [] as string[], env: { KLING_API_KEY: `${KEY}\r` } }],
    ["--api-key", { args: ["--api-key", `${KEY}\r\n`], env: {} }],
  ])("never prints the key echoed by the server (%s), in human or --json output", async (_name, { args, env }) => {
    for (const mode of [[], ["--json"]]) {
      const run = await runCli(["--base-url", url, ...args, ...mode, "status", "task-unified-1-abcdefgh"], { env });
      expect(run.code).toBe(3);
      // Scrubbed by the client ([redacted]) or, failing that, by the CLI's output (***).
      expect(run.stderr).toMatch(/request id: req-(\*\*\*|\[redacted\])\n/);
      expect(run.stdout + run.stderr).not.toContain(KEY);
    }
  });
});
