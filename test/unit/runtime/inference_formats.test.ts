/**
 * The inference pallet's pure formats and its metadata: the output commitment's exact bytes (a node,
 * a CLI and worker/ build it), the integer-only clustering, and the calls as `@polkadot/types` sees them.
 */
import { beforeAll, describe, expect, it } from "@jest/globals";
import { Metadata, TypeRegistry } from "@polkadot/types";
import { blake2_256, cryptoReady } from "../../../primitives/hashing.js";
import { outputCommitment, squaredDistance } from "../../../primitives/inference.js";
import { metadataV14 } from "../../../runtime/metadata.js";
import { agreement, type InferenceProfileValue } from "../../../runtime/pallets/inference/index.js";
import { cid, hash, pk, salt } from "../../helpers/jobs.js";

beforeAll(async () => {
  await cryptoReady();
});

const GPU: InferenceProfileValue = { tag: "Gpu", value: { grid_e9: 1_000_000n } };

describe("inference formats", () => {
  it("the output commitment hashes SCALE((u64, AccountId32, H256, Vec<i32>, [u8; 32]))", () => {
    const provider = pk("W1");
    const bytes = new Uint8Array([
      ...[7, 0, 0, 0, 0, 0, 0, 0],
      ...provider,
      ...hash(5),
      ...[2 << 2],
      ...[1, 0, 0, 0],
      ...[0xff, 0xff, 0xff, 0xff],
      ...salt(9),
    ]);
    expect(outputCommitment(7n, provider, hash(5), [1, -1], salt(9))).toEqual(blake2_256(bytes));
  });

  it("clusters exactly: ties decide nothing, lengths must match, d² is compared in bigint", () => {
    const o = (fill: number, fingerprint: number[] = []) => ({
      output_cid: cid(fill),
      output_hash: hash(fill),
      fingerprint,
    });
    const cpu: InferenceProfileValue = { tag: "CpuExact" };
    expect(agreement(cpu, 0n, [o(1), o(2), o(1)], 2)).toEqual({ members: [0, 2], representative: 0 });
    expect(agreement(cpu, 0n, [o(1), o(2), o(1)], 3)).toBeUndefined();
    // Two groups of two: a tie.
    expect(agreement(cpu, 0n, [o(1), o(2), o(1), o(2)], 2)).toBeUndefined();
    expect(agreement(GPU, 10n, [o(1, [0, 0]), o(2, [0, 0, 0]), o(3, [0, 10])], 2)).toEqual({
      members: [0, 2],
      representative: 0,
    });
    // A chain a~b~c with a≁c: b's cluster holds all three.
    expect(agreement(GPU, 10n, [o(1, [0]), o(2, [10]), o(3, [20])], 2)).toEqual({
      members: [0, 1, 2],
      representative: 1,
    });
    const max = 2 ** 31 - 1;
    expect(squaredDistance([max, max], [-max - 1, -max - 1])).toBe(2n * (2n ** 32n - 1n) ** 2n);
  });

  it("is in the metadata at index 15 with its calls", () => {
    const registry = new TypeRegistry();
    const metadata = new Metadata(registry, metadataV14());
    registry.setMetadata(metadata);
    const names = [0, 1, 2, 3].map((i) => registry.findMetaCall(new Uint8Array([15, i])));
    expect(names.map((c) => c.method)).toEqual(["request", "commitOutput", "revealOutput", "refuse"]);
    expect(names[0].meta.args.map((a) => `${a.name}:${a.type}`)).toEqual([
      "modelCid:Bytes",
      "inputCid:Bytes",
      "replicas:u32",
      "quorum:u32",
      "maxBlocks:u32",
      "reward:Compact<u128>",
      "profile:PalletInferenceInferenceProfile",
      "tolerance:u64",
      "requirements:PalletInferenceInferenceRequirements",
    ]);
  });
});
