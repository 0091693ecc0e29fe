/**
 * Equivocations are slashed on chain. A 4-validator devnet of real processes (the `devnet` spec) and a
 * rogue libp2p peer in this process that holds two dev keys, as anyone can: it re-seals a block that
 * //Dave authored with other contents (a second header for Dave's slot), and signs two different
 * prevotes for one round with //Charlie's GRANDPA key. The validators detect both, report them as
 * unsigned `Offences.report_equivocation` extrinsics, and the chain slashes exactly `SlashFraction` of
 * each offender's exposure.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { ApiPromise, WsProvider } from "@polkadot/api";
import { BABE_ENGINE_ID, findPreDigest } from "../../consensus/babe/digests.js";
import { decodeFinalityGossip, encodeGossipVote, type SignedVote, signVote } from "../../consensus/grandpa/messages.js";
import { hashHeader, splitSeal } from "../../consensus/header.js";
import { DEVNET_VALIDATORS } from "../../genesis/chainSpec.js";
import type { Block } from "../../node/chain/types.js";
import { decodeBlock, encodeBlock } from "../../node/network/codec.js";
import { createP2pHost, type P2pHost } from "../../p2p/index.js";
import { withP2pDefaults } from "../../p2p/options.js";
import { keypairFromSuri, verifySr25519 } from "../../primitives/crypto/index.js";
import { blake2_256, cryptoReady } from "../../primitives/hashing.js";
import { fromHex, type HexString, toHex } from "../../primitives/hex.js";
import type { HeaderValue } from "../../primitives/types.js";
import { reseal } from "../helpers/equivocation.js";
import { devNodeSpec, type NetworkNodeSpec, type RunningNode, rpc, startNetwork, waitFor } from "../helpers/node.js";

const PERBILL = 1_000_000_000n;
/** The devnet's slash fraction: the staking genesis default, 10%. */
const DEVNET_SLASH_FRACTION = 100_000_000n;

const daveBabe = keypairFromSuri("//Dave", "sr25519");
const charlieGrandpa = keypairFromSuri("//Charlie", "ed25519");
const stash = (name: string) => toHex(keypairFromSuri(`//${name}`, "sr25519").publicKey);

let dir: string;
let nodes: RunningNode[] = [];
let rogue: P2pHost | undefined;
let api: ApiPromise | undefined;
let genesis: Uint8Array;
/** What the rogue prevotes for: genesis and block 1, which honest voters left behind long ago (an
 * honest prevote is never byte-identical to a rogue one, which gossip would drop as a duplicate). */
let rogueTargets: { hash: Uint8Array; number: number }[] = [];

/**
 * What the rogue peer did. Once armed it misbehaves as soon as it hears what it needs, so that Dave's
 * block is not final yet when the second one arrives (a final block's slot is no longer checked).
 */
const acts: {
  armed: boolean;
  forged?: { original: Block; header: HeaderValue; sentTo: Promise<number> };
  prevotes?: { votes: SignedVote[]; sentTo: Promise<number[]> };
} = { armed: false };

/** (a) BABE: Dave's block with another state root, sealed again with Dave's key. */
function forgeDaveBlock(host: P2pHost, original: Block): void {
  const header = reseal(original.header, daveBabe, { stateRoot: blake2_256(new TextEncoder().encode("forged")) });
  const sentTo = host.publish(host.topics.blocks, encodeBlock({ header, extrinsics: original.extrinsics }));
  acts.forged = { original, header, sentTo };
}

/** (b) GRANDPA: two prevotes by Charlie's key, for two different blocks, in the round being voted. */
function doublePrevote(host: P2pHost, heard: SignedVote): void {
  const votes = rogueTargets.map((t) => signVote(charlieGrandpa, "Prevote", t, heard.round, heard.setId));
  const sentTo = Promise.all(votes.map((v) => host.publish(host.topics.finality, encodeGossipVote(v))));
  acts.prevotes = { votes, sentTo };
}

function onRogueGossip(topic: string, data: Uint8Array): "ignore" {
  const host = rogue;
  if (!host || !acts.armed) return "ignore";
  if (topic === host.topics.blocks && !acts.forged) {
    const block = decodeBlock(data);
    if (sealedByDave(block)) forgeDaveBlock(host, block);
  } else if (topic === host.topics.finality && !acts.prevotes) {
    // The finality topic carries votes and commits; a vote tells the round being voted.
    const message = decodeFinalityGossip(data);
    if (message.kind === "vote") doublePrevote(host, message.vote);
  }
  return "ignore";
}

