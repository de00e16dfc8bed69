import { describe, expect, it } from "vitest";
import {
  BAD_REQUESTS,
  brokenParam,
  brokenRules,
  FREE_BAD_REQUESTS,
  PAID_BAD_REQUESTS,
  whyBodyCannotCreate,
} from "../../src/verify/bad-requests.js";
import { liveConfig, recordingEnabled, selectedTargets } from "./targets.js";

describe("targets from the environment", () => {
  it.each([
    [{}, ["prism", "mock"]],
    [{ CONTRACT_TARGET: "live" }, ["live"]],
    [{ CONTRACT_TARGET: " mock " }, ["mock"]],
  ] as const)("%j selects %j", (env, want) => {
    expect(selectedTargets(env)).toEqual(want);
  });
  it("an unknown target is an error naming the choices", () => {
    expect(() => selectedTargets({ CONTRACT_TARGET: "staging" })).toThrow(/prism, mock, live/);
  });
  it("live needs a base URL and a key; spending and callbacks are opt-in", () => {
    expect(liveConfig({})).toEqual({ ok: false, missing: ["KLING_BASE_URL", "KLING_API_KEY"] });
    expect(liveConfig({ KLING_BASE_URL: "https://x/apiv1/", KLING_API_KEY: "k" })).toEqual({
      ok: true,
      baseUrl: "https://x/apiv1",
      apiKey: "k",
      spend: false,
    });
    const full = liveConfig({
      KLING_BASE_URL: "https://x",
      KLING_API_KEY: "k",
      KLING_LIVE_SPEND: "1",
      KLING_CALLBACK_URL: "https://tunnel.example/cb",
      KLING_CALLBACK_PORT: "8787",
    });
    expect(full).toMatchObject({ spend: true, callback: { url: "https://tunnel.example/cb", port: 8787 } });
    expect(recordingEnabled({ CONTRACT_RECORD: "1" })).toBe(true);
    expect(recordingEnabled({})).toBe(false);
  });
});

describe("bad-request cases", () => {
  it.each(BAD_REQUESTS.map((c) => [c.name, c] as const))("%s breaks the rule it names", (_, testCase) => {
    expect(brokenRules(testCase)).toContain(testCase.rule);
  });
  it("each names the field src/rules.ts reports", () => {
    const byName = Object.fromEntries(BAD_REQUESTS.map((c) => [c.name, brokenParam(c)]));
    expect(byName["video_urls missing"]).toBe("video_urls");
    expect(byName["callback_url on an internal address"]).toBe("callback_url");
    expect(byName["body not JSON"]).toBe("");
  });
  // Issue 11, item 4: "video_urls not a URL" and "video_urls empty" were sent for free although a lenient API could
  // accept them and bill a task. Free bodies are now those no server can turn into an edit.
  it("free bodies cannot create a task whatever the server does: no source video field, or one of a wrong JSON type", () => {
    expect(FREE_BAD_REQUESTS.length).toBeGreaterThanOrEqual(4);
    for (const c of FREE_BAD_REQUESTS) {
      expect(whyBodyCannotCreate(c.body), c.name).toMatch(/missing|wrong JSON type|not JSON/);
      const body = typeof c.body === "string" ? undefined : c.body;
      const urls =
        typeof body === "object" && body !== null ? (body as { video_urls?: unknown }).video_urls : undefined;
      expect(typeof urls === "string" || Array.isArray(urls), `${c.name}: video_urls is ${JSON.stringify(urls)}`).toBe(
        false,
      );
    }
    const free = FREE_BAD_REQUESTS.map((c) => c.name);
    expect(free).not.toContain("video_urls not a URL");
    expect(free).not.toContain("video_urls empty");
    expect(free).not.toContain("prompt missing");
    expect(new Set([...free, ...PAID_BAD_REQUESTS.map((c) => c.name)]).size).toBe(BAD_REQUESTS.length);
  });
});
