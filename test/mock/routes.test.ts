/**
 * The route table both transports register (app.ts, msw.ts), called directly: its shape, and how controls read their
 * bodies. Over HTTP (origins, refusal statuses) it is in test/mock/app.test.ts.
 */
import { describe, expect, it } from "vitest";
import { operations } from "../../generated/operations.js";
import { validateErrorResponse } from "../../generated/validators.js";
import { MockApi } from "../../src/mock/api.js";
import type { MockReply } from "../../src/mock/reply.js";
import { ADMIN_PREFIX, newRequestId, ROUTES, type RouteRequest } from "../../src/mock/routes.js";
import { EXAMPLE_REQUEST, FakeClock } from "./helpers.js";

const route = (method: string, path: string) => {
  const found = ROUTES.find((r) => r.path === path && (r.methods as readonly string[]).includes(method));
  if (!found) throw new Error(`no route ${method} ${path}`);
  return found;
};

function request(method: string, params: Record<string, string>, bodyText = "", headers: Record<string, string> = {}) {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    method,
    params,
    header: (name: string) => lower[name.toLowerCase()] ?? null,
    text: async () => bodyText,
    url: new URL("http://127.0.0.1:4010/x"),
    base: "http://127.0.0.1:4010",
  } satisfies RouteRequest;
}

const bodyOf = (reply: MockReply) => (reply.kind === "json" ? reply.body : undefined) as Record<string, unknown>;

function newTask(api: MockApi): string {
  const reply = api.create({
    authorization: "Bearer k",
    prefer: null,
    bodyText: JSON.stringify(EXAMPLE_REQUEST),
  });
  return bodyOf(reply).id as string;
}

describe("newRequestId", () => {
  it("is req_ and 32 hex digits, new each time", () => {
    const ids = new Set(Array.from({ length: 50 }, newRequestId));
    expect(ids.size).toBe(50);
    for (const id of ids) expect(id).toMatch(/^req_[0-9a-f]{32}$/);
  });
});

describe("ROUTES", () => {
  it("serves the spec's two operations at the spec's paths, in the :param syntax", () => {
    const api = ROUTES.filter((r) => !r.admin && r.path.startsWith("/v1"));
    expect(api.map((r) => `${r.methods.join("|")} ${r.path}`).sort()).toEqual(
      [
        `${operations.createVideoGeneration.method.toUpperCase()} ${operations.createVideoGeneration.path}`,
        `${operations.getTaskDetail.method.toUpperCase()} ${operations.getTaskDetail.path.replace("{task_id}", ":task_id")}`,
      ].sort(),
    );
  });

  it("marks a route admin exactly when it lives under the admin prefix, except the result files", () => {
    for (const r of ROUTES) {
      const underAdmin = r.path.startsWith(`${ADMIN_PREFIX}/`);
      const isResult = r.path.includes(":file");
      expect([r.path, r.admin]).toEqual([r.path, underAdmin && !isResult]);
    }
  });

  it("has no two routes for the same method and path, and only POST changes state", () => {
    const keys = ROUTES.flatMap((r) => r.methods.map((m) => `${m} ${r.path}`));
    expect(new Set(keys).size).toBe(keys.length);
    for (const r of ROUTES.filter((r) => r.admin && r.path !== `${ADMIN_PREFIX}/tasks`))
      expect(r.methods).toEqual(["POST"]);
  });
});

describe("control bodies", () => {
  const api = new MockApi({ clock: new FakeClock(), seed: 3, callbackSleep: async () => {} });

  it.each(["[1]", "42", '"text"', "{ nope"])("refuses the body %s with a 400 in the error envelope", async (text) => {
    const reply = await route("POST", `${ADMIN_PREFIX}/clock/pause`).handle(api, request("POST", {}, text));
    expect(reply).toMatchObject({ kind: "json", status: 400 });
    expect(validateErrorResponse(bodyOf(reply))).toBe(true);
    expect(JSON.stringify(bodyOf(reply))).toContain("JSON object");
  });

  it("reads an empty or blank body as {}", async () => {
    const reply = await route("POST", `${ADMIN_PREFIX}/clock/resume`).handle(api, request("POST", {}, "  \n"));
    expect(reply).toMatchObject({ status: 200, body: { clock: { paused: false } } });
  });

  it("progress takes a number or a numeric string, under progress or value", async () => {
    const id = newTask(api);
    const progress = route("POST", `${ADMIN_PREFIX}/tasks/:task_id/progress`);
    const a = await progress.handle(api, request("POST", { task_id: id }, '{"value":"30"}'));
    expect(a).toMatchObject({ status: 200, body: { task: { progress: 30 } } });
    const missing = await progress.handle(api, request("POST", { task_id: id }, '{"progress":" "}'));
    expect(missing).toMatchObject({ status: 400 });
    expect(JSON.stringify(bodyOf(missing))).toContain('\\"progress\\" or \\"value\\"');
  });

  it("advance takes { ms } or { by } and names both when given neither", async () => {
    const advance = route("POST", `${ADMIN_PREFIX}/clock/advance`);
    await route("POST", `${ADMIN_PREFIX}/clock/pause`).handle(api, request("POST", {}));
    const clock = async (text: string) =>
      (bodyOf(await advance.handle(api, request("POST", {}, text))).clock as { now: number }).now;
    const start = await clock('{"ms":0}');
    expect(await clock('{"by":"2s"}')).toBe(start + 2000);
    expect(await clock('{"ms":500}')).toBe(start + 2500);
    const neither = await advance.handle(api, request("POST", {}, "{}"));
    expect(neither).toMatchObject({ status: 400 });
    expect(JSON.stringify(bodyOf(neither))).toMatch(/ms.*by/);
  });

  it("fail refuses a code that is not a string, naming the field; an empty one is left out", async () => {
    const id = newTask(api);
    const fail = route("POST", `${ADMIN_PREFIX}/tasks/:task_id/fail`);
    const bad = await fail.handle(api, request("POST", { task_id: id }, '{"code":7}'));
    expect(bad).toMatchObject({ status: 400, body: { error: { message: "code must be a string" } } });
    const ok = await fail.handle(api, request("POST", { task_id: id }, '{"code":"","message":"broke"}'));
    expect(ok).toMatchObject({ status: 200, body: { task: { status: "failed" } } });
  });

  it("a control on an unknown task is a 404 not_found_error", async () => {
    const reply = await route("POST", `${ADMIN_PREFIX}/tasks/:task_id/complete`).handle(
      api,
      request("POST", { task_id: "task-unified-1-none" }),
    );
    expect(reply).toMatchObject({ status: 404, body: { error: { type: "not_found_error" } } });
  });
});
