/**
 * The pool's `validate` on the node's chain: `TaggedTransactionQueue_validate_transaction` run by the
 * runtime at the given block. A runtime that cannot run it (bytes that do not decode, a trap) throws as
 * Substrate's executor reports a panicking runtime API call: the pool answers 1002 (and bans the hash,
 * as Substrate's pool does with a transaction whose validation failed).
 */
import { fromHex, type HexString } from "../../primitives/hex.js";
import type { Chain } from "../chain/chain.js";
import type { AdmissionSignatures } from "./admissionSignatures.js";
import type { TransactionSource, TransactionValidity } from "./interface.js";

export type ChainValidator = (source: TransactionSource, tx: Uint8Array, at: HexString) => Promise<TransactionValidity>;

/**
 * `signatures`, when given, verifies the transaction's signature on the verifier threads first (see
 * `AdmissionSignatures`), so that the runtime finds it cached instead of verifying on this thread.
 */
export function chainValidator(
  chain: Pick<Chain, "header" | "runtimeAt">,
  signatures?: Pick<AdmissionSignatures, "preVerify">,
): ChainValidator {
  return async (source, tx, at) => {
    const hash = fromHex(at);
    const header = await chain.header(hash);
    if (!header) return { ok: false, error: { kind: "unknown", reason: "cannotLookup" } };
    await signatures?.preVerify(tx, header);
    const runtime = await chain.runtimeAt(hash);
    try {
      return runtime.validateTransaction(source, tx);
    } catch (err) {
      throw new Error(`Execution failed: Runtime panicked: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
}
