import http from "node:http";
import net, { type AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Task } from "../src/index.js";
import { createNodeCallbackListener, toWebRequest } from "../src/node.js";
import { MemoryCallbackStore } from "../src/webhooks.js";
import { taskDetail } from "./support/fake-fetch.js";

const received: Task[] = [];
let server: http.Server;
let url: string;

beforeAll(async () => {
  const listener = createNodeCallbackListener({
    onTask: (task) => {
      received.push(task);
    },
    store: new MemoryCallbackStore(),
    maxBodyBytes: 8 * 1024,
  });
  server = http.createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/kling`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const send = (body: string) => fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body });

describe("createNodeCallbackListener on a real node:http server", () => {
  it("acknowledges the API's delivery and its 3 retries, reporting the task once", async () => {
    const body = JSON.stringify(taskDetail("completed"));
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await send(body)).status);
    expect(statuses).toEqual([200, 200, 200, 200]);
    expect(received).toHaveLength(1);
    expect(received[0]?.status).toBe("completed");
  });

  it("answers 400 to bad JSON and schema violations, 413 to a large body, 405 to GET", async () => {
    const before = received.length;
    expect((await send("{bad")).status).toBe(400);
    const invalid = await send(JSON.stringify({ id: "x", status: "failed" }));
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({ error: { type: "invalid_request_error" } });
    expect((await send(JSON.stringify({ ...taskDetail("processing"), pad: "x".repeat(20_000) }))).status).toBe(413);
    const get = await fetch(url);
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
    expect(received).toHaveLength(before);
  });
});

/** Sends raw bytes to the listener and resolves with the status line (no fetch: it cannot send these requests). */
function rawStatusLine(request: string): Promise<string> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), "127.0.0.1", () => socket.write(request));
    socket.once("data", (data) => {
      resolve(data.toString("latin1").split("\r\n")[0] ?? "");
      socket.destroy();
    });
    socket.once("error", reject);
    socket.once("close", () => reject(new Error("connection closed without a response")));
  });
}

describe("createNodeCallbackListener and requests the Fetch API cannot represent", () => {
  // Both used to throw inside the listener: an uncaught exception that takes the whole server down.
  it("answers 400 to a Host header that is not a host name", async () => {
    const line = await rawStatusLine("POST /webhooks/kling HTTP/1.1\r\nHost: a b\r\nContent-Length: 2\r\n\r\n{}");
    expect(line).toBe("HTTP/1.1 400 Bad Request");
  });

  it("answers 400 to a method fetch forbids (TRACE)", async () => {
    const line = await rawStatusLine("TRACE /webhooks/kling HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    expect(line).toBe("HTTP/1.1 400 Bad Request");
  });
});

describe("toWebRequest", () => {
  it("uses a body an Express body parser already read", async () => {
    const req = Object.assign(new http.IncomingMessage(null as never), {
      method: "POST",
      url: "/hook",
      headers: { host: "example.com", "content-type": "application/json", "content-length": "999" },
      body: { id: "task-unified-1", status: "pending" },
    });
    const request = toWebRequest(req);
    expect(request.url).toBe("http://example.com/hook");
    expect(await request.json()).toEqual({ id: "task-unified-1", status: "pending" });
  });
});

// Issue 11 item 14: a sender that trickles its body held the connection until Node's own 300 s request timeout.
describe("createNodeCallbackListener and a slow sender", () => {
  it("answers 408 once bodyTimeoutMs has passed and closes the connection", async () => {
    const onTask = vi.fn();
    const slow = http.createServer(
      createNodeCallbackListener({ onTask, bodyTimeoutMs: 50, store: new MemoryCallbackStore() }),
    );
    await new Promise<void>((resolve) => slow.listen(0, "127.0.0.1", resolve));
    const { port } = slow.address() as AddressInfo;
    try {
      const answer = await new Promise<{ text: string; closed: boolean }>((resolve, reject) => {
        let text = "";
        const socket = net.connect(port, "127.0.0.1", () =>
          // Promises 1000 bytes, sends 6, then nothing: the timeout, not the sender, must end it.
          socket.write('POST /hook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n{"id":'),
        );
        socket.on("data", (data) => {
          text += data.toString("latin1");
        });
        socket.once("error", reject);
        socket.once("close", () => resolve({ text, closed: true }));
      });
      expect(answer.text.split("\r\n")[0]).toBe("HTTP/1.1 408 Request Timeout");
      expect(answer.text.toLowerCase()).toContain("connection: close");
      expect(answer.closed).toBe(true);
      expect(onTask).not.toHaveBeenCalled();
    } finally {
      await new Promise((resolve) => slow.close(resolve));
    }
  });
});
