/**
 * Bad peers against a live devnet: the four `devnet` validators run as processes until finality runs,
 * then //Dave's node stops (so that this process can sign with //Dave's BABE key without making //Dave
 * equivocate) and three go on; a rogue libp2p peer, built here with the project's own p2p host, dials
 * //Alice and gossips on the blocks topic:
 *   - malformed bytes                        -> report `invalidMessage`
 *   - a message above a topic's size limit    -> report `oversized` (on the transactions topic, 1 MiB,
 *     well inside gossipsub's frame limit, so that the node's own size check sees it)
 *   - a block with a bad seal                -> `BABE_ERROR_BAD_SEAL`
 *   - a block validly sealed by //Dave, slot and entitlement right, but a wrong state root
 *                                            -> `BLOCK_ERROR_STATE_ROOT_MISMATCH`
 *   - a block whose slot is beyond the allowed clock drift -> `BABE_ERROR_FUTURE_SLOT`
 *   - a block whose parent nobody has (the rogue cannot serve it) -> `BLOCK_ERROR_UNKNOWN_PARENT`
 * Each comes from a fresh rogue (a new peer id), so that each one's reputation drop is seen alone in
 * `system_peers`; a last rogue sends bad blocks until it is banned and disconnected. Throughout, the
 * network keeps producing and finalizing blocks, and no bad block enters any node's chain.
 *
 * The forged blocks are built like a real author builds them: the parent's state is read over RPC
 * (`state_getKeysPaged` + `state_queryStorageAt`) into a trie whose root must equal the parent's state
 * root, then the BABE epoch, the slot claim and the body come from the node's own code.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import {
  type BabeEpoch,
  claimSlot,
  currentSlot,
  headerSlot,
  preDigestItem,
  sealHeader,
  sealItem,
} from "../../consensus/babe/index.js";
import { hashHeader } from "../../consensus/header.js";
import { DEVNET_VALIDATORS, devPeerId } from "../../genesis/chainSpec.js";
import { propose } from "../../node/authoring/proposer.js";
import { BABE_SLOT_DURATION_MS } from "../../node/chain/babeVerifier.js";
import { RuntimeView } from "../../node/chain/runtimeView.js";
import type { Block, BlockRef } from "../../node/chain/types.js";
import { encodeBlock } from "../../node/network/codec.js";
import { createP2pHost, generateNodeKey, MiB, type P2pHost, withP2pDefaults } from "../../p2p/index.js";
import { defaultSignatureChecker, type KeyPair, keypairFromSuri } from "../../primitives/crypto/index.js";
import { cryptoReady } from "../../primitives/hashing.js";
import { bytesEqual, fromHex, type HexString, toHex } from "../../primitives/hex.js";
import { nullLogger } from "../../primitives/logger.js";
import { Trie } from "../../primitives/trie/index.js";
import { DigestItem, type HeaderValue } from "../../primitives/types.js";
import {
  bestNumber,
  devNodeSpec,
  finalizedNumber,
  type NetworkNodeSpec,
  type RunningNode,
  rpc,
  startNetwork,
  waitFor,
} from "../helpers/node.js";

/** The node's limit for the transactions topic (`defaultP2pLimits.gossipTransactionsBytes`). */
const GOSSIP_TRANSACTIONS_LIMIT = 1 * MiB;
/** `defaultBabeOptions.maxDriftSlots`. */
const MAX_DRIFT_SLOTS = 2n;
const LOG_FILTER = "info,network=debug,sync=debug,network/p2p/p2p=debug";

let dir: string;
/** Every node started, //Dave's included (stopped early); `nodes` are the three that stay up. */
let allNodes: RunningNode[] = [];
let nodes: RunningNode[];
let alice: RunningNode;
let aliceAddr: string;
let genesisHash: Uint8Array;
const dave = keypairFromSuri("//Dave", "sr25519");
const rogues: P2pHost[] = [];
/** Hashes of every forged block: none may ever be in a node's chain. */
const forged: HexString[] = [];

interface HeaderJson {
  parentHash: HexString;
  number: HexString;
  stateRoot: HexString;
  extrinsicsRoot: HexString;
  digest: { logs: HexString[] };
}

function headerFromJson(h: HeaderJson): HeaderValue {
  return {
    parentHash: fromHex(h.parentHash),
    number: Number(h.number),
    stateRoot: fromHex(h.stateRoot),
    extrinsicsRoot: fromHex(h.extrinsicsRoot),
    digest: { logs: h.digest.logs.map((l) => DigestItem.dec(fromHex(l))) },
  };
}

