import { describe, expect, it } from "vitest";
import { validateErrorResponse } from "../../generated/validators.js";
import { errorReply, json, MAX_BODY_BYTES, tooLarge } from "../../src/mock/reply.js";

describe("mock replies", () => {
  it("json carries status, body and headers, with no headers by default", () => {
    expect(json(201, { a: 1 })).toEqual({ kind: "json", status: 201, body: { a: 1 }, headers: {} });
    expect(json(200, null, { "retry-after": "3" })).toMatchObject({ headers: { "retry-after": "3" } });
  });

  it("errorReply writes the spec's error envelope, with param only when given", () => {
    const withParam = errorReply(400, "invalid_request_error", "bad model", "model");
    const without = errorReply(429, "rate_limit_error", "slow down");
    for (const reply of [withParam, without]) {
      expect(reply.kind).toBe("json");
      const body = reply.kind === "json" ? reply.body : undefined;
      expect(validateErrorResponse(body), JSON.stringify(validateErrorResponse.errors)).toBe(true);
    }
    expect(withParam).toMatchObject({ status: 400, body: { error: { code: 400, param: "model" } } });
    expect(without.kind === "json" && Object.keys((without.body as { error: object }).error)).not.toContain("param");
  });

  it("tooLarge is a 413 in the envelope naming the limit", () => {
    const reply = tooLarge();
    expect(reply).toMatchObject({ kind: "json", status: 413, body: { error: { type: "invalid_request_error" } } });
    expect(JSON.stringify(reply)).toContain(String(MAX_BODY_BYTES));
    expect(validateErrorResponse(reply.kind === "json" ? reply.body : undefined)).toBe(true);
  });
});
