/** Options of the job-market roles (`--worker`, `--evaluator`, `--inference`) and their defaults. */
import { defaultTrainerPolicy, type TrainerPolicy } from "./decision.js";

export interface JobRolesOptions {
  /** Train jobs (`--worker`). */
  trainer: boolean;
  /** Score results when drawn (`--evaluator`). */
  evaluator: boolean;
  /**
   * Serve inference requests (`--inference`): register the inference role, so that the inference
   * pallet may draw this worker, and run the models it is drawn for (`inference.ts`).
   */
  inference: boolean;
  /** Registration stake in planck; the registry's `min_stake` when absent. */
  stake?: bigint;
  /** What jobs the trainer takes. */
  policy: TrainerPolicy;
  /** Blocks between heartbeats; a third of the registry's `heartbeat_timeout` when absent. */
  heartbeatEveryBlocks?: number;
  /** How long fetching one artifact by CID may take. */
  fetchTimeoutMs: number;
  /** Largest artifact (model or dataset) the roles fetch. */
  maxArtifactBytes: number;
  /** Blocks a trainer keeps its trained model pinned after the job ended, for the client to fetch. */
  resultRetentionBlocks: number;
  /** An extrinsic whose effect is not in the best state this many blocks after it was sent is sent again. */
  resubmitAfterBlocks: number;
  /** Progress messages per training run on the job's gossip topic (at most). */
  progressMessages: number;
  /** Where the evaluator keeps its attestation salts until it has revealed (none: memory only). */
  dataDir?: string;
}

export const defaultJobRolesOptions: JobRolesOptions = {
  trainer: false,
  evaluator: false,
  inference: false,
  policy: defaultTrainerPolicy,
  fetchTimeoutMs: 60_000,
  maxArtifactBytes: 512 * 1024 * 1024,
  resubmitAfterBlocks: 8,
  resultRetentionBlocks: 7200,
  progressMessages: 20,
};
