import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { createScrubber } from "../src/internal/redact.js";
import { leveledLogger } from "../src/logger.js";
import { recordingLogger } from "./support/fake-fetch.js";

describe("leveledLogger", () => {
  it("is silent without a logger", () => {
    expect(() => leveledLogger(undefined).error("x")).not.toThrow();
  });

  it.each([
    ["debug", ["debug", "info", "warn", "error"]],
    ["info", ["info", "warn", "error"]],
    ["warn", ["warn", "error"]],
    ["error", ["error"]],
    ["off", []],
  ] as const)("at %s passes %j", (level, want) => {
    const rec = recordingLogger();
    const log = leveledLogger(rec.logger, level);
    log.debug("d");
    log.info("i");
    log.warn("w");
    log.error("e");
    expect(rec.lines.map((l) => l.level)).toEqual(want);
  });

  it("removes the secret from messages and details", () => {
    const rec = recordingLogger();
    const log = leveledLogger(rec.logger, "debug", () => ["sk-secret-123"]);
    log.info("token sk-secret-123 rejected", { headers: { authorization: "Bearer sk-secret-123" }, n: 1 });
    expect(rec.lines).toEqual([
      {
        level: "info",
        message: "token [redacted] rejected",
        details: { headers: { authorization: "Bearer [redacted]" }, n: 1 },
      },
    ]);
  });

  // Issue 11 item 7: a validateResponses "warn" line carries the body's issues; a server can echo the key as a
  // property name, and a CRLF key goes out (and comes back) trimmed.
  it("removes every form of the key from property names and values, given the client's scrubber", () => {
    const rec = recordingLogger();
    const key = "sk-secret-0123456789\r\n";
    const log = leveledLogger(rec.logger, "debug", createScrubber([key]));
    log.warn("Response breaks the spec (the task was created: id sk-secret-0123456789)", {
      issues: [{ instancePath: "/sk-secret-0123456789", params: { additionalProperty: "sk-secret-0123456789" } }],
      body: { "sk-secret-0123456789": 1 },
      error: new Error("echo sk-secret-0123456789"),
    });
    expect(inspect(rec.lines, { depth: 10 })).not.toContain("sk-secret-0123456789");
    expect(rec.lines[0]?.message).toBe("Response breaks the spec (the task was created: id [redacted])");
    expect(rec.lines[0]?.details).toMatchObject({ body: { "[redacted]": 1 } });
  });

  it("survives a logger that throws", () => {
    const log = leveledLogger(
      {
        debug: () => {
          throw new Error("broken");
        },
        info: () => {},
        warn: () => {},
        error: () => {},
      },
      "debug",
    );
    expect(() => log.debug("x")).not.toThrow();
  });
});
