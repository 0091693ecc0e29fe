/**
 * A checkpoint is everything needed to resume at a step: the step number and every state tensor
 * (parameters and optimizer state), stored as safetensors with the step and state hash as metadata.
 */

import { toHex } from "../../primitives/hex.js";
import { decodeSafetensors, encodeSafetensors } from "../data/safetensors.js";
import type { TensorData } from "../onnx/tensor.js";
import { TrainError } from "./errors.js";
import { stateHash } from "./stateHash.js";

export const CHECKPOINT_FORMAT = "tensorchain-checkpoint/1";

export interface Checkpoint {
  /** Number of steps applied to the state (0 = initial state). */
  step: number;
  state: Map<string, TensorData>;
}

export function checkpointHash(cp: Checkpoint): Uint8Array {
  return stateHash([...cp.state].map(([name, tensor]) => ({ name, tensor })));
}

export function encodeCheckpoint(cp: Checkpoint): Uint8Array {
  return encodeSafetensors(cp.state, {
    format: CHECKPOINT_FORMAT,
    step: String(cp.step),
    stateHash: toHex(checkpointHash(cp)),
  });
}

/** Decodes and checks a checkpoint: format, step, and that the tensors hash to the recorded hash. */
export function decodeCheckpoint(bytes: Uint8Array): Checkpoint {
  return decodeHashedCheckpoint(bytes).checkpoint;
}

/** `decodeCheckpoint`, with the state hash it checked (so that a caller comparing it hashes once). */
export function decodeHashedCheckpoint(bytes: Uint8Array): { checkpoint: Checkpoint; stateHash: Uint8Array } {
  const { checkpoint, recordedHash } = parseCheckpoint(bytes);
  return { checkpoint, stateHash: checkRecordedHash(checkpoint, recordedHash) };
}

/**
 * Decodes a checkpoint's format and step without hashing its tensors: the caller must still check the
 * state hash (`checkRecordedHash`) before trusting them. A verifier does that while it re-executes.
 */
export function parseCheckpoint(bytes: Uint8Array): { checkpoint: Checkpoint; recordedHash: string | undefined } {
  const f = decodeSafetensors(bytes);
  if (f.metadata.format !== CHECKPOINT_FORMAT) throw badCheckpoint(`format is ${f.metadata.format ?? "missing"}`);
  const step = Number(f.metadata.step);
  if (!Number.isInteger(step) || step < 0) throw badCheckpoint(`step is ${f.metadata.step}`);
  return { checkpoint: { step, state: f.tensors }, recordedHash: f.metadata.stateHash };
}

/** Hashes a parsed checkpoint's tensors; throws unless that is the hash its metadata recorded. */
export function checkRecordedHash(cp: Checkpoint, recordedHash: string | undefined): Uint8Array {
  const stateHash = checkpointHash(cp);
  if (toHex(stateHash) !== recordedHash) throw badCheckpoint("tensors do not match the recorded state hash");
  return stateHash;
}

function badCheckpoint(reason: string): TrainError {
  return new TrainError({ code: "TRAIN_ERROR_CHECKPOINT", reason }, `Bad checkpoint: ${reason}`);
}
