/**
 * Fuzz target "rpc": the JSON-RPC parameter parsers are total. For every method and subscription the
 * node registers (the chain's, the content store's, `engine_*`), with arbitrary JSON as `params`
 * (positional or by name, values shaped like hashes, numbers, queries, or anything):
 *
 * - `parseParams` returns one value per declared param or throws the RPC InvalidParams error (-32602),
 *   never anything else;
 * - each param's own `parse` returns or throws a plain `Error` saying what it expected, never a
 *   TypeError or RangeError (which `parseParams` would otherwise report as a client mistake);
 * - what a parser accepts is what it promises: `u32`s are integers in range, `hex(n)` strings of n
 *   bytes, block numbers fit a u32, `findWorkers` queries hold known fields only.
 */
import { describe, expect, it } from "@jest/globals";
import * as fc from "fast-check";
import type { ContentRpcDeps } from "../../node/rpc/methods/content.js";
import { contentMethods } from "../../node/rpc/methods/content.js";
import { type BlockFactory, chainRpcMethods, type RpcDeps } from "../../node/rpc/methods/index.js";
import { parseFindWorkersQuery } from "../../node/rpc/methods/tensorchain.js";
import { type Param, param, parseParams, type RpcDef, RpcError, RpcErrorCode } from "../../node/rpc/server/index.js";
import { isHex } from "../../primitives/hex.js";
import { EXECUTION_PROFILES } from "../../runtime/pallets/workerRegistry.js";
import { FUZZ_RUNS, fuzzParams, fuzzTimeout } from "./budget.js";

// The definitions only: their handlers are never called, so their dependencies are left empty.
const defs: RpcDef[] = [
  ...chainRpcMethods({} as RpcDeps, {} as BlockFactory),
  ...contentMethods({ store: {}, uploads: { opts: { maxChunkBytes: 4 << 20 } } } as unknown as ContentRpcDeps),
];
const specs = defs
  .map((d) => ({ name: "name" in d ? d.name : d.subscribe, params: d.params as readonly Param<unknown>[] | undefined }))
  .filter((d): d is { name: string; params: readonly Param<unknown>[] } => d.params !== undefined);

// ---------------------------------------------------------------------------------------------
// JSON inputs, as the server receives them (parsed from text: no undefined, NaN or -0 survives)

const wire = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<unknown> => arb.map((v) => JSON.parse(JSON.stringify(v)));

const hexLike = fc.oneof(
  fc.uint8Array({ maxLength: 40 }).map((b) => `0x${Buffer.from(b).toString("hex")}`),
  fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => `0x${Buffer.from(b).toString("hex")}`),
  fc.stringMatching(/^0[xX][0-9a-fA-F]{0,70}$/),
  fc.string({ maxLength: 20 }).map((s) => `0x${s}`),
  fc.constantFrom("", "0x", "0x0", "00", "0xffffffff", "0x100000000", `0x${"f".repeat(80)}`),
);

const numberLike = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -1, 1.5, 2 ** 32 - 1, 2 ** 32, 2 ** 53, 2 ** 53 + 2, 1e308, -1e-308, 300_000, 300_001),
);

const queryLike = fc.dictionary(
  fc.oneof(
    fc.constantFrom("minGpus", "minGpuMemoryMiB", "profile", "role", "__proto__", "constructor", "toString"),
    fc.string({ maxLength: 8 }),
  ),
  fc.oneof(
    numberLike,
    fc.constantFrom(...EXECUTION_PROFILES, "Trainer", "Evaluator", "toString", null),
    fc.jsonValue({ maxDepth: 2 }),
  ),
  { maxKeys: 5 },
);

/** One JSON value a param may be given. */
const value: fc.Arbitrary<unknown> = wire(
  fc.oneof(
    hexLike,
    numberLike,
    queryLike,
    fc.array(hexLike, { maxLength: 4 }),
    fc.boolean(),
    fc.constant(null),
    fc.string({ maxLength: 30 }),
    fc.jsonValue({ maxDepth: 3 }),
  ),
);

/** `params` as a request carries them: absent, positional, by name, or any JSON at all. */
function rawParams(spec: readonly Param<unknown>[]): fc.Arbitrary<unknown> {
  const names = spec.map((p) => p.name);
  return fc.oneof(
    fc.constant(undefined),
    fc.array(value, { maxLength: spec.length + 1 }),
    fc.dictionary(fc.oneof(fc.constantFrom(...names, "__proto__"), fc.string({ maxLength: 6 })), value, {
      maxKeys: spec.length + 1,
    }),
    wire(fc.jsonValue({ maxDepth: 3 })),
    // JSON text whose parse gives an own `__proto__` property.
    fc.constantFrom('{"__proto__": null}', '{"__proto__": {"query": 1}}', "[]", "{}", "null").map((t) => JSON.parse(t)),
  );
}

