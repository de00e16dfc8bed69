import { describe, expect, it } from "vitest";
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
