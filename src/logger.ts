/** Logging: a small leveled interface that `console`, pino and winston all satisfy; silent unless a logger is given. */
import { redactDeep, redactText } from "./internal/redact.js";

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
 * Wraps a logger: drops lines below `level`, removes the secrets from every message and detail, and swallows a
 * logger's own exceptions (a broken logger must not break a request).
 */
export function leveledLogger(
  logger: Logger | undefined,
  level: LogLevel = DEFAULT_LOG_LEVEL,
  secrets: () => readonly (string | undefined)[] = () => [],
): LeveledLogger {
  const enabled = (method: Exclude<LogLevel, "off">) => logger !== undefined && RANK[method] >= RANK[level];
  const emit =
    (method: Exclude<LogLevel, "off">) =>
    (message: string, details?: Record<string, unknown>): void => {
      if (!logger || !enabled(method)) return;
      const s = secrets();
      try {
        if (details === undefined) logger[method](redactText(message, s));
        else logger[method](redactText(message, s), redactDeep(details, s) as Record<string, unknown>);
      } catch {
        // ignore: logging is best effort
      }
    };
  return { debug: emit("debug"), info: emit("info"), warn: emit("warn"), error: emit("error"), enabled };
}