/** The full state of a block, read over RPC, as a trie whose root must be the block's state root. */
async function stateOf(hash: HexString, header: HeaderValue): Promise<Trie> {
  const keys: HexString[] = [];
  for (;;) {
    const page = await rpc<HexString[]>(alice, "state_getKeysPaged", ["0x", 1000, keys.at(-1) ?? null, hash]);
    keys.push(...page);
    if (page.length < 1000) break;
  }
  const [{ changes }] = await rpc<{ changes: [HexString, HexString | null][] }[]>(alice, "state_queryStorageAt", [
    keys,
    hash,
  ]);
  const trie = Trie.fromEntries(changes.map(([k, v]) => [fromHex(k), fromHex(v ?? "0x")] as const));
  expect(toHex(trie.root)).toBe(toHex(header.stateRoot));
  return trie;
}

interface Parent {
  ref: BlockRef;
  header: HeaderValue;
  runtime: RuntimeView;
  /** The BABE epoch of the parent's child. */
  epoch: BabeEpoch;
  slot: bigint;
}

/** //Alice's best block now, with its state and the epoch its child belongs to. */
async function bestParent(): Promise<Parent> {
  const hash = await rpc<HexString>(alice, "chain_getBlockHash");
  const header = headerFromJson(await rpc<HeaderJson>(alice, "chain_getHeader", [hash]));
  const state = await stateOf(hash, header);
  const ref: BlockRef = { hash: fromHex(hash), hashHex: hash, number: header.number, header };
  const runtime = new RuntimeView(ref, state, { signatures: defaultSignatureChecker, genesisHash });
  return {
    ref,
    header,
    runtime,
    epoch: runtime.babeEpoch(),
    slot: headerSlot(header) ?? 0n,
  };
}

function daveIndex(epoch: BabeEpoch): number {
  const i = epoch.authorities.findIndex((a) => bytesEqual(a.publicKey, dave.publicKey));
  expect(i).toBeGreaterThanOrEqual(0);
  return i;
}

/**
 * A block on `parent` at `slot` with //Dave's pre-digest (his claim when he has one, else a secondary
 * one in his name) and a real body; `mutate` edits the unsealed header; sealed by `sealWith`, or with
 * 64 random bytes when it is undefined.
 */
function forge(
  parent: Parent,
  slot: bigint,
  opts: { sealWith?: KeyPair; mutate?: (h: HeaderValue) => HeaderValue } = {},
): Block {
  const claim = claimSlot(slot, parent.epoch, [dave]);
  const preDigest = claim
    ? preDigestItem(claim.preDigest)
    : preDigestItem({ tag: "SecondaryPlain", value: { authority_index: daveIndex(parent.epoch), slot } });
  const proposal = propose(
    {
      parent: parent.runtime,
      timestamp: slot * BigInt(BABE_SLOT_DURATION_MS),
      preDigest: [preDigest],
      deadlineReached: () => false,
    },
    {
      pool: { ready: () => [], reportInvalid: () => {} },
      signatures: defaultSignatureChecker,
      genesisHash,
      logger: nullLogger,
    },
  );
  const unsealed = opts.mutate ? opts.mutate(proposal.header) : proposal.header;
  const header = opts.sealWith
    ? sealHeader(unsealed, opts.sealWith)
    : { ...unsealed, digest: { logs: [...unsealed.digest.logs, sealItem(randomBytes(64))] } };
  forged.push(toHex(hashHeader(header)));
  return { header, extrinsics: proposal.extrinsics };
}

const nowSlot = () => currentSlot(Date.now(), BABE_SLOT_DURATION_MS);

/** A rogue peer: the project's p2p host that claims to be at genesis, serves nothing and judges nothing. */
async function startRogue(): Promise<P2pHost> {
  const host = await createP2pHost(
    withP2pDefaults({
      nodeKey: generateNodeKey(),
      listenAddrs: ["/ip4/127.0.0.1/tcp/0"],
      allowPrivateAddresses: true,
      enableDht: false,
      minPeers: 0,
      // Its own limit is raised so that it may publish what the node must refuse.
      limits: { gossipTransactionsBytes: 2 * GOSSIP_TRANSACTIONS_LIMIT },
    }),
    {
      genesisHash,
      handlers: {
        onStatusRequest: () => ({
          genesisHash,
          best: { number: 0, hash: genesisHash },
          finalized: { number: 0, hash: genesisHash },
          roles: ["full"],
        }),
        onBlocksRequest: () => [],
        onJustificationRequest: () => undefined,
        onGossip: () => "ignore",
      },
    },
  );
  rogues.push(host);
  await host.start();
  await host.dial(aliceAddr);
  const id = host.peerId.toString();
  const aliceId = await devPeerId("Alice");
  await waitFor(async () => (await peerEntry(id)) !== undefined || undefined, 15_000, "//Alice to list the rogue");
  await waitFor(() => host.topicPeers(host.topics.blocks).includes(aliceId) || undefined, 15_000, "//Alice on blocks");
  await new Promise((r) => setTimeout(r, 1200)); // one gossipsub heartbeat: the rogue's mesh holds //Alice
  return host;
}

