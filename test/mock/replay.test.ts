import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MockServer, startMockServer } from "../../src/mock/index.js";
import { parseRecording, type Recording, Replayer, recordedReply } from "../../src/mock/replay.js";
import { loadRecordings } from "../../src/mock/replay-files.js";
import { EXAMPLE_REQUEST, headers } from "./helpers.js";

const RECORDINGS = join(import.meta.dirname, "../../contract-tests/recordings");

function rec(file: string, at: string, request: Partial<Recording["request"]>, status = 200, body: unknown = {}) {
  return {
    file,
    recordedAt: at,
    request: { method: "GET", path: "/v1/tasks/t", headers: {}, body: null, ...request },
    response: { status, headers: { "content-type": "application/json" }, body },
  } satisfies Recording;
}
const ask = (method: string, path: string, bodyText = "", authorized = true) => ({
  method,
  path,
  bodyText,
  authorized,
});

describe("Replayer", () => {
  it("answers in recorded order (by time, not file name), each recording once; a GET then repeats its last", () => {
    const replayer = new Replayer([
      rec("a.json", "2026-01-01T00:00:03Z", {}, 200, { n: 3 }),
      rec("b.json", "2026-01-01T00:00:01Z", {}, 200, { n: 1 }),
      rec("c.json", "2026-01-01T00:00:02Z", {}, 200, { n: 2 }),
    ]);
    const seen = [1, 2, 3, 4].map(() => replayer.take(ask("GET", "/v1/tasks/t"))?.response.body);
    expect(seen).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }, { n: 3 }]);
    expect(replayer.used).toBe(3);
    replayer.reset();
    expect(replayer.take(ask("GET", "/v1/tasks/t"))?.file).toBe("b.json");
  });

  it("matches method, path with its query, and a recorded body as JSON whatever the key order", () => {
    const replayer = new Replayer([
      rec("p.json", "2026-01-01T00:00:01Z", { method: "POST", path: "/v1/videos/generations", body: { a: 1, b: [2] } }),
    ]);
    expect(replayer.take(ask("GET", "/v1/videos/generations"))).toBeUndefined();
    expect(replayer.take(ask("POST", "/v1/videos/generations?x=1", '{"b":[2],"a":1}'))).toBeUndefined();
    expect(replayer.take(ask("POST", "/v1/videos/generations", '{"a":2,"b":[2]}'))).toBeUndefined();
    expect(replayer.take(ask("POST", "/v1/videos/generations", '{"b":[2],"a":1}'))?.file).toBe("p.json");
    // A POST's recordings used up: the simulation answers (each create is a new task).
    expect(replayer.take(ask("POST", "/v1/videos/generations", '{"b":[2],"a":1}'))).toBeUndefined();
  });

  it("replays a recorded 401 only to a request without Authorization (recordings never keep the token)", () => {
    const replayer = new Replayer([rec("401.json", "2026-01-01T00:00:01Z", {}, 401)]);
    expect(replayer.take(ask("GET", "/v1/tasks/t", "", true))).toBeUndefined();
    expect(replayer.take(ask("GET", "/v1/tasks/t", "", false))?.file).toBe("401.json");
    expect(replayer.take(ask("GET", "/v1/tasks/t", "", true))).toBeUndefined();
  });

  it("keeps the answer's headers, drops the recorded connection's, and sends a text body as it was", () => {
    const reply = recordedReply({
      ...rec("gw.json", "2026-01-01T00:00:01Z", {}, 502, "<html>Bad gateway</html>\n"),
      response: {
        status: 502,
        headers: {
          "Content-Type": "text/html",
          "content-length": "25",
          date: "x",
          connection: "close",
          "retry-after": "5",
        },
        body: "<html>Bad gateway</html>\n",
      },
    });
    expect(reply).toEqual({
      kind: "raw",
      status: 502,
      text: "<html>Bad gateway</html>\n",
      headers: { "content-type": "text/html", "retry-after": "5" },
    });
  });

  it("parseRecording says why a file is not a recording", () => {
    expect(parseRecording([], "x.json")).toMatch(/not a JSON object/);
    expect(parseRecording({ recordedAt: "yesterday" }, "x.json")).toMatch(/recordedAt/);
    expect(
      parseRecording(
        {
          ...rec("x", "2026-01-01T00:00:00Z", {}),
          recordedAt: "2026-01-01T00:00:00Z",
          response: { status: 101, headers: {} },
        },
        "x.json",
      ),
    ).toMatch(/cannot be replayed/);
  });
});

