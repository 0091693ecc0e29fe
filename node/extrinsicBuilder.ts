/**
 * Builds signed extrinsics from inside the node (worker roles, benches, tests) exactly as a client
 * would: call ++ extra ++ additional, signed with a keystore key.
 */
import { type KeyPair, sign } from "../primitives/crypto/index.js";
import {
  type CallValue,
  encodeExtra,
  encodeSignedExtrinsic,
  mortalEra,
  RUNTIME_VERSION,
  RuntimeCall,
  signingPayload,
} from "../runtime/index.js";

export interface SignOptions {
  nonce: number;
  tip?: bigint;
  genesisHash: Uint8Array;
  /** Mortal era: `{period, current block number, current block hash}`; immortal when absent. */
  mortality?: { period: number; current: number; blockHash: Uint8Array };
}

export function signExtrinsic(call: CallValue | Uint8Array, pair: KeyPair, o: SignOptions): Uint8Array {
  const callBytes = call instanceof Uint8Array ? call : RuntimeCall.enc(call);
  const eraBytes = o.mortality ? mortalEra(o.mortality.period, o.mortality.current) : new Uint8Array([0]);
  const extraBytes = encodeExtra(eraBytes, o.nonce, o.tip ?? 0n);
  const payload = signingPayload(callBytes, extraBytes, {
    specVersion: RUNTIME_VERSION.specVersion,
    transactionVersion: RUNTIME_VERSION.transactionVersion,
    genesisHash: o.genesisHash,
    eraBlockHash: o.mortality ? o.mortality.blockHash : o.genesisHash,
  });
  return encodeSignedExtrinsic({
    signer: pair.publicKey,
    scheme: pair.scheme,
    signature: sign(pair, payload),
    extraBytes,
    callBytes,
  });
}
