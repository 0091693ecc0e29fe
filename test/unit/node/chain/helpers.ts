/**
 * Chains on temporary LevelDB databases for the chain tests, with //Alice endowed with 1,000 UNITS.
 * Call `closeChains()` after each test.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Proposal, propose } from "../../../../node/authoring/proposer.js";
import { Chain } from "../../../../node/chain/chain.js";
import { ChainDb } from "../../../../node/db/chainDb.js";
import { signExtrinsic } from "../../../../node/extrinsicBuilder.js";
import {
  defaultSignatureChecker,
  keypairFromSuri,
  type SignatureChecker,
} from "../../../../primitives/crypto/index.js";
import { toHex } from "../../../../primitives/hex.js";
import { nullLogger } from "../../../../primitives/logger.js";
import { UNITS } from "../../../../runtime/constants.js";
import { buildGenesisStorage } from "../../../../runtime/index.js";

const open: ChainDb[] = [];
const alice = keypairFromSuri("//Alice");
const bob = keypairFromSuri("//Bob");

/**
 * Opens the chain in the database at `path` (a new temporary one by default), its runtime checking
 * signatures with `signatures`.
 */
export async function openChain(
  path = join(mkdtempSync(join(tmpdir(), "tc-chain-")), "db"),
  signatures: SignatureChecker = defaultSignatureChecker,
): Promise<Chain> {
  const db = await ChainDb.open(path);
  open.push(db);
  return Chain.open(
    { db, logger: nullLogger, signatures },
    buildGenesisStorage({ balances: [[alice.publicKey, 1000n * UNITS]] }),
  );
}

/** Closes the databases of every chain opened so far (all of them, or the one at `path`). */
export async function closeChains(path?: string): Promise<void> {
  for (let i = open.length - 1; i >= 0; i--) {
    if (path !== undefined && open[i].path !== path) continue;
    await open[i].close();
    open.splice(i, 1);
  }
}

/**
 * Builds, without importing it, a block on `chain`'s best block with //Alice's transfer of `amount` to
 * //Bob at `nonce`; its timestamp is 1,000,000 + 2,000 × its number (ms).
 */
export async function proposeTransfer(chain: Chain, nonce: number, amount = UNITS): Promise<Proposal> {
  const tx = signExtrinsic(
    {
      tag: "Balances",
      value: { tag: "transfer_keep_alive", value: { dest: { tag: "Id", value: bob.publicKey }, value: amount } },
    },
    alice,
    { nonce, genesisHash: chain.genesisHash },
  );
  const parent = await chain.runtimeAt(chain.best.hash);
  return propose(
    {
      parent,
      timestamp: 1_000_000n + BigInt(parent.block.number + 1) * 2000n,
      preDigest: [],
      deadlineReached: () => false,
    },
    {
      pool: { ready: () => [{ hash: toHex(tx), bytes: tx }], reportInvalid: () => {} },
      signatures: defaultSignatureChecker,
      genesisHash: chain.genesisHash,
      logger: nullLogger,
    },
  );
}
