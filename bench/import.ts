/**
 * Block import throughput: blocks of 5,000 signed `transfer_keep_alive` extrinsics over a genesis of
 * 100,000 endowed accounts, imported by a fresh node (verify signatures, execute, compute the state
 * root, write one LevelDB batch per block). Two runs in one process:
 *   baseline — signatures verified one by one on the importing thread (schnorrkel-wasm, guarded),
 *              and again with the previous verifier (@polkadot/wasm-crypto) for the ratio;
 *   pool     — signatures pre-verified in parallel on the verifier pool, execution hits the cache.
 * Also prints execution alone (signatures not checked), the verifier's own rate, and the ratios.
 * Every transfer has its own sender, so each public key is decoded (and cached) once: the fast
 * verifier's key check is never a cache hit here, unlike on a chain where senders repeat.
 *
 *   npm run bench -- import            (env: BENCH_ACCOUNTS, BENCH_BLOCK_TXS, BENCH_BLOCKS, BENCH_THREADS)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { propose } from "../node/authoring/proposer.js";
import { BlockSignatureVerifier } from "../node/chain/blockSignatures.js";
import { blockRef, buildGenesis, Chain } from "../node/chain/chain.js";
import { RuntimeView } from "../node/chain/runtimeView.js";
import type { Block } from "../node/chain/types.js";
import { ChainDb } from "../node/db/chainDb.js";
import { signExtrinsic } from "../node/extrinsicBuilder.js";
import { SignatureVerifierPool } from "../node/verify/index.js";
import {
  CachedSignatureChecker,
  defaultSignatureChecker,
  type KeyPair,
  keypairFromSeed,
  type SignatureChecker,
  setSr25519Verifier,
} from "../primitives/crypto/index.js";
import { blake2_256, cryptoReady } from "../primitives/hashing.js";
import { toHex } from "../primitives/hex.js";
import { nullLogger } from "../primitives/logger.js";
import { T } from "../primitives/scale/types.js";
import { UNITS } from "../runtime/constants.js";
import { buildGenesisStorage, type CallValue } from "../runtime/index.js";

const ACCOUNTS = Number(process.env.BENCH_ACCOUNTS ?? 100_000);
const BLOCK_TXS = Number(process.env.BENCH_BLOCK_TXS ?? 5_000);
const BLOCKS = Number(process.env.BENCH_BLOCKS ?? 3);
const THREADS = Number(process.env.BENCH_THREADS ?? 2);

const trustAll: SignatureChecker = { verify: () => true };

function accountId(i: number): Uint8Array {
  return blake2_256(T.u32.enc(i));
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

async function buildBlocks(
  genesisStorage: [Uint8Array, Uint8Array][],
  senders: KeyPair[],
): Promise<{ blocks: Block[] }> {
  const genesis = buildGenesis(genesisStorage);
  const genesisRef = blockRef(genesis.header);
  let parent = genesisRef;
  let state = genesis.state;
  const blocks: Block[] = [];
  for (let b = 0; b < BLOCKS; b++) {
    const txs: { hash: ReturnType<typeof toHex>; bytes: Uint8Array }[] = [];
    for (let i = 0; i < BLOCK_TXS; i++) {
      const sender = senders[b * BLOCK_TXS + i];
      const dest = accountId((b * BLOCK_TXS + i * 7919) % ACCOUNTS);
      const call: CallValue = {
        tag: "Balances",
        value: { tag: "transfer_keep_alive", value: { dest: { tag: "Id", value: dest }, value: UNITS } },
      };
      const bytes = signExtrinsic(call, sender, { nonce: 0, genesisHash: genesisRef.hash });
      txs.push({ hash: toHex(blake2_256(bytes)), bytes });
    }
    const proposal = propose(
      {
        parent: new RuntimeView(parent, state, { signatures: trustAll, genesisHash: genesisRef.hash }),
        timestamp: BigInt(1_700_000_000_000 + b * 2000),
        preDigest: [],
        deadlineReached: () => false,
      },
      {
        pool: { ready: () => txs, reportInvalid: () => {} },
        signatures: trustAll,
        genesisHash: genesisRef.hash,
        logger: nullLogger,
      },
    );
    if (proposal.included.length !== BLOCK_TXS)
      throw new Error(`block ${b} holds ${proposal.included.length} of ${BLOCK_TXS} transfers`);
    blocks.push({ header: proposal.header, extrinsics: proposal.extrinsics });
    parent = blockRef(proposal.header);
    state = proposal.state;
  }
  return { blocks };
}

async function importRun(
  label: string,
  genesisStorage: [Uint8Array, Uint8Array][],
  blocks: Block[],
  setup: (genesisHash: Uint8Array) => {
    signatures: SignatureChecker;
    preVerify?: (b: Block, s: import("../primitives/trie/index.js").Trie) => Promise<unknown>;
  },
): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "tc-bench-import-"));
  const db = await ChainDb.open(join(dir, "db"));
  try {
    const genesisHash = buildGenesis(genesisStorage).header;
    const modules = setup(blockRef(genesisHash).hash);
    const chain = await Chain.open({ db, logger: nullLogger, ...modules }, genesisStorage);
    const start = performance.now();
    for (const block of blocks) await chain.importBlock(block, "network");
    const seconds = (performance.now() - start) / 1000;
    const rate = (blocks.length * BLOCK_TXS) / seconds;
    console.log(
      `  ${label.padEnd(44)} ${fmt(rate).padStart(8)} transfers/s  (${(seconds / blocks.length).toFixed(3)} s per block)`,
    );
    return rate;
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runImportBench(): Promise<void> {
  await cryptoReady();
  console.log(
    `import: ${BLOCKS} blocks x ${fmt(BLOCK_TXS)} transfer_keep_alive, ${fmt(ACCOUNTS)} endowed accounts, pool threads ${THREADS}`,
  );
  const senders = Array.from({ length: BLOCKS * BLOCK_TXS }, (_, i) =>
    keypairFromSeed(blake2_256(T.u32.enc(0x80000000 + i))),
  );
  const balances: [Uint8Array, bigint][] = senders.map((p) => [p.publicKey, 1000n * UNITS]);
  for (let i = 0; i < ACCOUNTS - senders.length; i++) balances.push([accountId(i), 1000n * UNITS]);
  const genesisStorage = buildGenesisStorage({ balances });
  const { blocks } = await buildBlocks(genesisStorage, senders);

  await importRun("execution only (signatures not checked)", genesisStorage, blocks, () => ({ signatures: trustAll }));
  if (process.env.BENCH_IMPORT_EXECUTION_ONLY) return;
  const baseline = await importRun("baseline (verify on the importing thread)", genesisStorage, blocks, () => ({
    signatures: defaultSignatureChecker,
  }));
  setSr25519Verifier("wasm-crypto");
  let referenceBaseline: number;
  try {
    referenceBaseline = await importRun("baseline, @polkadot/wasm-crypto verifier", genesisStorage, blocks, () => ({
      signatures: defaultSignatureChecker,
    }));
  } finally {
    setSr25519Verifier("schnorrkel-wasm");
  }
  console.log(`  ratio baseline schnorrkel-wasm / wasm-crypto: ${(baseline / referenceBaseline).toFixed(2)}x`);

  const pool = new SignatureVerifierPool({ threads: THREADS });
  try {
    const pooled = await importRun(`pool (pre-verify on ${THREADS} threads)`, genesisStorage, blocks, (gh) => {
      const cache = new CachedSignatureChecker({ capacity: BLOCK_TXS * 2 });
      const verifier = new BlockSignatureVerifier(pool, cache, gh);
      return { signatures: cache, preVerify: (b, s) => verifier.preVerify(b, s) };
    });
    // The verifier's own rate on one block's worth of signatures.
    const sample = [];
    for (let i = 0; i < BLOCK_TXS; i++) {
      const pair = senders[i];
      const message = blake2_256(T.u32.enc(i));
      sample.push({
        scheme: "sr25519" as const,
        signature: (await import("../primitives/crypto/index.js")).sign(pair, message),
        message,
        publicKey: pair.publicKey,
      });
    }
    const t0 = performance.now();
    await pool.verifyBatch(sample);
    const verifyRate = BLOCK_TXS / ((performance.now() - t0) / 1000);
    console.log(`  ${"sr25519 verifier pool alone".padEnd(44)} ${fmt(verifyRate).padStart(8)} verifications/s`);
    console.log(
      `  ratio pool/baseline import: ${(pooled / baseline).toFixed(2)}x; import/verify: ${(pooled / verifyRate).toFixed(2)}`,
    );
    console.log("  goal: >= 8,000 transfers/s on 2 cores");
  } finally {
    await pool.close();
  }
}
