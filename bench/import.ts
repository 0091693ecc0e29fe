/**
 * Block import throughput: blocks of 5,000 signed `transfer_keep_alive` extrinsics over a genesis of
 * 100,000 endowed accounts, imported by a fresh node (verify signatures, execute, compute the state
 * root, write one LevelDB batch per block). Two runs in one process:
 *   baseline — signatures verified one by one on the importing thread (schnorrkel-wasm, guarded),
 *              and again with the previous verifier (@polkadot/wasm-crypto) for the ratio;
 *   pool     — signatures pre-verified in parallel on the verifier pool, execution hits the cache.
 * Also prints execution alone (signatures not checked), the verifier's own rate, and the ratios.
 *
 * PoUW tickets (issue 12): the same transfer blocks built twice on a chain where two trainers train a
 * job, once carrying a full `pouw` digest (`pouw.max_tickets_per_block` tickets, each checked by the
 * runtime: job, assignment, work key, leaf, target, VRF) and once carrying none; both imported by a
 * fresh node, the ratio of their rates printed (goal >= 0.95), and the VRF verifications per second.
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
  keypairFromSuri,
  type SignatureChecker,
  setSr25519Verifier,
} from "../primitives/crypto/index.js";
import { blake2_256, cryptoReady } from "../primitives/hashing.js";
import { toHex } from "../primitives/hex.js";
import { nullLogger } from "../primitives/logger.js";
import {
  findPouwTickets,
  leafNodeHash,
  makeTicket,
  type PouwTicketValue,
  pouwDigestItem,
  signTicket,
  verifyTicketVrf,
} from "../primitives/pouw.js";
import { T } from "../primitives/scale/types.js";
import type { DigestItemValue } from "../primitives/types.js";
import { UNITS } from "../runtime/constants.js";
import { buildGenesisStorage, type CallValue } from "../runtime/index.js";
import { testSetCommitment } from "../runtime/pallets/jobManager/index.js";
import { MAX_STORED_TARGET } from "../runtime/pallets/pouw/index.js";

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

type PoolTx = { hash: ReturnType<typeof toHex>; bytes: Uint8Array };

/** Builds blocks one after another from genesis: each gets its extrinsics and its extra pre-digest. */
class BlockChainBuilder {
  readonly genesisHash: Uint8Array;
  readonly blocks: Block[] = [];
  private parent: ReturnType<typeof blockRef>;
  private state: import("../primitives/trie/index.js").Trie;

  constructor(genesisStorage: [Uint8Array, Uint8Array][]) {
    const genesis = buildGenesis(genesisStorage);
    this.parent = blockRef(genesis.header);
    this.genesisHash = this.parent.hash;
    this.state = genesis.state;
  }

  /** The runtime at the last block built. */
  get head(): RuntimeView {
    return new RuntimeView(this.parent, this.state, { signatures: trustAll, genesisHash: this.genesisHash });
  }

  tx(call: CallValue, signer: KeyPair, nonce: number): PoolTx {
    const bytes = signExtrinsic(call, signer, { nonce, genesisHash: this.genesisHash });
    return { hash: toHex(blake2_256(bytes)), bytes };
  }

  build(txs: PoolTx[], preDigest: DigestItemValue[] = []): void {
    const n = this.blocks.length;
    const proposal = propose(
      { parent: this.head, timestamp: BigInt(1_700_000_000_000 + n * 2000), preDigest, deadlineReached: () => false },
      {
        pool: { ready: () => txs, reportInvalid: () => {} },
        signatures: trustAll,
        genesisHash: this.genesisHash,
        logger: nullLogger,
      },
    );
    if (proposal.included.length !== txs.length)
      throw new Error(`block ${n + 1} holds ${proposal.included.length} of ${txs.length} extrinsics`);
    this.blocks.push({ header: proposal.header, extrinsics: proposal.extrinsics });
    this.parent = blockRef(proposal.header);
    this.state = proposal.state;
  }
}

/** The transfers of transfer block `b` (0-based): every sender sends once, to an endowed account. */
function transfers(chain: BlockChainBuilder, senders: KeyPair[], b: number): PoolTx[] {
  return Array.from({ length: BLOCK_TXS }, (_, i) => {
    const dest = accountId((b * BLOCK_TXS + i * 7919) % ACCOUNTS);
    const call: CallValue = {
      tag: "Balances",
      value: { tag: "transfer_keep_alive", value: { dest: { tag: "Id", value: dest }, value: UNITS } },
    };
    return chain.tx(call, senders[b * BLOCK_TXS + i], 0);
  });
}

