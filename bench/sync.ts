/**
 * Sync and finality, on real nodes over libp2p on 127.0.0.1 (issue 4's bench). Two parts:
 *
 * (a) Sync throughput. A one-validator chain (//Alice, BABE + GRANDPA, `BENCH_SYNC_SLOT_MS` slots from
 *     the chain spec) authors `BENCH_SYNC_BLOCKS` blocks in this process while a feeder keeps signed
 *     transfers from the six dev accounts in its pool. It is then reopened as a plain full node in a
 *     child process (the source: it serves blocks and authors nothing), and a fresh node in this
 *     process syncs from it. Printed: blocks/s and transfers/s of the sync, and as the baseline the
 *     same blocks imported in-process by a fresh chain through the same `BlockImporter` (BABE checks,
 *     execution, state root, one batch per block) without the network or justifications.
 * (b) Finality lag. 4 validator processes on the built-in devnet spec (2 s slots) run for
 *     `BENCH_FINALITY_SECONDS`; every 250 ms each node's best and finalized numbers are sampled over
 *     RPC. Printed: lag in blocks (best - finalized, over all samples after a warm-up) and in seconds
 *     (when a node first saw height n finalized minus when it first saw it as best), p50/p99.
 *
 *   npm run bench -- sync   (env: BENCH_SYNC_BLOCKS=10000, BENCH_SYNC_SLOT_MS=10, BENCH_SYNC_TXS=2 per block,
 *                            BENCH_FINALITY_SECONDS=60, BENCH_SYNC_PARTS=sync,finality)
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isPrimaryHeader } from "../consensus/babe/index.js";
import {
  BUILTIN_SPECS,
  type ChainSpec,
  DEV_ACCOUNTS,
  DEVNET_VALIDATORS,
  devNodeKey,
  devPeerId,
  genesisStorageOf,
} from "../genesis/chainSpec.js";
import { BabeVerifier, defaultBabeOptions } from "../node/chain/babeVerifier.js";
import { Chain } from "../node/chain/chain.js";
import type { Block } from "../node/chain/types.js";
import { ChainDb } from "../node/db/chainDb.js";
import { signExtrinsic } from "../node/extrinsicBuilder.js";
import { BlockImporter } from "../node/network/index.js";
import { TensorchainNode } from "../node/node.js";
import { p2pOptionsFromFlags } from "../p2p/index.js";
import { defaultSignatureChecker, type KeyPair, keypairFromSuri } from "../primitives/crypto/index.js";
import { cryptoReady } from "../primitives/hashing.js";
import { nullLogger } from "../primitives/logger.js";
import { UNITS } from "../runtime/constants.js";
import { freePort, percentile, spawnNode, stopProc } from "./processes.js";

const BLOCKS = Number(process.env.BENCH_SYNC_BLOCKS ?? 10_000);
const SLOT_MS = Number(process.env.BENCH_SYNC_SLOT_MS ?? 10);
const TXS_PER_BLOCK = Number(process.env.BENCH_SYNC_TXS ?? 2);
const FINALITY_SECONDS = Number(process.env.BENCH_FINALITY_SECONDS ?? 60);
const PARTS = (process.env.BENCH_SYNC_PARTS ?? "sync,finality").split(",");

const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function networkOpts(port: number, nodeKey: Uint8Array, bootnodes: string[], validator: boolean) {
  return {
    p2p: p2pOptionsFromFlags(
      {
        listenAddr: [`/ip4/127.0.0.1/tcp/${port}`],
        nodeKey: Buffer.from(nodeKey).toString("hex"),
        bootnodes,
      },
      { allowPrivateIp: true, roles: validator ? ["authority"] : ["full"] },
    ),
  };
}

/** (a): author on one validator, sync from it over libp2p, and import the same blocks without the network. */
async function syncThroughput(dir: string): Promise<void> {
  const spec: ChainSpec = BUILTIN_SPECS.dev();
  spec.id = "bench_sync";
  spec.chainType = "Local"; // a BABE validator on the network path, not the dev chain's authoring
  if (!("runtimeGenesis" in spec.genesis)) throw new Error("expected a runtime genesis");
  spec.genesis.runtimeGenesis.config.babe = { slotDurationMs: SLOT_MS };
  const specFile = join(dir, "bench-sync.json");
  writeFileSync(specFile, JSON.stringify(spec));
  const srcDir = join(dir, "source");
  const srcPort = await freePort();
  const srcKey = devNodeKey("bench-sync-source");

  // 1. The source chain: //Alice authors every slot; the feeder keeps transfers ready in her pool.
  console.log(`building ${fmt(BLOCKS)} blocks (${SLOT_MS} ms slots, ~${TXS_PER_BLOCK} transfers each) …`);
  const author = await TensorchainNode.start(
    {
      spec,
      basePath: srcDir,
      tmp: false,
      name: "source",
      rpc: { enabled: false },
      network: networkOpts(srcPort, srcKey, [], true),
      validator: true,
      devKeys: "Alice",
      informantIntervalMs: 3_600_000,
    },
    nullLogger,
  );
  const senders: KeyPair[] = DEV_ACCOUNTS.map((n) => keypairFromSuri(`//${n}`));
  const nonces = senders.map(() => 0);
  const dests = Array.from({ length: 64 }, (_, i) => keypairFromSuri(`//bench-sync-dest-${i}`).publicKey);
  let submitted = 0;
  const buildStart = Date.now();
  while (author.chain.best.number < BLOCKS) {
    const want = TXS_PER_BLOCK * 4 - author.pool.status().ready;
    for (let i = 0; i < want; i++) {
      const s = submitted % senders.length;
      const tx = signExtrinsic(
        {
          tag: "Balances",
          value: {
            tag: "transfer_keep_alive",
            value: { dest: { tag: "Id", value: dests[submitted % dests.length] }, value: UNITS },
          },
        },
        senders[s],
        { nonce: nonces[s]++, genesisHash: author.chain.genesisHash },
      );
      await author.pool.submit("local", tx).catch(() => {});
      submitted++;
    }
    await sleep(Math.max(SLOT_MS * 2, 10));
  }
  const buildMs = Date.now() - buildStart;
  await author.close();
  console.log(`  built in ${fmt(buildMs / 1000, 1)} s (${fmt(BLOCKS / (buildMs / 1000))} blocks/s authoring)`);

  // 2. The source serves its blocks from another process; a fresh node here syncs them over libp2p.
  const source = await spawnNode(
    [
      "--chain",
      specFile,
      "--base-path",
      srcDir,
      "--listen-addr",
      `/ip4/127.0.0.1/tcp/${srcPort}`,
      "--node-key",
      Buffer.from(srcKey).toString("hex"),
      "--no-rpc",
      "--log",
      "info",
    ],
    /Listening/,
  );
  try {
    const srcPeer = await devPeerId("bench-sync-source");
    const syncStart = Date.now();
    let firstImportAt = 0;
    const syncer = await TensorchainNode.start(
      {
        spec,
        tmp: true,
        name: "syncer",
        rpc: { enabled: false },
        network: networkOpts(
          await freePort(),
          devNodeKey("bench-sync-syncer"),
          [`/ip4/127.0.0.1/tcp/${srcPort}/p2p/${srcPeer}`],
          false,
        ),
        validator: false,
        informantIntervalMs: 3_600_000,
      },
      nullLogger,
    );
    syncer.chain.on("block", () => {
      if (firstImportAt === 0) firstImportAt = Date.now();
    });
    while (syncer.chain.best.number < BLOCKS) await sleep(20);
    const syncEnd = Date.now();
    const target = syncer.chain.best.number;
    const finalized = syncer.chain.finalized.number;

    // The same blocks, read back, for the in-process baseline.
    const blocks: Block[] = [];
    let transfers = 0;
    for (let n = 1; n <= target; n++) {
      const hash = (await syncer.chain.hashAt(n))!;
      const header = (await syncer.chain.header(hash))!;
      const extrinsics = (await syncer.chain.body(hash))!;
      transfers += extrinsics.length - 1; // all but the timestamp inherent
      blocks.push({ header, extrinsics });
    }
    await syncer.close();

    const db = await ChainDb.open(join(dir, "baseline-db"));
    const chain = await Chain.open(
      { db, logger: nullLogger, signatures: defaultSignatureChecker, isPrimary: isPrimaryHeader },
      genesisStorageOf(spec),
    );
    const importer = new BlockImporter({
      chain,
      logger: nullLogger,
      babe: new BabeVerifier(
        { ...defaultBabeOptions, slotDurationMs: SLOT_MS },
        { chain, logger: nullLogger, now: () => Date.now() },
      ),
    });
    const baseStart = Date.now();
    for (const b of blocks) {
      const r = await importer.import(b, "sync");
      if (r.status !== "imported") throw new Error(`baseline: block ${b.header.number} ${r.status}`);
    }
    const baseMs = Date.now() - baseStart;
    await db.close();

    const syncS = (syncEnd - syncStart) / 1000;
    const importS = (syncEnd - (firstImportAt || syncStart)) / 1000;
    const baseS = baseMs / 1000;
    console.log(`  ${fmt(target)} blocks, ${fmt(transfers)} transfers (${fmt(transfers / target, 2)} per block)`);
    console.log(
      `  sync over libp2p:       ${fmt(target / syncS)} blocks/s, ${fmt(transfers / syncS)} transfers/s ` +
        `(${fmt(syncS, 1)} s from node start; ${fmt(target / importS)} blocks/s from the first import; ` +
        `finalized #${fmt(finalized)} by justifications)`,
    );
    console.log(
      `  in-process import:      ${fmt(target / baseS)} blocks/s, ${fmt(transfers / baseS)} transfers/s ` +
        `(${fmt(baseS, 1)} s; same BlockImporter, no network, no justifications)`,
    );
    console.log(`  sync / in-process:      ${fmt(target / syncS / (target / baseS), 2)}x`);
  } finally {
    await stopProc(source);
  }
}

