/**
 * Chains on temporary LevelDB databases for the chain tests, with //Alice endowed with 1,000 UNITS.
 * Call `closeChains()` after each test.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Chain } from "../../../../node/chain/chain.js";
import { ChainDb } from "../../../../node/db/chainDb.js";
import {
  defaultSignatureChecker,
  keypairFromSuri,
  type SignatureChecker,
} from "../../../../primitives/crypto/index.js";
import { nullLogger } from "../../../../primitives/logger.js";
import { UNITS } from "../../../../runtime/constants.js";
import { buildGenesisStorage } from "../../../../runtime/index.js";

const open: ChainDb[] = [];

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
  const alice = keypairFromSuri("//Alice");
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
