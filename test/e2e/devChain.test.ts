/**
 * A dev node in its own process, driven through the real @polkadot/api: what a Substrate user does.
 */
import "@polkadot/api-augment";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { ApiPromise, Keyring, WsProvider } from "@polkadot/api";
import type { SubmittableExtrinsic } from "@polkadot/api/types";
import type { KeyringPair } from "@polkadot/keyring/types";
import { cryptoWaitReady } from "@polkadot/util-crypto";
import { fromHex, toHex } from "../../primitives/hex.js";
import { verifyProof } from "../../primitives/trie/index.js";
import { UNITS } from "../../runtime/constants.js";
import { type RunningNode, rpcCall, startNode } from "../helpers/node.js";

let node: RunningNode;
let api: ApiPromise;
let alice: KeyringPair;
let bob: KeyringPair;
let charlie: KeyringPair;

beforeAll(async () => {
  await cryptoWaitReady();
  node = await startNode(["--dev", "--tmp", "--dev-block-time", "1000"]);
  api = await ApiPromise.create({ provider: new WsProvider(node.url), noInitWarn: true, throwOnConnect: true });
  const keyring = new Keyring({ type: "sr25519" });
  alice = keyring.addFromUri("//Alice");
  bob = keyring.addFromUri("//Bob");
  charlie = keyring.addFromUri("//Charlie");
}, 60_000);

afterAll(async () => {
  await api?.disconnect();
  await node?.stop();
});

type Status = "Ready" | "InBlock" | "Finalized" | "Invalid" | "Dropped" | "Future";

/** Signs, sends and follows a transaction until it is finalized; returns the statuses seen and the block. */
async function sendAndFinalize(
  tx: SubmittableExtrinsic<"promise">,
  signer: KeyringPair,
  options: Record<string, unknown> = {},
) {
  const statuses: Status[] = [];
  return new Promise<{ statuses: Status[]; blockHash: string; txHash: string }>((resolve, reject) => {
    tx.signAndSend(signer, options, (result) => {
      statuses.push(result.status.type as Status);
      if (result.status.isFinalized)
        resolve({ statuses, blockHash: result.status.asFinalized.toHex(), txHash: tx.hash.toHex() });
      if (result.status.isInvalid || result.status.isDropped || result.status.isUsurped)
        reject(new Error(`Transaction ${result.status.type}`));
    }).catch(reject);
  });
}

async function free(who: string): Promise<bigint> {
  const info = await api.query.system.account(who);
  return info.data.free.toBigInt();
}

