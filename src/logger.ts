/** Logging: a small leveled interface that `console`, pino and winston all satisfy; silent unless a logger is given. */
import { createScrubber, type Scrubber } from "./internal/redact.js";

/** A log sink. Each method gets a message and, sometimes, structured details (already redacted). */
export interface Logger {
  debug(message: string, details?: Record<string, unknown>): void;
  info(message: string, details?: Record<string, unknown>): void;
  warn(message: string, details?: Record<string, unknown>): void;
  error(message: string, details?: Record<string, unknown>): void;
}

/** Log levels, lowest first; `"off"` silences everything. */
export type LogLevel = "debug" | "info" | "warn" | "error" | "off";

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3, off: 4 };

/** The level used when a logger is given without `logLevel`. */
export const DEFAULT_LOG_LEVEL: LogLevel = "info";

/** A wrapped logger that can also say whether a level is on, so costly details are built only when they are used. */
export interface LeveledLogger extends Logger {
  enabled(level: Exclude<LogLevel, "off">): boolean;
}

/**
 * Wraps a logger: drops lines below `level`, removes the secrets from every message and detail (keys included), and
 * swallows a logger's own exceptions (a broken logger must not break a request). `secrets` is the client's
 * {@link Scrubber} (the form to use), or a function listing the secrets (read at each line).
 */
export function leveledLogger(
  logger: Logger | undefined,
  level: LogLevel = DEFAULT_LOG_LEVEL,
  secrets: Scrubber | (() => readonly (string | undefined)[]) = createScrubber(),
): LeveledLogger {
  const scrubberOf = typeof secrets === "function" ? () => createScrubber(secrets()) : () => secrets;
  const enabled = (method: Exclude<LogLevel, "off">) => logger !== undefined && RANK[method] >= RANK[level];
  const emit =
    (method: Exclude<LogLevel, "off">) =>
    (message: string, details?: Record<string, unknown>): void => {
      if (!logger || !enabled(method)) return;
      try {
        const scrubber = scrubberOf();
        if (details === undefined) logger[method](scrubber.text(message));
        else logger[method](scrubber.text(message), scrubber.value(details));
      } catch {
        // ignore: logging is best effort
      }
    };
  return { debug: emit("debug"), info: emit("info"), warn: emit("warn"), error: emit("error"), enabled };
}
