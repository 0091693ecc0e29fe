/**
 * Positional parameter specs, checked at the RPC boundary.
 *
 *   params: [param.hex("hash", 32), param.optional(param.u32("at"))]
 *   handler: ([hash, at]) => ...   // hash: HexString, at: number | undefined
 *
 * A bad value answers -32602 with a message that names the parameter. Params may also arrive by name
 * (`{"hash": "0x…"}`); missing trailing optional params, and `null` for an optional one, read as `undefined`.
 */
import { type HexString, isHex } from "../../../primitives/hex.js";
import { RpcError, RpcErrorCode } from "./errors.js";

export interface Param<T> {
  readonly name: string;
  /** `undefined` or `null` are allowed and read as `undefined`. */
  readonly optional: boolean;
  /** Returns the typed value or throws an Error whose message says what was expected. */
  parse(value: unknown): T;
}

/** A tuple of params; the handler receives the tuple of their values. */
export type ParamSpec<P extends readonly unknown[]> = { readonly [K in keyof P]: Param<P[K]> };

function expected(what: string): Error {
  return new Error(`expected ${what}`);
}

function simple<T>(name: string, what: string, check: (v: unknown) => boolean): Param<T> {
  return {
    name,
    optional: false,
    parse(v) {
      if (!check(v)) throw expected(what);
      return v as T;
    },
  };
}

const U32_MAX = 0xffff_ffff;

function isHexOf(v: unknown, byteLength: number | undefined): boolean {
  return isHex(v) && (byteLength === undefined || v.length === 2 + 2 * byteLength);
}

function hexWhat(byteLength: number | undefined): string {
  return byteLength === undefined ? "a 0x-prefixed hex string" : `a 0x-prefixed hex string of ${byteLength} bytes`;
}

export const param = {
  /** A `0x`-prefixed, even-length hex string; with `byteLength`, exactly that many bytes (32 for a hash). */
  hex(name: string, byteLength?: number): Param<HexString> {
    return simple(name, hexWhat(byteLength), (v) => isHexOf(v, byteLength));
  },
  /** As `hex`, or `null`. */
  hexOrNull(name: string, byteLength?: number): Param<HexString | null> {
    return simple(name, `${hexWhat(byteLength)} or null`, (v) => v === null || isHexOf(v, byteLength));
  },
  /** An integer in 0..2^32-1 (a block number). */
  u32(name: string): Param<number> {
    return simple(
      name,
      "an integer in 0..4294967295",
      (v) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= U32_MAX,
    );
  },
  /** Any finite number. */
  number(name: string): Param<number> {
    return simple(name, "a number", (v) => typeof v === "number" && Number.isFinite(v));
  },
  string(name: string): Param<string> {
    return simple(name, "a string", (v) => typeof v === "string");
  },
  boolean(name: string): Param<boolean> {
    return simple(name, "a boolean", (v) => typeof v === "boolean");
  },
  /** An array; with `item`, every element is checked by it (errors name the element: `keys[2]`). */
  array<T = unknown>(name: string, item?: Param<T>): Param<T[]> {
    return {
      name,
      optional: false,
      parse(v) {
        if (!Array.isArray(v)) throw expected("an array");
        if (item === undefined) return v as T[];
        const out = new Array<T>(v.length);
        for (let i = 0; i < v.length; i++) {
          try {
            out[i] = item.parse(v[i]);
          } catch (err) {
            throw new Error(`[${i}]: ${(err as Error).message}`);
          }
        }
        return out;
      },
    };
  },
  /** A JSON object (not an array, not null). */
  object(name: string): Param<Record<string, unknown>> {
    return simple(name, "an object", (v) => typeof v === "object" && v !== null && !Array.isArray(v));
  },
  /** Anything, unchecked. */
  any(name: string): Param<unknown> {
    return { name, optional: false, parse: (v) => v };
  },
  /** A custom check: `parse` returns the typed value or throws an Error saying what it expected. */
  custom<T>(name: string, parse: (value: unknown) => T): Param<T> {
    return { name, optional: false, parse };
  },
  /** The same param, but it may be missing or `null` (read as `undefined`). */
  optional<T>(p: Param<T>): Param<T | undefined> {
    return { name: p.name, optional: true, parse: (v) => p.parse(v) };
  },
};

function invalidParams(message: string): RpcError {
  return new RpcError(RpcErrorCode.InvalidParams, `Invalid params: ${message}`);
}

/**
 * Checks raw JSON-RPC `params` (absent, an array, or an object of named params) against a spec and
 * returns the values in spec order; throws an RpcError -32602 naming the first bad param.
 */
export function parseParams<P extends readonly unknown[]>(spec: ParamSpec<P>, raw: unknown): P {
  const specs = spec as readonly Param<unknown>[];
  let byName: Record<string, unknown> | null = null;
  if (raw === undefined) {
    raw = [];
  } else if (raw === null || typeof raw !== "object") {
    throw invalidParams("expected an array or an object of params");
  } else if (!Array.isArray(raw)) {
    byName = raw as Record<string, unknown>;
  } else if (raw.length > specs.length) {
    throw invalidParams(`expected at most ${specs.length} params, got ${raw.length}`);
  }
  const out = new Array<unknown>(specs.length);
  for (let i = 0; i < specs.length; i++) {
    const p = specs[i];
    const v = byName === null ? (raw as unknown[])[i] : byName[p.name];
    if (v === undefined || (v === null && p.optional)) {
      if (!p.optional) throw invalidParams(`missing param ${i} "${p.name}"`);
      out[i] = undefined;
      continue;
    }
    try {
      out[i] = p.parse(v);
    } catch (err) {
      throw invalidParams(`param ${i} "${p.name}": ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return out as unknown as P;
}
