/**
 * The two operations (src/endpoints.ts) over the request loop: paths from the generated route table, the create's
 * body and its one attempt where a task may exist, the task id checks, and a task body about another task.
 */
import { describe, expect, it } from "vitest";
import { CREATE_VIDEO_GENERATION_ROUTE, GET_TASK_DETAIL_ROUTE } from "../generated/spec-facts.js";
import { createEdit, getTask, taskPath } from "../src/endpoints.js";
import { ContractViolationError, InternalServerError, RequestValidationError } from "../src/errors.js";
import { Transport } from "../src/request.js";
import { DEFAULT_MODEL } from "../src/spec-facts.js";
import {
  apiError,
  created,
  json,
  params,
  recordingLogger,
  type Step,
  scriptedFetch,
  TASK_ID,
  taskDetail,
} from "./support/fake-fetch.js";

const BASE = "https://api.test";

function transport(steps: Step[], maxRetries = 2) {
  const fake = scriptedFetch(...steps);
  const log = recordingLogger();
  const t = new Transport({ apiKey: "sk-endpoints-0123", baseUrl: BASE, fetch: fake.fetch, maxRetries, ...log });
  return { fake, t, lines: log.lines };
}

describe("paths", () => {
  it("fills the route table's task path, percent-encoding the id", () => {
    expect(GET_TASK_DETAIL_ROUTE.path).toBe("/v1/tasks/{task_id}");
    expect(taskPath(TASK_ID)).toBe(`/v1/tasks/${TASK_ID}`);
    expect(taskPath("task-unified-a/b?c#d $&")).toBe("/v1/tasks/task-unified-a%2Fb%3Fc%23d%20%24%26");
  });
});

describe("createEdit", () => {
  it("posts the body with the default model to the create route", async () => {
    const { fake, t } = transport([json(200, created)]);
    const { data } = await createEdit(t, params, {});
    expect(data.id).toBe(TASK_ID);
    expect(fake.requests[0]?.method).toBe("POST");
    expect(fake.requests[0]?.url).toBe(`${BASE}${CREATE_VIDEO_GENERATION_ROUTE.path}`);
    expect(fake.bodies[0]).toEqual({ ...params, model: DEFAULT_MODEL });
  });

  it("sends nothing for a body that breaks a rule", async () => {
    const { fake, t } = transport([json(200, created)]);
    await expect(createEdit(t, { ...params, video_urls: [] }, {})).rejects.toBeInstanceOf(RequestValidationError);
    expect(fake.requests).toHaveLength(0);
  });

  it("does not resend after a 500 (the task may exist)", async () => {
    const { fake, t } = transport([apiError(500, "internal_server_error"), json(200, created)]);
    await expect(createEdit(t, params, {})).rejects.toBeInstanceOf(InternalServerError);
    expect(fake.requests).toHaveLength(1);
  });
});

describe("getTask", () => {
  it("rejects (does not throw) for an id that cannot be one, without sending", async () => {
    const { fake, t } = transport([json(200, taskDetail("completed"))]);
    const pending = getTask(t, "  ", {});
    expect(pending).toBeInstanceOf(Promise);
    await expect(pending).rejects.toBeInstanceOf(RequestValidationError);
    expect(fake.requests).toHaveLength(0);
  });

  it("warns about an id without the API's prefix, and sends it", async () => {
    const { fake, t, lines } = transport([json(200, taskDetail("completed", { id: "other-1" }))]);
    await getTask(t, "other-1", {});
    expect(fake.requests[0]?.url).toBe(`${BASE}/v1/tasks/other-1`);
    expect(lines.some((l) => l.level === "warn" && l.message.includes('"other-1"'))).toBe(true);
  });

  it("refuses a valid body about another task", async () => {
    const { t } = transport([json(200, taskDetail("completed", { id: "task-unified-someone-else" }))]);
    const err = await getTask(t, TASK_ID, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContractViolationError);
    expect((err as Error).message).toContain(`asked for task ${TASK_ID}, got task task-unified-someone-else`);
  });

  it("retries a 500 and returns the request id", async () => {
    const { fake, t } = transport([
      apiError(500, "internal_server_error", {}, { "retry-after": "0" }),
      json(200, taskDetail("completed"), { "x-request-id": "req-1" }),
    ]);
    const { data, requestId } = await getTask(t, TASK_ID, {});
    expect(data.status).toBe("completed");
    expect(requestId).toBe("req-1");
    expect(fake.requests).toHaveLength(2);
  });
});