describe("--replay over HTTP: the contract suite's recordings", () => {
  let mock: MockServer;
  let dir: string;
  let problems: string[];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "kling-replay-"));
    const loaded = await loadRecordings(RECORDINGS);
    await writeFile(join(dir, "broken.json"), "{ not json");
    const gateway: Recording = rec(
      "",
      "2026-01-01T00:00:00Z",
      { path: "/v1/tasks/task-unified-1-gateway" },
      502,
      "<html>502 Bad Gateway</html>\n",
    );
    gateway.response.headers = { ...gateway.response.headers, "X-Request-Id": "req_recorded_gateway" };
    await writeFile(join(dir, "gateway.json"), JSON.stringify(gateway));
    const extra = await loadRecordings(dir);
    problems = extra.problems;
    mock = await startMockServer({ port: 0, seed: 1, replay: [...loaded.recordings, ...extra.recordings] });
  });
  afterAll(async () => {
    await mock.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("reports files that are not recordings instead of failing", () => {
    expect(problems).toEqual([expect.stringMatching(/^broken\.json: /)]);
  });

  it("answers a recorded GET byte-for-byte: status, the headers that matter, body", async () => {
    const { recordings } = await loadRecordings(RECORDINGS);
    const recorded = recordings.find((r) => r.request.method === "GET");
    if (!recorded) throw new Error("no GET recording in contract-tests/recordings");
    const res = await fetch(`${mock.url}${recorded.request.path}`, { headers: headers() });
    expect(res.status).toBe(recorded.response.status);
    expect(res.headers.get("content-type")).toBe(recorded.response.headers["content-type"]);
    expect(await res.text()).toBe(JSON.stringify(recorded.response.body));
    // Polled again: the task stays as it was last seen.
    expect(await (await fetch(`${mock.url}${recorded.request.path}`, { headers: headers() })).json()).toEqual(
      recorded.response.body,
    );
  });

  it("sends a recorded non-JSON answer as it was", async () => {
    const res = await fetch(`${mock.url}/v1/tasks/task-unified-1-gateway`, { headers: headers() });
    expect(res.status).toBe(502);
    expect(await res.text()).toBe("<html>502 Bad Gateway</html>\n");
    // The recorded request id, once (not beside a new one), and the API's CORS headers like any answer.
    expect(res.headers.get("x-request-id")).toBe("req_recorded_gateway");
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
  });

  it("replays the recorded 401 to a create without a token, and simulates a create with one", async () => {
    const body = JSON.stringify(EXAMPLE_REQUEST);
    const anonymous = await fetch(`${mock.url}/v1/videos/generations`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    expect(anonymous.status).toBe(401);
    const authorized = await fetch(`${mock.url}/v1/videos/generations`, { method: "POST", headers: headers(), body });
    expect(authorized.status).toBe(200);
    expect(mock.engine.tasks()).toHaveLength(1);
  });

  it("falls back to the simulation for anything unmatched, and the log says which answers were replayed", async () => {
    const res = await fetch(`${mock.url}/v1/tasks/task-unified-1-unrecorded`, { headers: headers() });
    expect(res.status).toBe(404);
    const state = (await (await fetch(`${mock.url}/__mock/tasks`)).json()) as {
      requests: { path: string; source: string; file?: string }[];
    };
    const sources = state.requests.map((r) => `${r.source} ${r.path}`);
    expect(sources).toContain("simulation /v1/tasks/task-unified-1-unrecorded");
    expect(state.requests.filter((r) => r.source === "replay").map((r) => r.file)).toContain(
      "example-prism-createVideoGeneration-401-no-token.json",
    );
  });
});
