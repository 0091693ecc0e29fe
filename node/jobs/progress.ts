/**
 * Training progress on a job's gossip topic (`topicName(genesis, "job/<id>")`): one msgpack message
 * per reported step. Informational (clients and the job's other workers watch it); the chain never
 * relies on it, so a handler only checks that a message is well-formed. It carries no state hash: a
 * published leaf hash would let an audit's verifier reveal it without re-executing the segment.
 */
import { Packr } from "msgpackr";

export interface ProgressMessage {
  jobId: bigint;
  worker: Uint8Array;
  step: number;
  totalSteps: number;
  loss: number;
}

const packr = new Packr({ useRecords: false });

export function jobTopicName(jobId: bigint): string {
  return `job/${jobId}`;
}

export function encodeProgress(m: ProgressMessage): Uint8Array {
  return new Uint8Array(packr.pack([m.jobId.toString(), Buffer.from(m.worker), m.step, m.totalSteps, m.loss]));
}

/** The message, or undefined when it is malformed. */
export function decodeProgress(data: Uint8Array): ProgressMessage | undefined {
  try {
    const v = packr.unpack(data) as unknown[];
    if (!Array.isArray(v) || v.length !== 5) return undefined;
    const [id, worker, step, totalSteps, loss] = v;
    if (typeof id !== "string" || !/^\d{1,20}$/.test(id)) return undefined;
    if (!(worker instanceof Uint8Array) || worker.length !== 32) return undefined;
    if (!Number.isInteger(step) || !Number.isInteger(totalSteps) || typeof loss !== "number") return undefined;
    return {
      jobId: BigInt(id),
      worker: new Uint8Array(worker),
      step: step as number,
      totalSteps: totalSteps as number,
      loss,
    };
  } catch {
    return undefined;
  }
}
