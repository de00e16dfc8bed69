/**
 * runVerify with an injected fetch (no server): what the announced cost says, which checks a run judges, and how a
 * server that never answers, or answers like Prism, is judged. Runs against the mock and Prism are in contract-tests/.
 */
import { describe, expect, it } from "vitest";
import { PAID_BAD_REQUESTS } from "../../src/verify/bad-requests.js";
import { CHECK_NAMES, CHECKS } from "../../src/verify/catalog.js";
import { INVALID_TOKEN } from "../../src/verify/probes.js";
import { costStatement, maxTasks, runVerify } from "../../src/verify/run.js";
import type { Exchange } from "../../src/verify/types.js";

describe("the announced cost", () => {
  it("free mode creates nothing; --spend counts two tasks, two more with callbacks, and every paid bad request", () => {
    expect(maxTasks({})).toBe(0);
    expect(maxTasks({ spend: false, callback: {} })).toBe(0);
    expect(maxTasks({ spend: true })).toBe(2 + PAID_BAD_REQUESTS.length);
    expect(maxTasks({ spend: true, callback: {} })).toBe(4 + PAID_BAD_REQUESTS.length);
  });

  it("states the same numbers it will hold to", () => {
    expect(costStatement({})).toMatch(/^free mode: only requests that cannot create a task/);
    expect(costStatement({ spend: true })).toContain(`creates up to 2 tasks (a lifecycle, a failure)`);
    expect(costStatement({ spend: true, callback: {} })).toContain(
      `at most ${4 + PAID_BAD_REQUESTS.length} billed tasks`,
    );
  });
});

describe("runVerify", () => {
  const refused = (async () => {
    throw new TypeError("fetch failed", { cause: new Error("connect ECONNREFUSED") });
  }) as typeof fetch;

  it("against a server that never answers: server-answers fails, paid checks need --spend, and nothing was created", async () => {
    const exchanges: Exchange[] = [];
    const result = await runVerify({
      baseUrl: "http://127.0.0.1:9/",
      apiKey: "k",
      fetch: refused,
      onExchange: (e) => exchanges.push(e),
    });
    expect(result.baseUrl).toBe("http://127.0.0.1:9");
    expect(result.server).toBe("api");
    expect(result.exitCode).toBe(1);
    expect(result.tasksCreated).toBe(0);
    expect(exchanges).toEqual([]);
    const byName = Object.fromEntries(result.checks.map((c) => [c.name, c]));
    expect(byName["server-answers"]?.outcome).toBe("failed");
    for (const name of CHECK_NAMES.filter((n) => CHECKS[n].needs !== "free")) {
      expect([name, byName[name]?.outcome, byName[name]?.reason]).toEqual([
        name,
        "not-applicable",
        "needs --spend (it creates tasks)",
      ]);
    }
    expect(result.checks.map((c) => c.name)).toEqual(CHECK_NAMES);
  });

  it("judges only the selected checks, in report order", async () => {
    const result = await runVerify({
      baseUrl: "http://127.0.0.1:9",
      apiKey: "k",
      fetch: refused,
      checks: ["body-schema", "auth-enforced"],
    });
    expect(result.checks.map((c) => c.name)).toEqual(
      CHECK_NAMES.filter((n) => n === "body-schema" || n === "auth-enforced"),
    );
  });

  it("a server answering like Prism sends no invalid-token request and says why in the notes", async () => {
    const sent: { url: string; auth: string | undefined }[] = [];
    const prismLike = (async (url: string, init: RequestInit) => {
      const headers = init.headers as Record<string, string>;
      sent.push({ url, auth: headers.authorization });
      return new Response(JSON.stringify({ type: "https://stoplight.io/prism/errors#NOT_FOUND", title: "nope" }), {
        status: 404,
        headers: { "content-type": "application/problem+json" },
      });
    }) as typeof fetch;
    const result = await runVerify({ baseUrl: "http://prism.test", apiKey: "k", fetch: prismLike });
    expect(result.server).toBe("prism");
    expect(result.notes[0]).toMatch(/answered like Prism/);
    expect(sent.some((s) => s.auth === `Bearer ${INVALID_TOKEN}`)).toBe(false);
    expect(result.notes.some((n) => /with an invalid token: not sent/.test(n))).toBe(true);
  });
});