describe("dev chain through @polkadot/api", () => {
  it("exposes constants and account storage", async () => {
    expect(api.consts.balances.existentialDeposit.toBigInt()).toBe(10n ** 9n);
    expect(api.consts.system.ss58Prefix.toNumber()).toBe(42);
    const info = await api.query.system.account(alice.address);
    expect(info.data.free.toBigInt()).toBeGreaterThan(0n);
    expect(info.nonce.toNumber()).toBeGreaterThanOrEqual(0);
    expect((await api.rpc.system.chain()).toString()).toBe("Development");
    const props = await api.rpc.system.properties();
    expect(props.tokenSymbol.unwrap()[0].toString()).toBe("TRAIN");
  });

  it("transfers with transferKeepAlive: Ready -> InBlock -> Finalized, exact amounts and fee", async () => {
    const amount = 12_345n * UNITS;
    const tx = api.tx.balances.transferKeepAlive(bob.address, amount);
    const info = await tx.paymentInfo(alice);
    const fee = info.partialFee.toBigInt();
    expect(fee).toBeGreaterThan(0n);
    const aliceBefore = await free(alice.address);
    const bobBefore = await free(bob.address);
    const { statuses, blockHash, txHash } = await sendAndFinalize(tx, alice);
    expect(statuses).toContain("Ready");
    expect(statuses).toContain("InBlock");
    expect(statuses.at(-1)).toBe("Finalized");
    expect(statuses.indexOf("Ready")).toBeLessThan(statuses.indexOf("InBlock"));

    const aliceAfter = (await (await api.at(blockHash)).query.system.account(alice.address)).data.free.toBigInt();
    const bobAfter = (await (await api.at(blockHash)).query.system.account(bob.address)).data.free.toBigInt();
    expect(bobAfter - bobBefore).toBe(amount);
    expect(aliceBefore - aliceAfter).toBe(amount + fee);

    // The block holds the exact bytes, and its events decode.
    const block = await api.rpc.chain.getBlock(blockHash);
    const index = block.block.extrinsics.findIndex((x) => x.hash.toHex() === txHash);
    expect(index).toBeGreaterThan(0);
    const events = await api.query.system.events.at(blockHash);
    const mine = events.filter((e) => e.phase.isApplyExtrinsic && e.phase.asApplyExtrinsic.toNumber() === index);
    const transfer = mine.find((e) => api.events.balances.Transfer.is(e.event));
    expect(transfer).toBeDefined();
    const [from, to, value] = transfer!.event.data as unknown as [
      { toString(): string },
      { toString(): string },
      { toBigInt(): bigint },
    ];
    expect(from.toString()).toBe(alice.address);
    expect(to.toString()).toBe(bob.address);
    expect(value.toBigInt()).toBe(amount);
    expect(mine.some((e) => api.events.system.ExtrinsicSuccess.is(e.event))).toBe(true);
    const paid = mine.find((e) => api.events.transactionPayment.TransactionFeePaid.is(e.event));
    expect((paid!.event.data[1] as unknown as { toBigInt(): bigint }).toBigInt()).toBe(fee);
  });

  it("accepts immortal and mortal transactions", async () => {
    const before = await free(charlie.address);
    await sendAndFinalize(api.tx.balances.transferKeepAlive(charlie.address, UNITS), bob, { era: 0 });
    await sendAndFinalize(api.tx.balances.transferKeepAlive(charlie.address, UNITS), bob, { era: 64 });
    expect((await free(charlie.address)) - before).toBe(2n * UNITS);
  });

  it("runs utility.batch of two transfers", async () => {
    const bobBefore = await free(bob.address);
    const charlieBefore = await free(charlie.address);
    const batch = api.tx.utility.batch([
      api.tx.balances.transferKeepAlive(bob.address, 3n * UNITS),
      api.tx.balances.transferKeepAlive(charlie.address, 5n * UNITS),
    ]);
    const { blockHash } = await sendAndFinalize(batch, alice);
    expect((await free(bob.address)) - bobBefore).toBe(3n * UNITS);
    expect((await free(charlie.address)) - charlieBefore).toBe(5n * UNITS);
    const events = await api.query.system.events.at(blockHash);
    expect(events.some((e) => api.events.utility.BatchCompleted.is(e.event))).toBe(true);
  });

  it("follows new heads with consecutive numbers and finalized heads", async () => {
    const numbers: number[] = [];
    const finalized: number[] = [];
    await new Promise<void>((resolve) => {
      let unsubHeads: (() => void) | undefined;
      void api.rpc.chain
        .subscribeNewHeads((h) => {
          numbers.push(h.number.toNumber());
          if (numbers.length >= 3) {
            unsubHeads?.();
            resolve();
          }
        })
        .then((u) => {
          unsubHeads = u;
        });
    });
    const unsubFinal = await api.rpc.chain.subscribeFinalizedHeads((h) => {
      finalized.push(h.number.toNumber());
    });
    await new Promise((r) => setTimeout(r, 1500));
    unsubFinal();
    for (let i = 1; i < numbers.length; i++) expect(numbers[i]).toBe(numbers[i - 1] + 1);
    expect(finalized.length).toBeGreaterThan(0);
  });

  it("lists entries of every storage map and shows call metadata", async () => {
    for (const section of Object.keys(api.query)) {
      for (const item of Object.keys(api.query[section])) {
        const query = api.query[section][item];
        if (query.creator.meta.type.isMap) {
          const entries = await query.entries();
          expect(Array.isArray(entries)).toBe(true);
        }
      }
    }
    expect((await api.query.system.account.entries()).length).toBeGreaterThanOrEqual(6);
    const meta = api.tx.balances.transferKeepAlive.meta;
    expect(meta.args.map((a) => a.name.toString())).toEqual(["dest", "value"]);
    expect(meta.args.map((a) => a.type.toString())).toEqual(["MultiAddress", "Compact<u128>"]);
    expect(meta.docs.length).toBeGreaterThan(0);
  });

  it("serves V15 metadata through the Metadata runtime API", async () => {
    const versions = await api.call.metadata.metadataVersions();
    expect(versions.map((v) => v.toNumber())).toEqual(expect.arrayContaining([14, 15]));
    const v15 = await api.call.metadata.metadataAtVersion(15);
    expect(v15.isSome).toBe(true);
  });

  it("returns a read proof for System.Account that verifies against the block's state root", async () => {
    const key = api.query.system.account.key(alice.address);
    const absent = api.query.system.account.key(new Keyring({ type: "sr25519" }).addFromUri("//Nobody").address);
    const proof = await api.rpc.state.getReadProof([key, absent]);
    const header = await api.rpc.chain.getHeader(proof.at);
    const values = verifyProof(
      fromHex(header.stateRoot.toHex()),
      proof.proof.map((p) => p.toU8a(true)),
      [fromHex(key), fromHex(absent)],
    );
    const stored = await api.rpc.state.getStorage(key, proof.at);
    expect(toHex(values.get(key as `0x${string}`)!)).toBe((stored as unknown as { toHex(): string }).toHex());
    expect(values.get(absent as `0x${string}`)).toBeNull();
  });

  it("payment_queryInfo agrees with the runtime API", async () => {
    const tx = api.tx.balances.transferKeepAlive(bob.address, UNITS);
    await tx.signAsync(alice);
    const viaRpc = (await rpcCall(node.httpUrl, "payment_queryInfo", [tx.toHex()])).result as {
      partialFee: string;
      class: string;
    };
    const viaApi = await api.call.transactionPaymentApi.queryInfo(tx.toU8a(), tx.encodedLength);
    expect(BigInt(viaRpc.partialFee)).toBe(viaApi.partialFee.toBigInt());
    expect(viaRpc.class).toBe("normal");
  });

  // Bad input that the pool rejects is covered in badInput.test.ts, against a manually sealed node whose
  // state root cannot move by itself; this one must be included in a block to fail.
  it("transfer below the existential deposit to a new account fails in the block with Balances.ExistentialDeposit", async () => {
    const keyring = new Keyring({ type: "sr25519" });
    const fresh = keyring.addFromUri("//Fresh");
    const { blockHash } = await sendAndFinalize(api.tx.balances.transferAllowDeath(fresh.address, 10n), alice);
    const events = await api.query.system.events.at(blockHash);
    const failed = events.find((e) => api.events.system.ExtrinsicFailed.is(e.event));
    expect(failed).toBeDefined();
    const dispatchError = failed!.event.data[0] as unknown as { isModule: boolean; asModule: unknown };
    expect(dispatchError.isModule).toBe(true);
    const decoded = api.registry.findMetaError(dispatchError.asModule as never);
    expect(`${decoded.section}.${decoded.name}`).toBe("balances.ExistentialDeposit");
    expect(await free(fresh.address)).toBe(0n);
  });
});
