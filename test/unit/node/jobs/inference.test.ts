/** @jest-environment ./test/unit/worker/ortEnvironment.cjs */
/**
 * The inference provider role (`--inference`) on an in-memory chain (the real runtime, one block per
 * `produce`), in-memory content stores and the real `InferenceRunner` (onnxruntime in a worker thread,
 * cpu-exact; needs `npm run build`): three providers serve a request from draw to settlement, and
 * refuse one they cannot run without a slash.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import type { JobChain } from "../../../../node/jobs/follower.js";
import { JobRoles } from "../../../../node/jobs/index.js";
import { runSettings } from "../../../../node/jobs/inference.js";
import { decodeAnnouncement, encodeAnnouncement, type InferenceGossip } from "../../../../node/jobs/inferenceGossip.js";
import { defaultJobRolesOptions } from "../../../../node/jobs/options.js";
import { blake2_256, cryptoReady } from "../../../../primitives/hashing.js";
import { bytesEqual } from "../../../../primitives/hex.js";
import { createLogger } from "../../../../primitives/logger.js";
import type { CallValue } from "../../../../runtime/index.js";
import { parseExtrinsic } from "../../../../runtime/index.js";
import { Inference, type RequestValue } from "../../../../runtime/pallets/inference/index.js";
import { System } from "../../../../runtime/pallets/system.js";
import { WorkerRegistry } from "../../../../runtime/pallets/workerRegistry.js";
import { encodeSafetensors } from "../../../../worker/data/safetensors.js";
import { InferenceRunner } from "../../../../worker/infer/runner.js";
import { tensor } from "../../../../worker/onnx/tensor.js";
import { buildTemplateModel } from "../../../../worker/templates/models.js";
import { CPU_BOX, checkInvariants, jobRuntime, pk } from "../../../helpers/jobs.js";
import { MemoryContentStore } from "../../../helpers/memoryContent.js";
import { dev, UNIT } from "../../../helpers/runtime.js";
import { MemoryPool, produce, RuntimeChain, tick } from "./helpers.js";

beforeAll(async () => {
  await cryptoReady();
});

const PROVIDERS = ["W1", "W2", "E1"];
const MODEL = buildTemplateModel("mlp", { hidden: 8, seed: 3n });
function input(dims: number[]): Uint8Array {
  const n = dims.reduce((a, b) => a * b, 1);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = ((i * 7919) % 1000) / 1000;
  return encodeSafetensors(new Map([["x", tensor("float32", dims, x)]]));
}

let running: JobRoles[] = [];
let runners: InferenceRunner[] = [];
afterEach(async () => {
  for (const r of running) await r.stop();
  for (const r of runners) await r.close();
  running = [];
  runners = [];
});

interface Net {
  chain: RuntimeChain;
  pool: MemoryPool;
  content: MemoryContentStore;
  roles: JobRoles[];
  stores: MemoryContentStore[];
  logs: string[];
  /** Stops a provider's roles and starts them again (same key, store and data folder), as a node restart. */
  restart(name: string): Promise<void>;
}

/** One in-memory topic: a publish reaches every other member at once, as a mesh would. */
function gossipBus() {
  const members: { judge?: (d: Uint8Array) => string }[] = [];
  const verdicts: string[] = [];
  return {
    verdicts,
    member(): InferenceGossip {
      const me: { judge?: (d: Uint8Array) => string } = {};
      members.push(me);
      return {
        publish: async (data) => {
          const others = members.filter((m) => m !== me && m.judge);
          for (const m of others) verdicts.push(m.judge!(data));
          return others.length;
        },
        join: (judge) => {
          me.judge = judge;
        },
        leave: () => {
          me.judge = undefined;
        },
      };
    },
  };
}

