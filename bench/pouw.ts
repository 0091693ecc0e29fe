/**
 * The cost of PoUW tickets (issue 12): signing one at a checkpoint leaf, verifying one (what the
 * runtime and the gossip validator do per ticket), and decoding and checking a full `pouw` digest.
 * Both VRF back ends are measured: the wasm one is what the node uses once `cryptoReady()` resolved.
 *
 *   npm run bench -- pouw
 */
import { sr25519VrfVerify } from "@polkadot/util-crypto";
import { keypairFromSuri } from "../primitives/crypto/index.js";
import { blake2_256, concat, cryptoReady } from "../primitives/hashing.js";
import {
  checkTicket,
  decodePouwDigest,
  leafNodeHash,
  MAX_POUW_TARGET,
  makeTicket,
  POUW_VRF_CONTEXT,
  PouwPreDigest,
  type PouwTicketValue,
  signTicket,
  ticketInput,
  verifyTicketVrf,
} from "../primitives/pouw.js";

/** A digest this full is the import bench's worst case (the pallet's `MaxTicketsPerBlock` default). */
const TICKETS_PER_DIGEST = 16;

function measure(label: string, iterations: number, fn: () => unknown): number {
  for (let i = 0; i < Math.min(50, iterations); i++) fn();
  const start = performance.now();
  for (let i = 0; i < iterations; i++) fn();
  const us = ((performance.now() - start) * 1000) / iterations;
  console.log(`  ${label.padEnd(52)} ${us.toFixed(1).padStart(9)} µs/op ${(1e6 / us).toFixed(0).padStart(8)} /s`);
  return us;
}

export async function runPouwBench(): Promise<void> {
  await cryptoReady();
  const worker = keypairFromSuri("//Alice//work");
  const randomness = blake2_256(new TextEncoder().encode("bench randomness"));
  const tickets: PouwTicketValue[] = [];
  for (let leaf = 1; leaf <= TICKETS_PER_DIGEST; leaf++) {
    const claim = { randomness, jobId: 1n, leaf, leafHash: leafNodeHash(leaf, blake2_256(new Uint8Array([leaf]))) };
    tickets.push(makeTicket(worker.publicKey, claim, signTicket(worker.secretKey, claim)));
  }
  const one = tickets[0]!;
  const claim = { randomness, jobId: one.job_id, leaf: one.leaf, leafHash: one.leaf_hash };
  const input = ticketInput(claim);
  const joined = concat(one.vrf_output, one.vrf_proof);
  const digest = PouwPreDigest.enc(tickets);

  console.log("pouw tickets:");
  measure("sign one ticket (wasm)", 500, () => signTicket(worker.secretKey, claim));
  const wasm = measure("verify one ticket VRF (wasm)", 500, () => verifyTicketVrf(worker.publicKey, randomness, one));
  const js = measure("verify one ticket VRF (pure JS, util-crypto)", 100, () =>
    sr25519VrfVerify(input, joined, worker.publicKey, POUW_VRF_CONTEXT),
  );
  console.log(`  pure JS / wasm verify time: ${(js / wasm).toFixed(1)}x`);
  measure(`decode a ${TICKETS_PER_DIGEST}-ticket digest`, 5000, () => decodePouwDigest(digest, TICKETS_PER_DIGEST));
  measure(`decode + check a ${TICKETS_PER_DIGEST}-ticket digest (wasm)`, 50, () => {
    for (const t of decodePouwDigest(digest, TICKETS_PER_DIGEST))
      checkTicket(worker.publicKey, randomness, t, MAX_POUW_TARGET);
  });
}
