import { beforeAll, describe, expect, it } from "@jest/globals";
import { cryptoReady } from "../../../primitives/hashing.js";
import { T } from "../../../primitives/scale/types.js";
import { DigestItem, Header, MultiAddress, Weight } from "../../../primitives/types.js";
import { EventRecord, RuntimeCall } from "../../../runtime/index.js";
import { AccountInfoReference } from "../../../runtime/pallets/system.js";

beforeAll(async () => {
  await cryptoReady();
});

/** The compiled encoder must produce exactly what the scale-ts codec of the same declaration does. */
function same<V>(ty: { enc(v: V): Uint8Array; codec: { enc(v: V): Uint8Array }; dec(b: Uint8Array): V }, value: V) {
  const fast = ty.enc(value);
  expect(Buffer.from(fast).toString("hex")).toBe(Buffer.from(ty.codec.enc(value)).toString("hex"));
  expect(ty.dec(fast)).toEqual(value);
}

const acct = new Uint8Array(32).fill(7);

describe("compiled SCALE encoder", () => {
  it("matches scale-ts for primitives, compacts, options, vectors and tuples", () => {
    for (const v of [0, 1, 63, 64, 16383, 16384, 2 ** 30 - 1, 2 ** 30, 2 ** 32 - 1]) same(T.compactU32, v);
    for (const v of [0n, 2n ** 64n - 1n, 2n ** 100n, 2n ** 128n - 1n]) same(T.compactU128, v);
    same(T.u128, 2n ** 127n + 5n);
    same(T.u64, 2n ** 63n);
    same(T.i32, -5);
    same(T.str, "héllo");
    same(T.option(T.u32), undefined);
    same(T.option(T.u32), 9);
    same(T.vec(T.tuple(T.bytes, T.u16)), [
      [new Uint8Array([1, 2]), 3],
      [new Uint8Array(0), 65535],
    ]);
    same(T.array(T.u16, 3), [1, 2, 3]);
    same(Weight, { ref_time: 12n, proof_size: 2n ** 40n });
  });

  it("matches scale-ts for enums, headers, accounts, calls and event records", () => {
    same(MultiAddress, { tag: "Id", value: acct });
    same(DigestItem, { tag: "PreRuntime", value: [new Uint8Array([1, 2, 3, 4]), new Uint8Array([9])] });
    same(Header, {
      parentHash: acct,
      number: 77,
      stateRoot: acct,
      extrinsicsRoot: acct,
      digest: {
        logs: [
          { tag: "Seal", value: [new Uint8Array(4), new Uint8Array(64)] },
          { tag: "RuntimeEnvironmentUpdated", value: undefined },
        ],
      },
    });
    same(AccountInfoReference, {
      nonce: 1,
      consumers: 2,
      providers: 3,
      sufficients: 4,
      data: { free: 5n, reserved: 6n, frozen: 7n, flags: 1n << 127n },
    });
    same(RuntimeCall, {
      tag: "Utility",
      value: {
        tag: "batch",
        value: {
          calls: [
            {
              tag: "Balances",
              value: { tag: "transfer_keep_alive", value: { dest: { tag: "Id", value: acct }, value: 10n ** 12n } },
            },
          ],
        },
      },
    });
    same(
      EventRecord as never,
      {
        phase: { tag: "ApplyExtrinsic", value: 3 },
        event: { tag: "Balances", value: { tag: "Transfer", value: { from: acct, to: acct, amount: 5n } } },
        topics: [],
      } as never,
    );
  });

  it("rejects values that do not fit their type", () => {
    expect(() => T.fixedBytes(32).enc(new Uint8Array(31))).toThrow();
    expect(() => MultiAddress.enc({ tag: "Nope", value: acct } as never)).toThrow();
  });
});