/** `chain` as a node whose follower never sees Inference events (it skipped their blocks). */
function deafTo(chain: RuntimeChain): JobChain {
  return {
    get best() {
      return chain.best;
    },
    genesisHash: chain.genesisHash,
    header: (h) => chain.header(h),
    on: (e, l) => chain.on(e, l),
    off: (e, l) => chain.off(e, l),
    runtimeAt: async (h) => {
      const view = await chain.runtimeAt(h);
      const events = view.events().filter((r) => (r.event as { tag: string }).tag !== "Inference");
      return Object.assign(Object.create(Object.getPrototypeOf(view)), view, { events: () => events });
    },
  };
}

function network(o: { bus?: ReturnType<typeof gossipBus>; deaf?: string; dataDir?: string } = {}): Net {
  const chain = new RuntimeChain(jobRuntime());
  const pool = new MemoryPool();
  const blocks = new Map<string, Uint8Array>();
  const content = new MemoryContentStore(blocks);
  const logs: string[] = [];
  const stores = PROVIDERS.map(() => new MemoryContentStore(blocks));
  const start = (name: string, i: number) => {
    const logger = createLogger({ level: "debug", format: "json", write: (l) => logs.push(`${name} ${l}`) });
    const r = new JobRoles(
      {
        ...defaultJobRolesOptions,
        inference: true,
        fetchTimeoutMs: 50,
        resultRetentionBlocks: 30,
        dataDir: o.dataDir && join(o.dataDir, name),
      },
      {
        chain: name === o.deaf ? deafTo(chain) : chain,
        pool,
        pair: dev(name),
        content: stores[i]!,
        capabilities: CPU_BOX,
        logger,
        inferenceGossip: o.bus?.member(),
      },
    );
    running.push(r);
    r.start();
    return r;
  };
  const roles = PROVIDERS.map(start);
  const restart = async (name: string) => {
    const i = PROVIDERS.indexOf(name);
    await roles[i]!.stop();
    running = running.filter((x) => x !== roles[i]);
    roles[i] = start(name, i);
  };
  return { chain, pool, content, roles, stores, logs, restart };
}

async function settle(net: Net): Promise<void> {
  for (let i = 0; i < 4; i++) {
    await Promise.all(net.roles.map((r) => r.follower.idle()));
    await tick(i === 0 ? 50 : 10);
  }
}

/** Produces blocks (the roles react after each; inference runs in a thread) until `done` or `max` blocks. */
async function runUntil(net: Net, done: () => boolean, max = 40, patient = true) {
  for (let i = 0; i < max && !done(); i++) {
    await settle(net);
    // Give a running inference time to finish before the next block.
    if (patient) for (let k = 0; k < 100 && net.pool.txs.length === 0 && !done(); k++) await tick(20);
    produce(net.chain, net.pool);
    checkInvariants(net.chain.rt.ext());
  }
  await settle(net);
  if (!done()) console.log(net.logs.join("\n"));
  expect(done()).toBe(true);
}

const request = (net: Net, id = 0n): RequestValue | undefined =>
  net.chain.rt.read((e) => Inference.storage.Requests.get(e, id));
const registered = (net: Net) =>
  PROVIDERS.every((n) => {
    const w = net.chain.rt.read((e) => WorkerRegistry.storage.Workers.get(e, pk(n)));
    return w?.roles.inference === true;
  });
const sign = (net: Net, name: string, call: CallValue) =>
  net.chain.rt.sign(call, dev(name), net.chain.rt.nonceOf(dev(name)));
const events = (net: Net) =>
  net.chain.rt.lastEvents.map((r) => r.event) as unknown as {
    tag: string;
    value: { tag: string; value: Record<string, unknown> };
  }[];

async function requestCall(net: Net, inputBytes: Uint8Array): Promise<CallValue> {
  const c = net.content;
  return {
    tag: "Inference",
    value: {
      tag: "request",
      value: {
        model_cid: c.toBytes(await c.add(MODEL)),
        input_cid: c.toBytes(await c.add(inputBytes)),
        replicas: 3,
        quorum: 2,
        max_blocks: 15,
        reward: 5n * UNIT,
        profile: { tag: "CpuExact" },
        tolerance: 0n,
        requirements: { min_gpus: 0, min_gpu_memory_mib: 0, min_cpu_cores: 1, min_memory_mib: 0 },
      },
    },
  };
}