interface PeerJson {
  peerId: string;
  roles: string;
  bestHash: HexString;
  bestNumber: number;
  reputation: number;
}

async function peerEntry(peerId: string): Promise<PeerJson | undefined> {
  return (await rpc<PeerJson[]>(alice, "system_peers")).find((p) => p.peerId === peerId);
}

/**
 * Starts a fresh rogue, has it gossip what `build` makes (built only now, on the current best block),
 * and waits for //Alice to log `logLine`; then the rogue must be listed with a negative reputation.
 * A block built on the best block can still be finalized away (a sibling finalized) before //Alice sees
 * it; such a stale block is ignored without a cost, as in Substrate, so it is built again, a few times.
 */
async function sendBad(
  build: () => Promise<Uint8Array> | Uint8Array,
  logLine: (id: string) => string,
  topic: "blocks" | "transactions" = "blocks",
): Promise<{ rogue: P2pHost; reputation: number }> {
  const rogue = await startRogue();
  const id = rogue.peerId.toString();
  expect((await peerEntry(id))?.reputation).toBe(0);
  const line = logLine(id);
  for (let attempt = 0; ; attempt++) {
    expect(await rogue.publish(rogue.topics[topic], await build())).toBeGreaterThanOrEqual(1);
    try {
      await waitFor(() => alice.output().includes(line) || undefined, 8_000, `//Alice to log "${line}"`);
      break;
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
  const entry = await peerEntry(id);
  expect(entry).toBeDefined();
  expect(entry!.reputation).toBeLessThan(0);
  return { rogue, reputation: entry!.reputation };
}

const rejectedBlock = (reason: string) => (id: string) => `Rejected gossiped block peerId=${id} reason=${reason}`;
const reported = (kind: string) => (id: string) => `Peer reputation changed peerId=${id} kind=${kind}`;

beforeAll(async () => {
  await cryptoReady();
  dir = mkdtempSync(join(tmpdir(), "tensorchain-badpeers-"));
  const specs: NetworkNodeSpec[] = await Promise.all(DEVNET_VALIDATORS.map((name) => devNodeSpec(name, dir)));
  // All four start, so that the first GRANDPA rounds do not need every vote; once finality runs, //Dave
  // stops (3 of 4 still finalize) and his BABE key is free for this process to sign with.
  allNodes = await startNetwork(specs, { extra: ["--log", LOG_FILTER] });
  alice = allNodes[0]!;
  await waitFor(async () => (await finalizedNumber(alice)) >= 2 || undefined, 60_000, "finality on the devnet");
  await allNodes[3]!.stop();
  nodes = allNodes.slice(0, 3);
  aliceAddr = `/ip4/127.0.0.1/tcp/${specs[0]!.p2pPort}/p2p/${specs[0]!.peerId}`;
  genesisHash = fromHex(await rpc<HexString>(alice, "chain_getBlockHash", [0]));
  // Finality goes on without //Dave, and //Dave's last block (if any was in flight) has arrived.
  const f = await finalizedNumber(alice);
  await waitFor(async () => (await finalizedNumber(alice)) >= f + 2 || undefined, 60_000, "finality without //Dave");
}, 90_000);

afterAll(async () => {
  await Promise.all(rogues.map((r) => r.stop().catch(() => {})));
  await Promise.all(allNodes.map((n) => n.stop()));
  rmSync(dir, { recursive: true, force: true });
});

describe("bad peers", () => {
  it("malformed gossip: rejected as an invalid message, the sender's reputation drops", async () => {
    await sendBad(() => Uint8Array.from([0xde, 0xad, 0xbe, 0xef, 0xff, 0xff]), reported("invalidMessage"));
  }, 60_000);

  it("oversized gossip: rejected before decoding, the sender's reputation drops", async () => {
    // On the transactions topic (1 MiB), well inside gossipsub's frame limit (the largest topic limit,
    // 4 MiB, plus the framing allowance): the message reaches the node's own size check.
    const { reputation } = await sendBad(
      () => randomBytes(GOSSIP_TRANSACTIONS_LIMIT + 1024),
      reported("oversized"),
      "transactions",
    );
    expect(reputation).toBeLessThanOrEqual(-(1 << 19));
  }, 60_000);

  it("a block with a bad seal: BABE_ERROR_BAD_SEAL", async () => {
    const { reputation } = await sendBad(async () => {
      const parent = await bestParent();
      return encodeBlock(forge(parent, parent.slot >= nowSlot() ? parent.slot + 1n : nowSlot()));
    }, rejectedBlock("BABE_ERROR_BAD_SEAL"));
    expect(reputation).toBeLessThanOrEqual(-(1 << 28));
  }, 60_000);

  it("a validly sealed block with a wrong state root: BLOCK_ERROR_STATE_ROOT_MISMATCH", async () => {
    // A slot //Dave is entitled to (primary or secondary), after the parent's and within the drift.
    const daveBlock = async () => {
      const { parent, slot } = await waitFor(
        async () => {
          const p = await bestParent();
          for (let s = p.slot + 1n; s <= nowSlot() + MAX_DRIFT_SLOTS; s++) {
            if (claimSlot(s, p.epoch, [dave])) return { parent: p, slot: s };
          }
          return undefined;
        },
        60_000,
        "a slot of //Dave's",
      );
      const block = forge(parent, slot, { sealWith: dave, mutate: (h) => ({ ...h, stateRoot: randomBytes(32) }) });
      return encodeBlock(block);
    };
    const { reputation } = await sendBad(daveBlock, rejectedBlock("BLOCK_ERROR_STATE_ROOT_MISMATCH"));
    expect(reputation).toBeLessThanOrEqual(-(1 << 28));
  }, 90_000);

  it("a block whose slot is beyond the allowed drift: BABE_ERROR_FUTURE_SLOT", async () => {
    const { reputation } = await sendBad(async () => {
      const parent = await bestParent();
      return encodeBlock(forge(parent, nowSlot() + MAX_DRIFT_SLOTS + 10n, { sealWith: dave }));
    }, rejectedBlock("BABE_ERROR_FUTURE_SLOT"));
    expect(reputation).toBeLessThanOrEqual(-(1 << 28));
  }, 60_000);

  it("a block with an unknown parent the sender cannot serve: BLOCK_ERROR_UNKNOWN_PARENT", async () => {
    const { reputation } = await sendBad(
      async () => {
        const parent = await bestParent();
        const block = forge(parent, nowSlot() + 1n, {
          sealWith: dave,
          mutate: (h) => ({ ...h, parentHash: randomBytes(32) }),
        });
        return encodeBlock(block);
      },
      (id) => `Peer could not serve the parent of its block peerId=${id} reason=BLOCK_ERROR_UNKNOWN_PARENT`,
    );
    expect(reputation).toBeLessThanOrEqual(-(1 << 28));
  }, 60_000);

  it("enough bad blocks get the sender disconnected and banned", async () => {
    const rogue = await startRogue();
    const id = rogue.peerId.toString();
    const banned = `Banned peer peerId=${id}`;
    for (let i = 0; i < 10 && !alice.output().includes(banned); i++) {
      const parent = await bestParent();
      const slot = parent.slot >= nowSlot() ? parent.slot + 1n : nowSlot();
      await rogue.publish(rogue.topics.blocks, encodeBlock(forge(parent, slot))).catch(() => 0);
      await new Promise((r) => setTimeout(r, 300));
    }
    await waitFor(() => alice.output().includes(banned) || undefined, 15_000, "//Alice to ban the rogue");
    const aliceId = await devPeerId("Alice");
    await waitFor(() => !rogue.connectedPeers().includes(aliceId) || undefined, 10_000, "the rogue to be dropped");
    expect(await peerEntry(id)).toBeUndefined();
    // //Alice's connection gater refuses it while the ban lasts: a dial may complete the transport
    // handshake on the rogue's side, but //Alice drops it and never lists the rogue again.
    await rogue.dial(aliceAddr).catch(() => {});
    await new Promise((r) => setTimeout(r, 2000));
    expect(rogue.connectedPeers()).not.toContain(aliceId);
    expect(await peerEntry(id)).toBeUndefined();
  }, 90_000);

  it("the network kept going: blocks and finality advance, no bad block is in any chain", async () => {
    const [best0, fin0] = [await bestNumber(alice), await finalizedNumber(alice)];
    await waitFor(
      async () => ((await bestNumber(alice)) >= best0 + 2 && (await finalizedNumber(alice)) >= fin0 + 2) || undefined,
      60_000,
      "blocks and finality after the bad input",
    );
    for (const node of nodes) {
      for (const hash of forged) expect(await rpc<unknown>(node, "chain_getHeader", [hash])).toBeNull();
    }
    // All nodes agree on every finalized block.
    const shared = Math.min(...(await Promise.all(nodes.map(finalizedNumber))));
    for (let n = 1; n <= shared; n++) {
      const hashes = await Promise.all(nodes.map((node) => rpc<string>(node, "chain_getBlockHash", [n])));
      expect(new Set(hashes).size).toBe(1);
    }
    // No node crashed or logged an error for the bad input.
    for (const node of nodes) {
      expect(node.proc.exitCode).toBeNull();
      expect(node.output()).not.toMatch(/^\S+ \S+ ERROR /m);
    }
  }, 90_000);
});
