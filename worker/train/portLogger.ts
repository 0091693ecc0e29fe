/** A logger for a worker thread: lines at or above `level` are posted to the parent as `log` messages. */
import type { LogContext, Logger, LogLevel } from "../../primitives/logger.js";

export interface LogMessage {
  type: "log";
  level: LogLevel;
  msg: string;
  ctx?: LogContext;
}

export function portLogger(post: (m: LogMessage) => void, level: LogLevel): Logger {
  const rank: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3, trace: 4 };
  const emit = (l: LogLevel) => (msg: string, ctx?: LogContext) => {
    if (rank[l] <= rank[level]) post({ type: "log", level: l, msg, ctx });
  };
  const log: Logger = {
    error: emit("error"),
    warn: emit("warn"),
    info: emit("info"),
    debug: emit("debug"),
    trace: emit("trace"),
    child: () => log,
    isEnabled: (l) => rank[l] <= rank[level],
  };
  return log;
}