// ---------------------------------------------------------------------------------------------
// Checks

function checkParseParams(spec: readonly Param<unknown>[], raw: unknown): void {
  let out: unknown;
  try {
    out = parseParams(spec, raw);
  } catch (err) {
    if (err instanceof RpcError && err.code === RpcErrorCode.InvalidParams) return;
    throw err;
  }
  expect(Array.isArray(out) && out.length === spec.length).toBe(true);
}

/** A param's `parse`: a value, or a plain `Error` saying what it expected. */
function parseOne(p: Param<unknown>, v: unknown): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: p.parse(v) };
  } catch (err) {
    if (err instanceof Error && err.constructor === Error && err.message.length > 0) return { ok: false };
    throw err;
  }
}

const U32_MAX = 0xffff_ffff;

describe("fuzz: RPC parameter parsers", () => {
  it("covers the node's methods", () => {
    const names = specs.map((s) => s.name);
    for (const m of ["chain_getBlockHash", "state_getKeysPaged", "tensorchain_findWorkers", "content_get"])
      expect(names).toContain(m);
  });

  it(
    `parseParams answers every method's params with values or InvalidParams (${FUZZ_RUNS} requests per method)`,
    () => {
      for (const { name, params } of specs) {
        try {
          fc.assert(
            fc.property(rawParams(params), (raw) => checkParseParams(params, raw)),
            fuzzParams(),
          );
        } catch (err) {
          throw new Error(`${name}: ${(err as Error).message}`, { cause: (err as Error).cause });
        }
      }
    },
    fuzzTimeout(0.05 * specs.length),
  );

  it(
    `each param's parser returns a value or a plain Error (${FUZZ_RUNS} values per param)`,
    () => {
      for (const { params } of specs)
        for (const p of params)
          fc.assert(
            fc.property(value, (v) => {
              parseOne(p, v);
            }),
            { ...fuzzParams(), examples: [[undefined], [null]] },
          );
    },
    fuzzTimeout(0.05 * specs.length * 3),
  );

  it(
    `accepted values are what the parsers promise (${FUZZ_RUNS} values per parser)`,
    () => {
      const blockNumber = specs.find((s) => s.name === "chain_getBlockHash")!.params[0];
      const u32 = param.u32("n");
      const hash = param.hex("hash", 32);
      fc.assert(
        fc.property(value, (v) => {
          const n = parseOne(blockNumber, v);
          if (n.ok && n.value !== undefined) {
            const num = typeof n.value === "number" ? n.value : Number.parseInt((n.value as string).slice(2), 16);
            expect(Number.isInteger(num) && num >= 0 && num <= U32_MAX).toBe(true);
          }
          const u = parseOne(u32, v);
          if (u.ok)
            expect(Number.isInteger(u.value) && (u.value as number) >= 0 && (u.value as number) <= U32_MAX).toBe(true);
          const h = parseOne(hash, v);
          if (h.ok) expect(isHex(h.value) && (h.value as string).length).toBe(66);
        }),
        fuzzParams(),
      );
    },
    fuzzTimeout(0.1),
  );

  it(
    `parseFindWorkersQuery returns known fields with valid values, or throws a plain Error (${FUZZ_RUNS} queries)`,
    () =>
      fc.assert(
        fc.property(fc.oneof(wire(queryLike), value), (v) => {
          const q = parseOne(param.custom("query", parseFindWorkersQuery), v);
          if (!q.ok) return;
          const query = q.value as Record<string, unknown>;
          for (const [k, x] of Object.entries(query)) {
            if (k === "minGpus" || k === "minGpuMemoryMiB")
              expect(Number.isInteger(x) && (x as number) >= 0 && (x as number) <= U32_MAX).toBe(true);
            else if (k === "profile") expect(EXECUTION_PROFILES).toContain(x);
            else if (k === "role") expect(["Trainer", "Evaluator"]).toContain(x);
            else throw new Error(`unknown field ${k} accepted`);
          }
        }),
        fuzzParams(),
      ),
    fuzzTimeout(0.1),
  );

  it("regressions: null params, and block numbers that are no u32", () => {
    const spec = specs.find((x) => x.name === "chain_getBlockHash")!.params;
    for (const raw of [null, 5, "0x01", true]) {
      expect(() => parseParams(spec, raw)).toThrow(RpcError);
      expect(() => parseParams([], raw)).toThrow(RpcError);
    }
    for (const bad of ["0x", "0x100000000", `0x${"f".repeat(80)}`])
      expect(() => parseParams(spec, [bad])).toThrow("expected a block number");
    expect(parseParams(spec, ["0x1"])).toEqual(["0x1"]);
    expect(parseParams(spec, ["0xffffffff"])).toEqual(["0xffffffff"]);
  });
});
