/** @jest-environment ./test/unit/worker/ortEnvironment.cjs */
/**
 * The signed capability record: encoding, signature, typed errors on tampering, the DHT key, the
 * kad-dht validator and selector, the record kept on disk, and that its hash is the `record_hash` a
 * worker registers on chain.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import {
  accountOfCapabilityRecordKey,
  CapabilityRecord,
  CapabilityRecordError,
  capabilityRecordDhtOptions,
  capabilityRecordHash,
  capabilityRecordKey,
  decodeCapabilityRecord,
  fetchCapabilityRecord,
  loadOrSignCapabilityRecord,
  selectCapabilityRecord,
  signCapabilityRecord,
  validateCapabilityRecordEntry,
  verifyCapabilityRecord,
} from "../../../../node/jobs/capabilityRecord.js";
import { JobRoles } from "../../../../node/jobs/index.js";
import { defaultJobRolesOptions } from "../../../../node/jobs/options.js";
import { blake2_256, cryptoReady } from "../../../../primitives/hashing.js";
import { toHex } from "../../../../primitives/hex.js";
import { createLogger } from "../../../../primitives/logger.js";
import { WorkerRegistry } from "../../../../runtime/pallets/workerRegistry.js";
import { thrownCode } from "../../../helpers/errors.js";
import { CPU_BOX, jobRuntime, pk } from "../../../helpers/jobs.js";
import { MemoryContentStore } from "../../../helpers/memoryContent.js";
import { dev } from "../../../helpers/runtime.js";
import { MemoryPool, produce, RuntimeChain, tick } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "caprec-"));
beforeAll(async () => {
  await cryptoReady();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const encodeRecord = CapabilityRecord.enc;
const GPU_BOX = {
  ...CPU_BOX,
  gpus: 1,
  gpu_memory_mib: 8_192,
  profiles: [{ tag: "CpuExact" as const }, { tag: "GpuTolerance" as const }],
};

const code = (f: () => unknown) => thrownCode(f, CapabilityRecordError);

describe("capability record", () => {
  it("encodes, signs and verifies; the hash is blake2-256 of the encoding", () => {
    const w = dev("W1");
    const signed = signCapabilityRecord(w, CPU_BOX, 3n);
    expect(signed.hash).toEqual(blake2_256(signed.bytes));
    expect(capabilityRecordHash(signed.bytes)).toEqual(signed.hash);
    expect(decodeCapabilityRecord(signed.bytes)).toEqual(signed.record);
    const checked = verifyCapabilityRecord(signed.bytes, w.publicKey);
    expect(checked.record).toMatchObject({ account: w.publicKey, capabilities: CPU_BOX, sequence: 3n });
    expect(new TextDecoder().decode(checked.record.capabilities.onnxruntime_version)).toBe("1.22.0");
    expect(checked.hash).toEqual(signed.hash);
  });

  it("refuses tampered records, other keys' signatures and garbage with typed errors", () => {
    const w = dev("W1");
    const signed = signCapabilityRecord(w, CPU_BOX, 0n);
    // Tamper with a field: claim more memory.
    const more = decodeCapabilityRecord(signed.bytes);
    const forgedBytes = encodeRecord({ ...more, capabilities: { ...CPU_BOX, memory_mib: 1_000_000 } });
    expect(code(() => verifyCapabilityRecord(forgedBytes))).toBe("CAPABILITY_RECORD_ERROR_BAD_SIGNATURE");
    // A higher sequence without re-signing.
    expect(code(() => verifyCapabilityRecord(encodeRecord({ ...more, sequence: 9n })))).toBe(
      "CAPABILITY_RECORD_ERROR_BAD_SIGNATURE",
    );
    // Signed by W2 but claiming W1's account.
    const byW2 = signCapabilityRecord(dev("W2"), CPU_BOX, 0n);
    const stolen = encodeRecord({ ...byW2.record, account: w.publicKey });
    expect(code(() => verifyCapabilityRecord(stolen))).toBe("CAPABILITY_RECORD_ERROR_BAD_SIGNATURE");
    // W2's valid record offered as W1's.
    expect(code(() => verifyCapabilityRecord(byW2.bytes, w.publicKey))).toBe("CAPABILITY_RECORD_ERROR_WRONG_ACCOUNT");
    // Flipped signature byte, truncated, trailing bytes, oversized.
    const flipped = signed.bytes.slice();
    flipped[flipped.length - 1] ^= 1;
    expect(code(() => verifyCapabilityRecord(flipped))).toBe("CAPABILITY_RECORD_ERROR_BAD_SIGNATURE");
    expect(code(() => verifyCapabilityRecord(signed.bytes.subarray(0, signed.bytes.length - 1)))).toBe(
      "CAPABILITY_RECORD_ERROR_MALFORMED",
    );
    expect(code(() => verifyCapabilityRecord(new Uint8Array([...signed.bytes, 0])))).toBe(
      "CAPABILITY_RECORD_ERROR_MALFORMED",
    );
    expect(code(() => verifyCapabilityRecord(new Uint8Array(2000)))).toBe("CAPABILITY_RECORD_ERROR_MALFORMED");
  });

  it("keys records by account; the validator checks key and signature, the selector takes the highest sequence", async () => {
    const w = dev("W1");
    const key = capabilityRecordKey(w.publicKey);
    expect(new TextDecoder().decode(key)).toBe(`/tensorchain-worker/${toHex(w.publicKey)}`);
    expect(accountOfCapabilityRecordKey(key)).toEqual(w.publicKey);
    expect(code(() => accountOfCapabilityRecordKey(new TextEncoder().encode("/pk/abc")))).toBe(
      "CAPABILITY_RECORD_ERROR_INVALID_KEY",
    );
    const [r0, r1, r2] = [0n, 1n, 2n].map((s) => signCapabilityRecord(w, CPU_BOX, s));
    await validateCapabilityRecordEntry(key, r1.bytes);
    const other = signCapabilityRecord(dev("W2"), CPU_BOX, 5n);
    expect(code(() => validateCapabilityRecordEntry(key, other.bytes))).toBe("CAPABILITY_RECORD_ERROR_WRONG_ACCOUNT");
    const bad = r2.bytes.slice();
    bad[bad.length - 5] ^= 0xff;
    expect(code(() => validateCapabilityRecordEntry(key, bad))).toBe("CAPABILITY_RECORD_ERROR_BAD_SIGNATURE");
    expect(await selectCapabilityRecord(key, [r0.bytes, r2.bytes, r1.bytes])).toBe(1);
    // An invalid record with a higher sequence is never chosen.
    const forgedHigh = encodeRecord({ ...r0.record, sequence: 99n });
    expect(await selectCapabilityRecord(key, [r1.bytes, forgedHigh, r0.bytes])).toBe(0);
    expect(Object.keys(capabilityRecordDhtOptions.validators)).toEqual(["tensorchain-worker"]);
    expect(Object.keys(capabilityRecordDhtOptions.selectors)).toEqual(["tensorchain-worker"]);
  });

  it("fetchCapabilityRecord verifies what the DHT returns and checks the hash on chain", async () => {
    const w = dev("W1");
    const [r0, r1] = [0n, 1n].map((s) => signCapabilityRecord(w, CPU_BOX, s));
    const forged = encodeRecord({ ...r1.record, sequence: 7n });
    const dht = (values: Uint8Array[]) => ({
      put: async function* () {},
      // biome-ignore lint/suspicious/noExplicitAny: a stand-in for kad-dht's query events.
      get: async function* (): AsyncGenerator<any> {
        for (const value of values) yield { name: "VALUE", value };
      },
    });
    expect((await fetchCapabilityRecord(dht([r0.bytes, forged, r1.bytes]), w.publicKey)).hash).toEqual(r1.hash);
    const pinned = await fetchCapabilityRecord(dht([r1.bytes, r0.bytes]), w.publicKey, { expectedHash: r0.hash });
    expect(pinned.record.sequence).toBe(0n);
    await expect(fetchCapabilityRecord(dht([r1.bytes]), w.publicKey, { expectedHash: r0.hash })).rejects.toMatchObject({
      type: { code: "CAPABILITY_RECORD_ERROR_HASH_MISMATCH" },
    });
    await expect(fetchCapabilityRecord(dht([forged]), w.publicKey)).rejects.toMatchObject({
      type: { code: "CAPABILITY_RECORD_ERROR_NOT_FOUND" },
    });
    await expect(fetchCapabilityRecord(dht([r0.bytes]), dev("W2").publicKey)).rejects.toMatchObject({
      type: { code: "CAPABILITY_RECORD_ERROR_NOT_FOUND" },
    });
  });

  it("keeps the signed record on disk: same capabilities reuse it, new ones get the next sequence", () => {
    const w = dev("W1");
    const file = join(dir, "keep", "capability-record.scale");
    const first = loadOrSignCapabilityRecord(w, CPU_BOX, file);
    expect(first.record.sequence).toBe(0n);
    expect(loadOrSignCapabilityRecord(w, CPU_BOX, file).hash).toEqual(first.hash);
    const upgraded = loadOrSignCapabilityRecord(w, GPU_BOX, file);
    expect(upgraded.record.sequence).toBe(1n);
    expect(loadOrSignCapabilityRecord(w, GPU_BOX, file).hash).toEqual(upgraded.hash);
    // Another key's file or a damaged one is replaced.
    expect(loadOrSignCapabilityRecord(dev("W2"), GPU_BOX, file).record.account).toEqual(dev("W2").publicKey);
    writeFileSync(file, new Uint8Array([1, 2, 3]));
    expect(loadOrSignCapabilityRecord(w, CPU_BOX, file).record.sequence).toBe(0n);
  });
});

describe("registration", () => {
  let roles: JobRoles[] = [];
  afterEach(async () => {
    for (const r of roles) await r.stop();
    roles = [];
  });

  function start(chain: RuntimeChain, pool: MemoryPool, dataDir: string, logs: string[]): JobRoles {
    const r = new JobRoles(
      { ...defaultJobRolesOptions, trainer: true, dataDir },
      {
        chain,
        pool,
        pair: dev("W1"),
        content: new MemoryContentStore(new Map()),
        capabilities: CPU_BOX,
        logger: createLogger({ level: "debug", format: "json", write: (l) => logs.push(l) }),
      },
    );
    roles.push(r);
    r.start();
    return r;
  }

  it("registers the hash of the record it signed and kept, and skips publishing without a DHT", async () => {
    const chain = new RuntimeChain(jobRuntime());
    const pool = new MemoryPool();
    const dataDir = join(dir, "node-w1");
    const logs: string[] = [];
    const r = start(chain, pool, dataDir, logs);
    const info = () => chain.rt.read((e) => WorkerRegistry.storage.Workers.get(e, pk("W1")));
    for (let i = 0; i < 10 && !info(); i++) {
      await r.follower.idle();
      await tick(10);
      produce(chain, pool);
    }
    expect(info()?.record_hash).toEqual(r.capabilityRecord.hash);
    const kept = verifyCapabilityRecord(readFileSync(join(dataDir, "capability-record.scale")), pk("W1"));
    expect(kept.hash).toEqual(info()?.record_hash);
    expect(kept.record.capabilities).toEqual(info()?.capabilities);
    expect(logs.some((l) => JSON.parse(l).msg === "No DHT: capability record not published")).toBe(true);
    // A restart with the same capabilities keeps the registered hash.
    await r.stop();
    expect(start(chain, pool, dataDir, []).capabilityRecord.hash).toEqual(info()?.record_hash);
  });
});
