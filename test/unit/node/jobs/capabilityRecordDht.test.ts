/**
 * Capability records through a real kad-dht: three in-process libp2p nodes on 127.0.0.1 built from
 * `buildLibp2pOptions` with the capability-record validator and selector (as `createNetworkLibp2p`
 * builds the node's). b and c know only a; b puts a worker's record, c gets and verifies it.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import type { Libp2p } from "@libp2p/interface";
import { createLibp2p } from "libp2p";
import {
  CapabilityRecord,
  capabilityRecordDhtOptions,
  capabilityRecordKey,
  fetchCapabilityRecord,
  publishCapabilityRecord,
  signCapabilityRecord,
} from "../../../../node/jobs/capabilityRecord.js";
import { buildLibp2pOptions, type P2pServices } from "../../../../p2p/libp2pOptions.js";
import { generateNodeKey, privateKeyFromNodeKey } from "../../../../p2p/nodeKey.js";
import { withP2pDefaults } from "../../../../p2p/options.js";
import { PeerScoreStore } from "../../../../p2p/peerScore.js";
import { cryptoReady } from "../../../../primitives/hashing.js";
import { CPU_BOX } from "../../../helpers/jobs.js";
import { dev } from "../../../helpers/runtime.js";
import { waitFor } from "../../p2p/hosts.js";

const GENESIS = new Uint8Array(32).fill(9);

async function node(): Promise<Libp2p<P2pServices>> {
  const opts = withP2pDefaults({ listenAddrs: ["/ip4/127.0.0.1/tcp/0"], allowPrivateAddresses: true });
  const scores = PeerScoreStore.fromP2pOptions(opts);
  const privateKey = await privateKeyFromNodeKey(generateNodeKey());
  const n = await createLibp2p(
    buildLibp2pOptions(opts, { privateKey, genesisHash: GENESIS, scores, dhtRecords: capabilityRecordDhtOptions }),
  );
  await n.start();
  return n;
}

const tableSize = (n: Libp2p<P2pServices>) =>
  (n.services.dht as unknown as { routingTable: { size: number } }).routingTable.size;
const dht = (n: Libp2p<P2pServices>) => {
  if (!n.services.dht) throw new Error("no DHT");
  return n.services.dht;
};

describe("capability records in the chain's DHT", () => {
  let a: Libp2p<P2pServices>;
  let b: Libp2p<P2pServices>;
  let c: Libp2p<P2pServices>;

  beforeAll(async () => {
    await cryptoReady();
    [a, b, c] = [await node(), await node(), await node()];
    await b.dial(a.getMultiaddrs()[0]);
    await c.dial(a.getMultiaddrs()[0]);
    await waitFor("routing tables", () => tableSize(a) >= 2 && tableSize(b) >= 1 && tableSize(c) >= 1, 20_000);
  });
  afterAll(async () => {
    await Promise.all([a, b, c].map((n) => n?.stop()));
  });

  it("one node puts a worker's record, another gets and verifies it against the hash on chain", async () => {
    const w = dev("W1");
    const r0 = signCapabilityRecord(w, CPU_BOX, 0n);
    const put = await publishCapabilityRecord(dht(b), r0, { signal: AbortSignal.timeout(15_000) });
    expect(put.peers).toBeGreaterThan(0);
    const got = await fetchCapabilityRecord(dht(c), w.publicKey, {
      expectedHash: r0.hash,
      signal: AbortSignal.timeout(15_000),
    });
    expect(got.hash).toEqual(r0.hash);
    expect(got.record.capabilities).toEqual(CPU_BOX);

    // A newer record (higher sequence) replaces it; the selector makes c see the newer one.
    const r1 = signCapabilityRecord(w, { ...CPU_BOX, memory_mib: 16_384 }, 1n);
    await publishCapabilityRecord(dht(b), r1, { signal: AbortSignal.timeout(15_000) });
    const newer = await fetchCapabilityRecord(dht(c), w.publicKey, { signal: AbortSignal.timeout(15_000) });
    expect(newer.record.sequence).toBe(1n);
    expect(newer.record.capabilities.memory_mib).toBe(16_384);
    // With the old hash on chain, the old record is no longer found.
    await expect(
      fetchCapabilityRecord(dht(c), w.publicKey, { expectedHash: r0.hash, signal: AbortSignal.timeout(15_000) }),
    ).rejects.toMatchObject({ type: { code: "CAPABILITY_RECORD_ERROR_HASH_MISMATCH" } });
  });

  it("peers refuse a forged record, and nobody else gets it", async () => {
    const w2 = dev("W2");
    const real = signCapabilityRecord(w2, CPU_BOX, 0n);
    const forged = CapabilityRecord.enc({ ...real.record, capabilities: { ...CPU_BOX, gpus: 8 } });
    // Put the raw bytes, bypassing publishCapabilityRecord: b stores it locally, a refuses it.
    let responses = 0; // peers that stored it
    let errors = 0;
    for await (const ev of dht(b).put(capabilityRecordKey(w2.publicKey), forged, {
      signal: AbortSignal.timeout(15_000),
    })) {
      if (ev.name === "PEER_RESPONSE" && ev.messageType === "PUT_VALUE") responses++;
      if (ev.name === "QUERY_ERROR") errors++;
    }
    expect(responses).toBe(0);
    expect(errors).toBeGreaterThan(0);
    await expect(
      fetchCapabilityRecord(dht(c), w2.publicKey, { signal: AbortSignal.timeout(15_000) }),
    ).rejects.toMatchObject({ type: { code: "CAPABILITY_RECORD_ERROR_NOT_FOUND" } });
  });
});
