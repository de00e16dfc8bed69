import { describe, expect, it } from "vitest";
import { replyToResponse } from "../../src/mock/web.js";

describe("replyToResponse", () => {
  it("JSON: the body serialised, the spec's content type, the reply's headers", async () => {
    const res = replyToResponse({
      kind: "json",
      status: 429,
      body: { error: { code: 429 } },
      headers: { "retry-after": "60" },
    });
    expect(res.status).toBe(429);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(res.headers.get("retry-after")).toBe("60");
    expect(await res.text()).toBe('{"error":{"code":429}}');
  });

  it("raw: the text as it is, and no body for a null-body status", async () => {
    const res = replyToResponse({
      kind: "raw",
      status: 502,
      text: "<html/>",
      headers: { "content-type": "text/html" },
    });
    expect(await res.text()).toBe("<html/>");
    expect(replyToResponse({ kind: "raw", status: 204, text: "", headers: {} }).body).toBeNull();
  });

  it("malformed: a 200 JSON response whose body does not parse", async () => {
    const res = replyToResponse({ kind: "malformed", text: '{"id":"task-' });
    expect([res.status, res.headers.get("content-type")]).toEqual([200, "application/json"]);
    await expect(res.json()).rejects.toThrow(SyntaxError);
  });

  it("bytes: the file, or its first half and then a stream error when truncated", async () => {
    const bytes = new Uint8Array([1, 2, 3, 4, 5, 6]);
    const whole = replyToResponse({ kind: "bytes", status: 200, body: bytes, headers: {}, truncate: false });
    expect(new Uint8Array(await whole.arrayBuffer())).toEqual(bytes);
    const cut = replyToResponse({ kind: "bytes", status: 200, body: bytes, headers: {}, truncate: true });
    const reader = cut.body?.getReader();
    expect((await reader?.read())?.value).toEqual(new Uint8Array([1, 2, 3]));
    await expect(reader?.read()).rejects.toThrow(/connection dropped mid-body/);
    expect(replyToResponse({ kind: "bytes", status: 416, body: null, headers: {}, truncate: false }).body).toBeNull();
  });
});