/** Whether Dave's BABE key sealed the block. */
function sealedByDave(block: Block): boolean {
  const sealed = splitSeal(block.header, BABE_ENGINE_ID);
  return sealed !== undefined && verifySr25519(sealed.seal, hashHeader(sealed.preHeader), daveBabe.publicKey);
}

beforeAll(async () => {
  await cryptoReady();
  dir = mkdtempSync(join(tmpdir(), "tensorchain-equivocation-"));
  const specs: NetworkNodeSpec[] = await Promise.all(DEVNET_VALIDATORS.map((name) => devNodeSpec(name, dir)));
  nodes = await startNetwork(specs);
  genesis = fromHex(await rpc<HexString>(nodes[0]!, "chain_getBlockHash", [0]));
  rogue = await createP2pHost(
    withP2pDefaults({
      listenAddrs: ["/ip4/127.0.0.1/tcp/0"],
      allowPrivateAddresses: true,
      enableDht: false,
      bootnodes: specs.map((s) => `/ip4/127.0.0.1/tcp/${s.p2pPort}/p2p/${s.peerId}`),
    }),
    {
      genesisHash: genesis,
      handlers: {
        onStatusRequest: () => ({
          genesisHash: genesis,
          best: { number: 0, hash: genesis },
          finalized: { number: 0, hash: genesis },
          roles: ["full"],
        }),
        onBlocksRequest: () => [],
        onJustificationRequest: () => undefined,
        onGossip: onRogueGossip,
      },
    },
  );
  await rogue.start();
  api = await ApiPromise.create({ provider: new WsProvider(nodes[0]!.url), noInitWarn: true, throwOnConnect: true });
}, 60_000);

afterAll(async () => {
  await api?.disconnect();
  await rogue?.stop();
  await Promise.all(nodes.map((n) => n.stop()));
  rmSync(dir, { recursive: true, force: true });
});

interface FoundOffence {
  block: HexString;
  parent: HexString;
  offender: HexString;
  kind: string;
  era: number;
  slashFraction: bigint;
  slashed: bigint;
}

/** `Offences.OffenceReported` events along the finalized chain of node 0, from block `from`. */
async function offencesFrom(from: number): Promise<FoundOffence[]> {
  const a = api!;
  const finalized = await a.rpc.chain.getHeader(await a.rpc.chain.getFinalizedHead());
  const out: FoundOffence[] = [];
  for (let n = from; n <= finalized.number.toNumber(); n++) {
    const hash = await a.rpc.chain.getBlockHash(n);
    const header = await a.rpc.chain.getHeader(hash);
    for (const { event } of await a.query.system.events.at(hash)) {
      if (!a.events.offences.OffenceReported.is(event)) continue;
      const d = event.data.toJSON() as [string, string, number, number, number, number | string];
      out.push({
        block: hash.toHex(),
        parent: header.parentHash.toHex(),
        offender: toHex(a.createType("AccountId", d[0]).toU8a()),
        kind: d[1],
        era: d[3],
        slashFraction: BigInt(d[4]),
        slashed: BigInt(d[5]),
      });
    }
  }
  return out;
}

/** The bonded total of a stash at a block. */
async function bondedAt(block: HexString, who: HexString): Promise<bigint> {
  const ledger = await api!.query.staking.ledger.at(block, who);
  return BigInt((ledger.toJSON() as { total: number | string }).total);
}