async function buildBlocks(
  genesisStorage: [Uint8Array, Uint8Array][],
  senders: KeyPair[],
): Promise<{ blocks: Block[] }> {
  const chain = new BlockChainBuilder(genesisStorage);
  for (let b = 0; b < BLOCKS; b++) chain.build(transfers(chain, senders, b));
  return { blocks: chain.blocks };
}

async function importRun(
  label: string,
  genesisStorage: [Uint8Array, Uint8Array][],
  blocks: Block[],
  setup: (genesisHash: Uint8Array) => {
    signatures: SignatureChecker;
    preVerify?: (b: Block, s: import("../primitives/trie/index.js").Trie) => Promise<unknown>;
  },
  /** Blocks imported before the clock starts (a setup prefix). */
  untimed = 0,
): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "tc-bench-import-"));
  const db = await ChainDb.open(join(dir, "db"));
  try {
    const genesisHash = buildGenesis(genesisStorage).header;
    const modules = setup(blockRef(genesisHash).hash);
    const chain = await Chain.open({ db, logger: nullLogger, ...modules }, genesisStorage);
    for (const block of blocks.slice(0, untimed)) await chain.importBlock(block, "network");
    const timed = blocks.slice(untimed);
    const start = performance.now();
    for (const block of timed) await chain.importBlock(block, "network");
    const seconds = (performance.now() - start) / 1000;
    const rate = (timed.length * BLOCK_TXS) / seconds;
    console.log(
      `  ${label.padEnd(44)} ${fmt(rate).padStart(8)} transfers/s  (${(seconds / timed.length).toFixed(3)} s per block)`,
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
  if (process.env.BENCH_IMPORT_TICKETS !== "0") await ticketImport(ticketGenesis(balances), senders);
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

// --- PoUW tickets ---

/** The transfer genesis plus the trainers, evaluators and client of the ticket chain; every score passes, no cap. */
function ticketGenesis(balances: [Uint8Array, bigint][]): [Uint8Array, Uint8Array][] {
  const actors = ["W1", "W2", "E1", "E2", "Client"].map((n): [Uint8Array, bigint] => [
    keypairFromSuri(`//${n}`).publicKey,
    10_000n * UNITS,
  ]);
  return buildGenesisStorage({
    balances: [...balances, ...actors],
    pouw: { difficulty: MAX_STORED_TARGET },
    // Full digests on every block: more tickets per trainer than the default cap.
    parameters: { "pouw.max_tickets_per_worker": 4_096 },
  });
}

const cid = (fill: number) => new Uint8Array([0x01, 0x55, 0x12, 0x20, ...new Array(32).fill(fill)]);
const BOX = {
  gpus: 0,
  gpu_memory_mib: 0,
  cpu_cores: 4,
  memory_mib: 8_192,
  profiles: [{ tag: "CpuExact" }],
  onnxruntime_version: new TextEncoder().encode("1.22.0"),
  kernel_class: new TextEncoder().encode("x86_64-avx2"),
};
const call = (pallet: string, tag: string, value: Record<string, unknown>): CallValue =>
  ({ tag: pallet, value: { tag, value } }) as CallValue;
const register = (trainer: boolean) =>
  call("WorkerRegistry", "register", {
    roles: { trainer, evaluator: !trainer, inference: false },
    capabilities: BOX,
    stake: 100n * UNITS,
    record_hash: new Uint8Array(32).fill(7),
  });

/**
 * The transfer blocks on a chain where W1 and W2 train job 0 (registered, work keys set, job posted
 * and filled in three setup blocks), each transfer block with `tickets` of their tickets (half each,
 * new leaves every block) in its `pouw` digest. Returns the blocks, how many are setup, and the epoch
 * randomness the tickets were drawn against.
 */
function ticketChain(
  genesisStorage: [Uint8Array, Uint8Array][],
  senders: KeyPair[],
  tickets: number,
): { blocks: Block[]; setup: number; randomness: Uint8Array } {
  const chain = new BlockChainBuilder(genesisStorage);
  const [w1, w2, e1, e2, client] = ["W1", "W2", "E1", "E2", "Client"].map((n) => keypairFromSuri(`//${n}`));
  const leaves = Math.max(1, Math.ceil(tickets / 2)) * BLOCKS;
  chain.build([
    chain.tx(register(true), w1, 0),
    chain.tx(register(true), w2, 0),
    chain.tx(register(false), e1, 0),
    chain.tx(register(false), e2, 0),
  ]);
  const spec = {
    model_cid: cid(1),
    training_set_cid: cid(2),
    test_set_commitment: testSetCommitment(cid(3), new Uint8Array(32).fill(4)),
    loss: { tag: "CrossEntropy" },
    optimizer: { tag: "Adam" },
    learning_rate_e9: 1_000_000n,
    batch_size: 64,
    length: { tag: "Steps", value: leaves * 10 },
    seed: 42n,
    profile: { tag: "CpuExact" },
    requirements: { min_gpus: 0, min_gpu_memory_mib: 0, min_cpu_cores: 2, min_memory_mib: 4_096 },
    workers: 2,
    evaluators: 2,
    min_accuracy_ppm: 900_000,
    worker_stake: 50n * UNITS,
    deadlines: { assign: 100, submit: 1_000, reveal_test_set: 100, commit: 100, reveal: 100 },
    checkpoint_interval: 10,
  };
  chain.build([
    chain.tx(call("PoUW", "set_work_key", { key: w1.publicKey }), w1, 1),
    chain.tx(call("PoUW", "set_work_key", { key: w2.publicKey }), w2, 1),
    chain.tx(call("JobManager", "post_job", { spec, reward: 1_000n * UNITS }), client, 0),
  ]);
  chain.build([
    chain.tx(call("JobManager", "assign_worker", { job_id: 0n }), w1, 2),
    chain.tx(call("JobManager", "assign_worker", { job_id: 0n }), w2, 2),
  ]);
  const setup = chain.blocks.length;
  const drawn = chain.head.ticketContext().randomness;
  for (let b = 0; b < BLOCKS; b++) {
    const { randomness } = chain.head.ticketContext();
    const digest: PouwTicketValue[] = [];
    for (let k = 0; k < tickets; k++) {
      const pair = k % 2 === 0 ? w1 : w2;
      const leaf = b * Math.ceil(tickets / 2) + Math.floor(k / 2) + 1;
      const claim = { randomness, jobId: 0n, leaf, leafHash: leafNodeHash(leaf, blake2_256(T.u32.enc(leaf))) };
      digest.push(makeTicket(pair.publicKey, claim, signTicket(pair.secretKey, claim)));
    }
    chain.build(transfers(chain, senders, b), digest.length > 0 ? [pouwDigestItem(digest)] : []);
  }
  return { blocks: chain.blocks, setup, randomness: drawn };
}

async function ticketImport(genesisStorage: [Uint8Array, Uint8Array][], senders: KeyPair[]): Promise<void> {
  const max = new BlockChainBuilder(genesisStorage).head.maxTicketsPerBlock();
  console.log(
    `PoUW tickets: the same transfer blocks with ${max} tickets each (pouw.max_tickets_per_block) and with none`,
  );
  const withTickets = ticketChain(genesisStorage, senders, max);
  const without = ticketChain(genesisStorage, senders, 0);
  const verify = () => ({ signatures: defaultSignatureChecker });
  const rates: number[] = [];
  // Alternating, twice each: the ratio of the medians is steadier than one pair.
  for (let r = 0; r < 2; r++) {
    rates.push(await importRun(`no tickets (run ${r + 1})`, genesisStorage, without.blocks, verify, without.setup));
    rates.push(
      await importRun(`${max} tickets (run ${r + 1})`, genesisStorage, withTickets.blocks, verify, withTickets.setup),
    );
  }
  const none = Math.max(rates[0]!, rates[2]!);
  const full = Math.max(rates[1]!, rates[3]!);
  console.log(`  ratio with/without tickets (best of 2 each): ${(full / none).toFixed(3)} (goal >= 0.95)`);
  // The runtime's per-ticket cost: one VRF verification.
  const sample = findPouwTickets(withTickets.blocks[withTickets.setup]!.header);
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < 1000) {
    for (const ticket of sample)
      if (!verifyTicketVrf(ticket.worker, withTickets.randomness, ticket)) throw new Error("a bench ticket failed");
    n += sample.length;
  }
  console.log(`  ticket VRF verifications: ${fmt(n / ((performance.now() - start) / 1000))}/s on one core`);
}
