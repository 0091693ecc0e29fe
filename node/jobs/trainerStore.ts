/**
 * What a trainer keeps of each job between training and settlement, on disk when the node has a data
 * directory (`<dataDir>/training/<job id>/`), so that a restart can still reveal and serve its checks:
 * - `result.json`: the committed result (model hash, work root, metrics, steps, salt) and every leaf's
 *   state hash, written before the commitment is sent (a lost salt would cost the job stake);
 * - `model.onnx`: the trained model, uploaded only at the reveal;
 * - `leaf-<i>.safetensors`: the checkpoint at leaf i, served (uploaded) only when a check asks for it.
 * Without a data directory everything stays in memory.
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fromHex, type HexString, toHex } from "../../primitives/hex.js";
import { writeFileAtomic } from "./files.js";

export interface KeptResult {
  modelHash: Uint8Array;
  workRoot: Uint8Array;
  metrics: { accuracy_ppm: number; loss_e9: bigint };
  steps: number;
  salt: Uint8Array;
  /** State hashes of leaves 1..L. */
  leaves: Uint8Array[];
}

interface ResultJson {
  modelHash: HexString;
  workRoot: HexString;
  metrics: { accuracy_ppm: number; loss_e9: string };
  steps: number;
  salt: HexString;
  leaves: HexString[];
}

export class TrainerStore {
  private readonly memory = new Map<string, Uint8Array>();

  constructor(private readonly dataDir: string | undefined) {}

  saveResult(job: bigint, r: KeptResult): void {
    const json: ResultJson = {
      modelHash: toHex(r.modelHash),
      workRoot: toHex(r.workRoot),
      metrics: { accuracy_ppm: r.metrics.accuracy_ppm, loss_e9: r.metrics.loss_e9.toString() },
      steps: r.steps,
      salt: toHex(r.salt),
      leaves: r.leaves.map(toHex),
    };
    this.write(job, "result.json", new TextEncoder().encode(JSON.stringify(json)));
  }

  loadResult(job: bigint): KeptResult | undefined {
    const bytes = this.read(job, "result.json");
    if (!bytes) return undefined;
    try {
      const j = JSON.parse(new TextDecoder().decode(bytes)) as ResultJson;
      return {
        modelHash: fromHex(j.modelHash),
        workRoot: fromHex(j.workRoot),
        metrics: { accuracy_ppm: j.metrics.accuracy_ppm, loss_e9: BigInt(j.metrics.loss_e9) },
        steps: j.steps,
        salt: fromHex(j.salt),
        leaves: j.leaves.map((h) => fromHex(h)),
      };
    } catch {
      return undefined;
    }
  }

  saveModel(job: bigint, model: Uint8Array): void {
    this.write(job, "model.onnx", model);
  }

  loadModel(job: bigint): Uint8Array | undefined {
    return this.read(job, "model.onnx");
  }

  saveCheckpoint(job: bigint, leaf: number, bytes: Uint8Array): void {
    this.write(job, `leaf-${leaf}.safetensors`, bytes);
  }

  loadCheckpoint(job: bigint, leaf: number): Uint8Array | undefined {
    return this.read(job, `leaf-${leaf}.safetensors`);
  }

  /** Drops everything kept for `job` (it settled). */
  forget(job: bigint): void {
    for (const key of [...this.memory.keys()]) if (key.startsWith(`${job}/`)) this.memory.delete(key);
    if (this.dataDir) rmSync(this.dir(job), { recursive: true, force: true });
  }

  private dir(job: bigint): string {
    return join(this.dataDir!, "training", job.toString());
  }

  private write(job: bigint, name: string, bytes: Uint8Array): void {
    if (!this.dataDir) {
      this.memory.set(`${job}/${name}`, bytes);
      return;
    }
    writeFileAtomic(join(this.dir(job), name), bytes);
  }

  private read(job: bigint, name: string): Uint8Array | undefined {
    if (!this.dataDir) return this.memory.get(`${job}/${name}`);
    const path = join(this.dir(job), name);
    return existsSync(path) ? new Uint8Array(readFileSync(path)) : undefined;
  }
}