/** (b): 4 validators with 2 s slots; finality lag in blocks and seconds. */
async function finalityLag(dir: string): Promise<void> {
  const slotMs = 2000;
  console.log(`4-validator devnet, ${slotMs} ms slots, sampling for ${FINALITY_SECONDS} s …`);
  const nodes = await Promise.all(
    DEVNET_VALIDATORS.map(async (name) => ({
      name,
      p2pPort: await freePort(),
      rpcPort: await freePort(),
      peerId: await devPeerId(name),
      key: Buffer.from(devNodeKey(name)).toString("hex"),
    })),
  );
  const procs = await Promise.all(
    nodes.map((n) =>
      spawnNode(
        [
          "--chain",
          "devnet",
          `--${n.name.toLowerCase()}`,
          "--base-path",
          join(dir, `fin-${n.name.toLowerCase()}`),
          "--listen-addr",
          `/ip4/127.0.0.1/tcp/${n.p2pPort}`,
          "--node-key",
          n.key,
          "--rpc-port",
          String(n.rpcPort),
          "--bootnodes",
          ...nodes.filter((m) => m !== n).map((m) => `/ip4/127.0.0.1/tcp/${m.p2pPort}/p2p/${m.peerId}`),
          "--log",
          "info",
        ],
        /Running JSON-RPC server/,
      ),
    ),
  );
  const rpc = async (port: number, method: string, params: unknown[] = []) => {
    const res = await fetch(`http://127.0.0.1:${port}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    });
    return ((await res.json()) as { result: unknown }).result;
  };
  const numberOf = async (port: number, hash?: unknown) =>
    Number(((await rpc(port, "chain_getHeader", hash ? [hash] : [])) as { number: string }).number);
  try {
    const warmupMs = Math.min(10_000, (FINALITY_SECONDS * 1000) / 4);
    const start = Date.now();
    const blockLags: number[] = [];
    const firstBest = nodes.map(() => new Map<number, number>());
    const firstFinal = nodes.map(() => new Map<number, number>());
    let maxFinal = 0;
    while (Date.now() - start < FINALITY_SECONDS * 1000) {
      await Promise.all(
        nodes.map(async (n, i) => {
          const best = await numberOf(n.rpcPort);
          const fin = await numberOf(n.rpcPort, await rpc(n.rpcPort, "chain_getFinalizedHead"));
          const now = Date.now();
          for (let h = 1; h <= best; h++) if (!firstBest[i].has(h)) firstBest[i].set(h, now);
          for (let h = 1; h <= fin; h++) if (!firstFinal[i].has(h)) firstFinal[i].set(h, now);
          maxFinal = Math.max(maxFinal, fin);
          if (now - start >= warmupMs) blockLags.push(best - fin);
        }),
      );
      await sleep(250);
    }
    const secondLags: number[] = [];
    for (let i = 0; i < nodes.length; i++)
      for (const [h, tf] of firstFinal[i]) {
        const tb = firstBest[i].get(h);
        if (tb !== undefined && tb - start >= warmupMs) secondLags.push((tf - tb) / 1000);
      }
    blockLags.sort((a, b) => a - b);
    secondLags.sort((a, b) => a - b);
    console.log(`  finalized #${maxFinal} in ${FINALITY_SECONDS} s (warm-up ${fmt(warmupMs / 1000)} s excluded)`);
    console.log(
      `  lag in blocks:   p50 ${percentile(blockLags, 50)}, p99 ${percentile(blockLags, 99)}, ` +
        `max ${blockLags.at(-1)} (${fmt(blockLags.length)} samples, 4 nodes)`,
    );
    console.log(
      `  lag in seconds:  p50 ${fmt(percentile(secondLags, 50), 2)}, p99 ${fmt(percentile(secondLags, 99), 2)}, ` +
        `max ${fmt(secondLags.at(-1) ?? Number.NaN, 2)} (${fmt(secondLags.length)} block heights × nodes; 250 ms sampling)`,
    );
  } finally {
    await Promise.all(procs.map(stopProc));
  }
}

export async function runSyncBench(): Promise<void> {
  await cryptoReady();
  const dir = mkdtempSync(join(tmpdir(), "tc-bench-sync-"));
  try {
    if (PARTS.includes("sync")) await syncThroughput(dir);
    if (PARTS.includes("finality")) await finalityLag(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
