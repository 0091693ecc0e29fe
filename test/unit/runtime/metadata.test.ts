import { beforeAll, describe, expect, it } from "@jest/globals";
import { Metadata, TypeRegistry } from "@polkadot/types";
import { cryptoReady } from "../../../primitives/hashing.js";
import { PALLETS } from "../../../runtime/construct.js";
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
    expect(pallets).toEqual(PALLETS.map((p) => [p.name, p.index]));
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
