/**
 * A small structured logger: `log.info("Imported block", {number, hash})`.
 *
 * Lines look like Substrate's (`2026-11-24 15:00:00.123  INFO chain: Imported block number=3 hash=0x…`),
 * or one JSON object per line with `format: "json"`. A child logger adds its module name.
 *
 * Logged values may come from peers and clients, so nothing reaches the terminal raw that a terminal
 * could act on: control characters (C0, DEL, C1 such as the 8-bit CSI), line and paragraph separators
 * and bidirectional overrides are written as `\uXXXX` escapes (`\n`, `\t`… in quoted strings), in the
 * message, keys and values alike, in both formats. A JSON line stays valid JSON that parses back to the
 * original strings; a text value with spaces, quotes, `=` or escapes is written as a JSON string.
 */
export type LogLevel = "error" | "warn" | "info" | "debug" | "trace";
export type LogContext = Record<string, unknown>;

const levelRank: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3, trace: 4 };

export interface Logger {
  error(msg: string, ctx?: LogContext, err?: unknown): void;
  warn(msg: string, ctx?: LogContext, err?: unknown): void;
  info(msg: string, ctx?: LogContext): void;
  debug(msg: string, ctx?: LogContext): void;
  trace(msg: string, ctx?: LogContext): void;
  child(opts: { module: string }): Logger;
  isEnabled(level: LogLevel): boolean;
}

export interface LoggerOptions {
  /** Default level, and per-module overrides as in Substrate's `--log info,chain=debug`. */
  level: LogLevel;
  moduleLevels?: Record<string, LogLevel>;
  format?: "human" | "json";
  /** Where lines go; stderr by default so that stdout stays usable for command output. */
  write?: (line: string) => void;
}

export function parseLogFilter(filter: string): { level: LogLevel; moduleLevels: Record<string, LogLevel> } {
  let level: LogLevel = "info";
  const moduleLevels: Record<string, LogLevel> = {};
  for (const part of filter
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [mod, lvl] = part.includes("=") ? part.split("=", 2) : [undefined, part];
    if (!(lvl in levelRank)) throw new Error(`Unknown log level "${lvl}" in "${filter}"`);
    if (mod === undefined) level = lvl as LogLevel;
    else moduleLevels[mod] = lvl as LogLevel;
  }
  return { level, moduleLevels };
}

export function createLogger(opts: LoggerOptions, module = ""): Logger {
  const write = opts.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const threshold = levelRank[opts.moduleLevels?.[module] ?? opts.level];
  const enabled = (level: LogLevel) => levelRank[level] <= threshold;

  const emit = (level: LogLevel, msg: string, ctx?: LogContext, err?: unknown) => {
    if (!enabled(level)) return;
    const errCtx = err === undefined ? undefined : formatError(err);
    if (opts.format === "json") {
      write(
        escapeUnsafe(
          JSON.stringify({ time: new Date().toISOString(), level, module, msg, ...ctx, ...errCtx }, (_k, v) =>
            typeof v === "bigint" ? v.toString() : v,
          ),
        ),
      );
      return;
    }
    const time = new Date().toISOString().replace("T", " ").replace("Z", "");
    const fields = { ...ctx, ...errCtx };
    const kv = Object.entries(fields)
      .map(([k, v]) => `${escapeText(k)}=${formatValue(v)}`)
      .join(" ");
    write(
      `${time} ${level.toUpperCase().padStart(5)} ${module ? `${escapeText(module)}: ` : ""}${escapeText(msg)}${kv ? ` ${kv}` : ""}`,
    );
  };

  return {
    error: (msg, ctx, err) => emit("error", msg, ctx, err),
    warn: (msg, ctx, err) => emit("warn", msg, ctx, err),
    info: (msg, ctx) => emit("info", msg, ctx),
    debug: (msg, ctx) => emit("debug", msg, ctx),
    trace: (msg, ctx) => emit("trace", msg, ctx),
    child: ({ module: child }) => createLogger(opts, module ? `${module}/${child}` : child),
    isEnabled: enabled,
  };
}

/** A logger that drops everything: for tests and library callers that pass none. */
export const nullLogger: Logger = {
  error: () => {},
  warn: () => {},
  info: () => {},
  debug: () => {},
  trace: () => {},
  child: () => nullLogger,
  isEnabled: () => false,
};

/**
 * Characters a terminal may act on or that can forge or hide log lines: C0 controls, DEL, C1 controls,
 * the line and paragraph separators, and the bidirectional formatting characters.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const UNSAFE_CHAR = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const UNSAFE = new RegExp(UNSAFE_CHAR.source, "g");

const hex4 = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;

/** Replaces every unsafe character by its `\uXXXX` escape (inside JSON text this keeps it valid JSON). */
export function escapeUnsafe(s: string): string {
  return s.replace(UNSAFE, hex4);
}

/** Unquoted text (messages, keys): unsafe characters escaped, with the usual short forms for \n, \r, \t. */
function escapeText(s: string): string {
  return s.replace(UNSAFE, (c) => (c === "\n" ? "\\n" : c === "\r" ? "\\r" : c === "\t" ? "\\t" : hex4(c)));
}

function formatValue(v: unknown): string {
  if (v instanceof Uint8Array) return `0x${Buffer.from(v).toString("hex")}`;
  if (typeof v === "string") {
    const plain = v !== "" && !/[\s"\\=]/.test(v) && !UNSAFE_CHAR.test(v);
    return plain ? v : escapeUnsafe(JSON.stringify(v));
  }
  if (typeof v === "bigint" || typeof v === "number" || typeof v === "boolean") return String(v);
  const json = JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x));
  return json === undefined ? "undefined" : escapeUnsafe(json);
}

function formatError(err: unknown): LogContext {
  if (err instanceof Error) {
    const type = (err as { type?: unknown }).type;
    return type ? { error: err.message, ...(type as object) } : { error: err.message };
  }
  return { error: String(err) };
}
