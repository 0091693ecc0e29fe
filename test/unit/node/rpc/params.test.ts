import { describe, expect, it } from "@jest/globals";
import { param, parseParams, RpcError } from "../../../../node/rpc/server/index.js";

const HASH = `0x${"ab".repeat(32)}` as const;

function rejection(fn: () => unknown): RpcError {
  try {
    fn();
  } catch (err) {
    if (err instanceof RpcError) return err;
    throw err;
  }
  throw new Error("did not throw");
}

describe("parseParams", () => {
  it("returns typed positional values", () => {
    const spec = [param.hex("hash", 32), param.u32("n"), param.string("s"), param.boolean("b")] as const;
    const [hash, n, s, b] = parseParams(spec, [HASH, 7, "x", false]);
    expect([hash, n, s, b]).toEqual([HASH, 7, "x", false]);
  });

  it("reads missing or null optional params as undefined, and absent params as none", () => {
    const spec = [param.hex("hash"), param.optional(param.hexOrNull("at"))] as const;
    expect(parseParams(spec, ["0x"])).toEqual(["0x", undefined]);
    expect(parseParams(spec, ["0x", null])).toEqual(["0x", undefined]);
    expect(parseParams([param.optional(param.u32("n"))], undefined)).toEqual([undefined]);
    expect(parseParams([param.hexOrNull("h")], [null])).toEqual([null]);
  });

  it("accepts named params", () => {
    const spec = [param.string("key"), param.optional(param.number("limit"))] as const;
    expect(parseParams(spec, { limit: 2.5, key: "k" })).toEqual(["k", 2.5]);
  });

  it("answers -32602 naming the bad param", () => {
    const spec = [param.hex("hash", 32), param.u32("at")] as const;
    const cases: [unknown, string][] = [
      [["0x12", 1], 'param 0 "hash": expected a 0x-prefixed hex string of 32 bytes'],
      [["0xzz", 1], 'param 0 "hash"'],
      [[HASH, 2 ** 32], 'param 1 "at": expected an integer in 0..4294967295'],
      [[HASH, 1.5], 'param 1 "at"'],
      [[HASH, "1"], 'param 1 "at"'],
      [[HASH], 'missing param 1 "at"'],
      [[HASH, 1, 2], "expected at most 2 params, got 3"],
      [{ hash: HASH }, 'missing param 1 "at"'],
    ];
    for (const [raw, message] of cases) {
      const err = rejection(() => parseParams(spec, raw));
      expect(err.code).toBe(-32602);
      expect(err.message).toContain(message);
    }
  });

  it("checks arrays element by element", () => {
    const spec = [param.array("keys", param.hex("key"))] as const;
    expect(parseParams(spec, [["0x01", "0x02"]])).toEqual([["0x01", "0x02"]]);
    expect(rejection(() => parseParams(spec, [["0x01", 5]])).message).toContain(
      'param 0 "keys": [1]: expected a 0x-prefixed hex string',
    );
    expect(rejection(() => parseParams(spec, ["0x01"])).message).toContain("expected an array");
    expect(parseParams([param.array("any")], [[1, "a"]])).toEqual([[1, "a"]]);
  });

  it("checks objects, passes anything through `any`, and runs custom checks", () => {
    expect(parseParams([param.object("o")], [{ a: 1 }])).toEqual([{ a: 1 }]);
    expect(rejection(() => parseParams([param.object("o")], [[1]])).message).toContain("expected an object");
    expect(rejection(() => parseParams([param.object("o")], [null])).message).toContain("expected an object");
    expect(parseParams([param.any("x")], [{ deep: [1] }])).toEqual([{ deep: [1] }]);
    const numberOrHex = param.custom("block", (v) => {
      if (typeof v === "number" && Number.isInteger(v)) return v;
      if (typeof v === "string" && /^0x[0-9a-f]+$/i.test(v)) return Number.parseInt(v, 16);
      throw new Error("expected a number or a hex number");
    });
    expect(parseParams([numberOrHex], ["0x10"])).toEqual([16]);
    expect(rejection(() => parseParams([numberOrHex], [true])).message).toContain(
      'param 0 "block": expected a number or a hex number',
    );
  });

  it("rejects non-finite numbers", () => {
    expect(rejection(() => parseParams([param.number("x")], [Number.NaN])).code).toBe(-32602);
  });
});