describe("equivocations on a 4-validator devnet", () => {
  it("a second block for Dave's slot and two prevotes by Charlie in one round are slashed on chain", async () => {
    const host = rogue!;
    await waitFor(
      () => (host.topicPeers(host.topics.blocks).length >= 3 ? true : undefined),
      30_000,
      "rogue peer meshed",
    );
    await waitFor(
      async () => {
        const head = await rpc<HexString>(nodes[0]!, "chain_getFinalizedHead");
        return Number((await rpc<{ number: string }>(nodes[0]!, "chain_getHeader", [head])).number) >= 2 || undefined;
      },
      60_000,
      "block 2 finalized",
    );
    rogueTargets = [
      { hash: genesis, number: 0 },
      { hash: fromHex(await rpc<HexString>(nodes[0]!, "chain_getBlockHash", [1])), number: 1 },
    ];
    const start = Number((await rpc<{ number: string }>(nodes[0]!, "chain_getHeader")).number);
    acts.armed = true;
    const { forged, prevotes } = await waitFor(
      () => (acts.forged && acts.prevotes ? { forged: acts.forged, prevotes: acts.prevotes } : undefined),
      60_000,
      "a block by Dave and a finality vote to answer",
    );
    expect(findPreDigest(forged.header).value.slot).toBe(findPreDigest(forged.original.header).value.slot);
    expect(await forged.sentTo).toBeGreaterThan(0);
    expect(prevotes.votes[0]!.target.hash).not.toEqual(prevotes.votes[1]!.target.hash);
    expect(Math.min(...(await prevotes.sentTo))).toBeGreaterThan(0);

    // Both offences land on the finalized chain.
    const offences = await waitFor(
      async () => {
        const found = await offencesFrom(start);
        const dave = found.find((o) => o.offender === stash("Dave"));
        const charlie = found.find((o) => o.offender === stash("Charlie"));
        return dave && charlie ? { dave, charlie } : undefined;
      },
      60_000,
      "both offences on the finalized chain",
    ).catch(async (err: Error) => {
      // Say where each node stood, and what the nodes warned about, to tell a stall from a lost report.
      const lines: string[] = [];
      for (const n of nodes) {
        const best = await rpc<{ number: string }>(n, "chain_getHeader");
        const head = await rpc<HexString>(n, "chain_getFinalizedHead");
        const finalized = await rpc<{ number: string }>(n, "chain_getHeader", [head]);
        lines.push(`node ${n.port}: best ${Number(best.number)}, finalized ${Number(finalized.number)}`);
        lines.push(
          ...n
            .output()
            .split("\n")
            .filter((l) => / (WARN|ERROR) /.test(l)),
        );
      }
      throw new Error(`${err.message}\n${lines.join("\n")}`);
    });
    expect(offences.dave.kind).toBe("BlockEquivocation");
    expect(offences.charlie.kind).toBe("VoteEquivocation");

    // Each stake dropped by exactly the configured fraction of the offender's exposure in that era.
    for (const o of [offences.dave, offences.charlie]) {
      expect(o.slashFraction).toBe(DEVNET_SLASH_FRACTION);
      const exposure = (await api!.query.staking.erasStakers.at(o.parent, o.era, o.offender)).toJSON() as {
        own: number | string;
        others: unknown[];
      };
      expect(exposure.others).toEqual([]);
      const expected = (BigInt(exposure.own) * DEVNET_SLASH_FRACTION) / PERBILL;
      expect(expected).toBeGreaterThan(0n);
      expect(o.slashed).toBe(expected);
      // Era rewards are staked: add any paid to the offender in the same block.
      let rewarded = 0n;
      for (const { event } of await api!.query.system.events.at(o.block)) {
        if (!api!.events.staking.Rewarded.is(event)) continue;
        const [who, , amount] = event.data.toJSON() as [string, unknown, number | string];
        if (toHex(api!.createType("AccountId", who).toU8a()) === o.offender) rewarded += BigInt(amount);
      }
      expect(await bondedAt(o.block, o.offender)).toBe((await bondedAt(o.parent, o.offender)) - expected + rewarded);
    }
    // The validators that saw each offence said so, in one structured line each.
    const logs = nodes.map((n) => n.output()).join("\n");
    expect(logs).toMatch(new RegExp(`Equivocation reported kind=babe offender=${stash("Dave")}`));
    expect(logs).toMatch(
      new RegExp(`Equivocation reported kind=grandpa offender=${toHex(charlieGrandpa.publicKey)} setId=\\d+ round=`),
    );
    // One report per offence made it on chain, though every validator that saw it may have submitted one.
    const all = await offencesFrom(start);
    expect(all.filter((o) => o.offender === stash("Dave"))).toHaveLength(1);
    expect(all.filter((o) => o.offender === stash("Charlie"))).toHaveLength(1);
  }, 150_000);
});
