/** Issue 11 items 5-7 end to end: a server that echoes the key never gets it into an error or a log line. */
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { createKlingClient } from "../../src/client.js";
import { created, json, params, recordingLogger, scriptedFetch, TASK_ID, taskDetail } from "../support/fake-fetch.js";

const RAW_KEY = "sk-live-0123456789abcdef\r\n"; // as a CRLF .env file gives it
const SENT = RAW_KEY.trim(); // what Headers sends, and what an echoing server returns

function outputsOf(err: unknown): string[] {
  const e = err as Error;
  return [
    e.message,
    String(e.stack),
    JSON.stringify(e),
    inspect(e, { depth: 10 }),
    inspect(e, { showHidden: true, depth: 10 }),
  ];
}

async function failure(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (err) {
    return err;
  }
  throw new Error("expected a rejection");
}

describe("a server echoing the key", () => {
  it("failed task's error.message (item 5)", async () => {
    const fake = scriptedFetch(
      json(200, taskDetail("failed", { error: { code: "video_download_failed", message: `echo ${SENT}` } })),
    );
    const client = createKlingClient({ apiKey: RAW_KEY, baseUrl: "https://api.test", fetch: fake.fetch });
    const err = await failure(() => client.tasks.wait(TASK_ID));
    expect((err as Error).name).toBe("TaskFailedError");
    for (const out of outputsOf(err)) expect(out).not.toContain(SENT);
  });

  it("header values and x-request-id of an APIError (item 6)", async () => {
    const fake = scriptedFetch(
      json(
        404,
        { error: { code: 404, message: "nope", type: "not_found_error" } },
        {
          "x-request-id": `req-${SENT}`,
          "x-echo": `Bearer ${SENT}`,
        },
      ),
    );
    const client = createKlingClient({ apiKey: RAW_KEY, baseUrl: "https://api.test", fetch: fake.fetch });
    const err = await failure(() => client.tasks.get(TASK_ID));
    for (const out of outputsOf(err)) expect(out).not.toContain(SENT);
  });

  it("a created task's id in a ContractViolationError, and warn messages (item 7)", async () => {
    const body = { ...created, id: SENT, status: "weird" };
    const fake = scriptedFetch(json(200, body));
    const client = createKlingClient({
      apiKey: RAW_KEY,
      baseUrl: "https://api.test",
      fetch: fake.fetch,
      maxRetries: 0,
    });
    const err = await failure(() => client.edits.create(params));
    expect((err as Error).name).toBe("ContractViolationError");
    for (const out of outputsOf(err)) expect(out).not.toContain(SENT);

    const rec = recordingLogger();
    const warn = createKlingClient({
      apiKey: RAW_KEY,
      baseUrl: "https://api.test",
      fetch: scriptedFetch(json(200, { ...body, [SENT]: SENT })).fetch,
      validateResponses: "warn",
      logger: rec.logger,
    });
    await warn.edits.create(params);
    expect(rec.lines.length).toBeGreaterThan(0);
    expect(JSON.stringify(rec.lines)).not.toContain(SENT);
    expect(inspect(rec.lines, { depth: 10 })).not.toContain(SENT);
  });
});
