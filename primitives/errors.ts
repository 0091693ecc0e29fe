/**
 * Typed errors with machine-readable codes, in the manner of Lodestar's `LodestarError`.
 *
 * Every module declares its own `type XErrorType = {code: "X_ERROR_..."; ...data}` union and throws
 * `new XError({code, ...})`. Callers switch on `err.type.code`; logs and RPC responses carry `type`.
 */
export class TensorchainError<T extends { code: string }> extends Error {
  readonly type: T;

  constructor(type: T, message?: string) {
    super(message ?? type.code);
    this.type = type;
    this.name = this.constructor.name;
  }

  get code(): T["code"] {
    return this.type.code;
  }

  /** The error as a plain object for structured logs. */
  toObject(): Record<string, unknown> {
    return { message: this.message, ...stringifyBigints(this.type) };
  }
}

function stringifyBigints(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) out[k] = typeof v === "bigint" ? v.toString() : v;
  return out;
}
