import { beforeAll, describe, expect, it } from "@jest/globals";
import { Metadata, TypeRegistry } from "@polkadot/types";
import { cryptoReady } from "../../../primitives/hashing.js";
import { runtimePallets } from "../../../runtime/construct.js";
import { metadataV14, metadataV15 } from "../../../runtime/metadata.js";

beforeAll(async () => {
  await cryptoReady();
});

function decode(bytes: Uint8Array) {
  const registry = new TypeRegistry();
  const metadata = new Metadata(registry, bytes);
  registry.setMetadata(metadata);
  return { registry, metadata };
}

describe("runtime metadata", () => {
  it("V14 decodes with @polkadot/types and lists every pallet at its index", () => {
    const { metadata } = decode(metadataV14());
    expect(metadata.version).toBe(14);
    const pallets = metadata.asLatest.pallets.map((p) => [p.name.toString(), p.index.toNumber()]);
    expect(pallets).toEqual(runtimePallets().map((p) => [p.name, p.index]));
  });

  it("V15 decodes and carries the runtime APIs and outer enums", () => {
    const { metadata } = decode(metadataV15());
    expect(metadata.version).toBe(15);
    const v15 = metadata.asV15;
    expect(v15.apis.map((a) => a.name.toString())).toEqual(
      expect.arrayContaining(["Core", "Metadata", "TransactionPaymentApi", "TaggedTransactionQueue"]),
    );
  });

  it("exposes calls with argument names, types and docs", () => {
    const { registry } = decode(metadataV14());
    const transfer = registry.findMetaCall(new Uint8Array([2, 3]));
    expect(transfer.method).toBe("transferKeepAlive");
    expect(transfer.meta.args.map((a) => a.name.toString())).toEqual(["dest", "value"]);
    expect(transfer.meta.docs.length).toBeGreaterThan(0);
  });

  it("resolves module errors to their names and docs", () => {
    const { registry } = decode(metadataV14());
    const err = registry.findMetaError(new Uint8Array([2, 2]));
    expect(`${err.section}.${err.name}`).toBe("balances.InsufficientBalance");
  });
});

describe("strict decoding", () => {
  it("decodes values that are views into a larger Node Buffer (LevelDB returns pooled Buffers)", async () => {
    const { T } = await import("../../../primitives/scale/types.js");
    const pool = Buffer.alloc(64, 0xee);
    pool.writeBigUInt64LE(123456789n, 8);
    expect(T.u64.dec(pool.subarray(8, 16))).toBe(123456789n);
  });

  it("rejects trailing bytes and truncated input with typed errors", async () => {
    const { T, CodecError } = await import("../../../primitives/scale/types.js");
    expect(() => T.u32.dec(new Uint8Array([1, 2, 3, 4, 5]))).toThrow(CodecError);
    expect(() => T.bytes.dec(new Uint8Array([8, 1]))).toThrow(CodecError);
    expect(() => T.option(T.u8).dec(new Uint8Array([2, 1]))).toThrow(CodecError);
  });
});
