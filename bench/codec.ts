/**
 * The codec choice for the hot path, by measurement: decoding a signed transfer extrinsic and an
 * `AccountInfo`, with @polkadot/types (generic, metadata-driven), with scale-ts codecs declared through
 * our type DSL, and with the hand-written fast paths the runtime uses.
 *
 *   npm run bench -- codec
 */
import { Metadata, TypeRegistry } from "@polkadot/types";
import { signExtrinsic } from "../node/extrinsicBuilder.js";
import { keypairFromSuri } from "../primitives/crypto/index.js";
import { cryptoReady } from "../primitives/hashing.js";
import { metadataV14, parseExtrinsic, RuntimeCall } from "../runtime/index.js";
import { AccountInfoReference, AccountInfoTy } from "../runtime/pallets/system.js";

function measure(label: string, iterations: number, fn: () => unknown): number {
  for (let i = 0; i < Math.min(1000, iterations); i++) fn();
  const start = performance.now();
  for (let i = 0; i < iterations; i++) fn();
  const us = ((performance.now() - start) * 1000) / iterations;
  console.log(`  ${label.padEnd(52)} ${us.toFixed(2).padStart(8)} µs/op`);
  return us;
}

export async function runCodecBench(): Promise<void> {
  await cryptoReady();
  const alice = keypairFromSuri("//Alice");
  const bob = keypairFromSuri("//Bob");
  const genesisHash = new Uint8Array(32).fill(7);
  const tx = signExtrinsic(
    {
      tag: "Balances",
      value: { tag: "transfer_keep_alive", value: { dest: { tag: "Id", value: bob.publicKey }, value: 10n ** 12n } },
    },
    alice,
    { nonce: 5, genesisHash },
  );
  const registry = new TypeRegistry();
  registry.setMetadata(new Metadata(registry, metadataV14()));

  console.log("extrinsic decode (signed transfer_keep_alive):");
  const pjs = measure(
    "@polkadot/types createType('Extrinsic')",
    20_000,
    () => registry.createType("Extrinsic", tx).method.args,
  );
  const fast = measure("hand-written parseExtrinsic + scale-ts RuntimeCall", 200_000, () =>
    RuntimeCall.dec(parseExtrinsic(tx).callBytes),
  );
  console.log(`  ratio: ${(pjs / fast).toFixed(1)}x faster with the fast path`);

  const info = {
    nonce: 3,
    consumers: 0,
    providers: 1,
    sufficients: 0,
    data: { free: 10n ** 18n, reserved: 5n, frozen: 0n, flags: 1n << 127n },
  };
  const bytes = AccountInfoTy.enc(info);
  console.log("AccountInfo decode + encode:");
  const pjsInfo = measure("@polkadot/types AccountInfo", 50_000, () =>
    registry.createType("AccountInfo", bytes).toU8a(),
  );
  const declared = measure("declared type (compiled encoder, scale-ts decoder)", 200_000, () =>
    AccountInfoReference.enc(AccountInfoReference.dec(bytes)),
  );
  const hand = measure("hand-written fixed-layout fast path", 500_000, () =>
    AccountInfoTy.enc(AccountInfoTy.dec(bytes)),
  );
  console.log(
    `  ratios: fast path ${(pjsInfo / hand).toFixed(1)}x @polkadot/types, ${(declared / hand).toFixed(1)}x the declared type`,
  );
}
