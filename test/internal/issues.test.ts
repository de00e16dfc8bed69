import { describe, expect, it } from "vitest";
import { validateTaskDetail } from "../../generated/validators/TaskDetail.js";
import { formatIssues } from "../../src/internal/issues.js";

describe("formatIssues", () => {
  it("names each finding's pointer and message, the body itself as /", () => {
    expect(validateTaskDetail({ id: 1, status: "done" })).toBe(false);
    expect(formatIssues(validateTaskDetail.errors)).toBe(
      "/id must be string; /status must be equal to one of the allowed values",
    );
    expect(validateTaskDetail("nope")).toBe(false);
    expect(formatIssues(validateTaskDetail.errors)).toBe("/ must be object");
  });

  it("lists at most five, falls back to the keyword without a message, and is empty without findings", () => {
    const issue = (n: number) => ({ instancePath: `/f${n}`, schemaPath: "#", keyword: "type", params: {} });
    expect(formatIssues(Array.from({ length: 7 }, (_, n) => issue(n)))).toBe(
      "/f0 type; /f1 type; /f2 type; /f3 type; /f4 type",
    );
    expect(formatIssues(null)).toBe("");
    expect(formatIssues(undefined)).toBe("");
  });
});