describe("inference provider role", () => {
  it("maps the request's profile to the runner's: cpu-exact, or gpu with grid scale 1e9/grid_e9 and MaxFingerprintLength", () => {
    expect(runSettings({ profile: { tag: "CpuExact" } })).toEqual({ profile: "cpu-exact" });
    expect(runSettings({ profile: { tag: "Gpu", value: { grid_e9: 1_000_000n } } })).toEqual({
      profile: "gpu",
      fingerprint: { gridScale: 1000, maxLength: 256 },
    });
  });

  it("registers the inference role, runs the drawn request, commits, reveals: settled on the output plain onnxruntime gives", async () => {
    const net = network();
    await runUntil(net, () => registered(net));
    const x = input([50, 784]);
    const call = await requestCall(net, x);
    const before = PROVIDERS.map((n) => net.chain.rt.read((e) => System.storage.Account.get(e, pk(n))));
    produce(net.chain, net.pool, [sign(net, "Client", call)]);
    expect(request(net)?.providers).toHaveLength(3);
    await runUntil(net, () => request(net)?.status.tag === "Settled");
    const req = request(net)!;
    // The agreed output is the runner's output for the model and input, in the content store.
    const ref = new InferenceRunner();
    runners.push(ref);
    const expected = await ref.run({ modelHash: blake2_256(MODEL), modelBytes: MODEL, input: x, profile: "cpu-exact" });
    expect(req.agreed?.output_hash).toEqual(expected.outputHash);
    const out = await net.content.get(net.content.fromBytes(req.agreed!.output_cid));
    expect(Buffer.from(out).equals(Buffer.from(expected.output))).toBe(true);
    // Every provider committed and revealed; nobody was slashed; each was paid (free balance up).
    for (const n of PROVIDERS) {
      const o = net.chain.rt.read((e) => Inference.storage.Outputs.get(e, [0n, pk(n)]));
      expect(o?.revealed?.output_hash).toEqual(expected.outputHash);
    }
    const after = PROVIDERS.map((n) => net.chain.rt.read((e) => System.storage.Account.get(e, pk(n))));
    for (let i = 0; i < PROVIDERS.length; i++) expect(after[i]!.data.free).toBeGreaterThan(before[i]!.data.free);
    expect(net.logs.filter((l) => l.includes('"Ran inference"'))).toHaveLength(3);
    // Each provider keeps the model (cached), the input and its output (for the client) until
    // `resultRetentionBlocks` (30) after the request; then only the model.
    const modelCid = net.content.fromBytes(req.model_cid);
    const outputCid = net.content.fromBytes(req.agreed!.output_cid);
    const holds = async () =>
      Promise.all(net.stores.map(async (st) => (await st.holdings()).map((h) => `${h.holder} ${h.cid}`).sort()));
    await runUntil(net, () => net.chain.rt.header.number % 16 === 0, 40, false);
    await Promise.all(net.roles.map((r) => r.provider!.idle()));
    const inputCid = net.content.fromBytes(req.input_cid);
    for (const h of await holds())
      expect(h).toEqual(
        [`inference-model ${modelCid}`, `inference-output:0 ${outputCid}`, `inference:0 ${inputCid}`].sort(),
      );
    await runUntil(
      net,
      () => net.chain.rt.header.number >= req.requested_at + 30 && net.chain.rt.header.number % 16 === 0,
      60,
      false,
    );
    await Promise.all(net.roles.map((r) => r.provider!.idle()));
    for (const h of await holds()) expect(h).toEqual([`inference-model ${modelCid}`]);
  }, 60_000);

  it("gossip: announces each request once (deduplicated by id); a provider that missed its block serves it", async () => {
    expect(decodeAnnouncement(encodeAnnouncement({ requestId: 7n, block: new Uint8Array(32).fill(1) }))).toEqual({
      requestId: 7n,
      block: new Uint8Array(32).fill(1),
    });
    expect(decodeAnnouncement(new Uint8Array([1, 2, 3]))).toBeUndefined();
    const bus = gossipBus();
    const net = network({ bus, deaf: "E1" });
    await runUntil(net, () => registered(net));
    produce(net.chain, net.pool, [sign(net, "Client", await requestCall(net, input([20, 784])))]);
    await runUntil(net, () => request(net)?.status.tag === "Settled");
    // The first provider to see the request announced it; the others heard it first and stayed quiet.
    const stats = net.roles.map((r) => r.provider!.stats);
    expect(stats.reduce((a, s) => a + s.announced, 0)).toBe(1);
    expect(bus.verdicts).toEqual(["accept", "accept"]);
    // E1's follower never saw the Inference events: it ran the request from the announcement.
    const e1 = net.roles[PROVIDERS.indexOf("E1")]!.provider!;
    expect(e1.stats.run).toBe(1);
    expect(net.logs.some((l) => l.startsWith("E1 ") && l.includes('"Inference request found from gossip"'))).toBe(true);
    // Malformed messages are rejected, repeats ignored.
    expect(e1.onGossip(new Uint8Array([0xc1]))).toBe("reject");
    expect(e1.onGossip(encodeAnnouncement({ requestId: 0n, block: new Uint8Array(32) }))).toBe("ignore");
  }, 60_000);

  it("a provider restarted between commit and reveal reveals with the salt it kept on disk", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tc-infer-restart-"));
    try {
      const net = network({ dataDir: dir });
      await runUntil(net, () => registered(net));
      produce(net.chain, net.pool, [sign(net, "Client", await requestCall(net, input([20, 784])))]);
      await runUntil(net, () => request(net)?.status.tag === "Revealing");
      // W1 "crashes" before its reveal reached the pool: the reveal is dropped, the node restarts.
      net.pool.txs = net.pool.txs.filter((tx) => !bytesEqual(parseExtrinsic(tx).signed!.signer, pk("W1")));
      await net.restart("W1");
      await runUntil(net, () => request(net)?.status.tag === "Settled");
      const w1 = net.chain.rt.read((e) => Inference.storage.Outputs.get(e, [0n, pk("W1")]));
      expect(w1?.revealed?.output_hash).toEqual(request(net)!.agreed!.output_hash);
      expect(net.logs.some((l) => l.includes("salt is lost"))).toBe(false);
      // Once the request is final the kept output file is gone.
      expect(existsSync(join(dir, "W1", "inference", "0.json"))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it("refuses a request whose input does not fit the model (logged code, no slash): NoQuorum, full refund", async () => {
    const net = network();
    await runUntil(net, () => registered(net));
    const call = await requestCall(net, input([50, 783]));
    produce(net.chain, net.pool, [sign(net, "Client", call)]);
    const seen: string[] = [];
    await runUntil(
      net,
      () => {
        for (const e of events(net)) if (e.tag === "Inference") seen.push(e.value.tag);
        return request(net)?.status.tag === "NoQuorum";
      },
      40,
    );
    expect(seen).toContain("Refused");
    expect(seen).not.toContain("Slashed");
    expect(seen).not.toContain("OutputCommitted");
    const refusals = net.logs
      .filter((l) => l.includes('"Refusing inference request: cannot run it"'))
      .map((l) => JSON.parse(l.slice(3)) as { code: string });
    expect(refusals.length).toBeGreaterThanOrEqual(2);
    for (const r of refusals) expect(r.code).toBe("INFER_ERROR_INPUT_SHAPE");
    expect(request(net)!.held).toBe(0n);
    expect(bytesEqual(request(net)!.client, pk("Client"))).toBe(true);
  }, 60_000);
});
