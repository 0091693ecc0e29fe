/** The inference pallet's SCALE types and the pure functions of their values. */
import { T, type TyValue } from "../../../primitives/scale/types.js";
import { AccountId, Balance, BlockNumber, H256 } from "../../../primitives/types.js";
import type { ExecutionProfileName } from "../workerRegistry.js";

export { outputCommitment, outputCommitmentPreimage } from "../../../primitives/inference.js";

const P = "pallet_inference";

export const InferenceProfile = T.enumeration(
  {
    CpuExact: {
      index: 0,
      docs: ["Pinned onnxruntime on one CPU thread: providers agree when their output hashes are equal."],
    },
    Gpu: {
      index: 1,
      fields: { grid_e9: T.u64 },
      docs: [
        "A GPU execution provider: each provider reveals a fingerprint, its output quantized to a grid of",
        "step `grid_e9 / 10^9` (`round(x / step)` as i32); providers agree within the request's tolerance.",
      ],
    },
  },
  { path: [P, "InferenceProfile"] },
);
export type InferenceProfileValue = TyValue<typeof InferenceProfile>;

/** The worker-registry execution profile a provider must offer to serve a request of `profile`. */
export function executionProfileOf(profile: InferenceProfileValue): ExecutionProfileName {
  return profile.tag === "CpuExact" ? "CpuExact" : "GpuTolerance";
}

export const InferenceRequirements = T.struct(
  { min_gpus: T.u32, min_gpu_memory_mib: T.u32, min_cpu_cores: T.u32, min_memory_mib: T.u32 },
  {
    path: [P, "InferenceRequirements"],
    docs: ["What a provider's registered capabilities must meet (GPU memory is per GPU)."],
  },
);
export type InferenceRequirementsValue = TyValue<typeof InferenceRequirements>;

export const RequestStatus = T.enumeration(
  {
    Committing: { index: 0, docs: ["Drawn providers run the model and commit to their output (or refuse)."] },
    Revealing: { index: 1, docs: ["Committed providers reveal their output."] },
    Settled: { index: 2, docs: ["A quorum agreed: its output is recorded, its providers were paid."] },
    NoQuorum: { index: 3, docs: ["No quorum agreed; the client was refunded less the revealers' rewards."] },
  },
  { path: [P, "RequestStatus"] },
);
export type RequestStatusValue = TyValue<typeof RequestStatus>;

/** Final statuses: the request holds nothing any more. */
export function isFinal(status: RequestStatusValue): boolean {
  return status.tag === "Settled" || status.tag === "NoQuorum";
}

export const AgreedOutput = T.struct(
  { output_cid: T.bytes, output_hash: H256 },
  { path: [P, "AgreedOutput"], docs: ["The quorum's output: that of its first member in draw order."] },
);

export const Request = T.struct(
  {
    client: AccountId,
    model_cid: T.bytes,
    input_cid: T.bytes,
    replicas: T.u32,
    quorum: T.u32,
    profile: InferenceProfile,
    tolerance: T.u64,
    requirements: InferenceRequirements,
    reward: Balance,
    network_fee: Balance,
    held: Balance,
    status: RequestStatus,
    requested_at: BlockNumber,
    reveal_blocks: BlockNumber,
    deadline: BlockNumber,
    providers: T.vec(AccountId),
    refused: T.vec(AccountId),
    agreed: T.option(AgreedOutput),
  },
  {
    path: [P, "Request"],
    fieldInfo: {
      reward: { docs: ["Paid to each agreeing provider."] },
      network_fee: { docs: ["`inference_fee_ppm` of `replicas * reward`, paid to the block author on a quorum."] },
      held: { docs: ["What is still reserved from the client for this request."] },
      tolerance: { docs: ["Largest L2 distance between agreeing fingerprints, in grid steps (`Gpu` only)."] },
      reveal_blocks: { docs: ["The reveal window (the `reveal_blocks` knob at request time)."] },
      deadline: { docs: ["The block at which the current phase ends (0 once final)."] },
      providers: { docs: ["The drawn providers still serving, in draw order (replacements last)."] },
      refused: { docs: ["Providers that refused the request; never drawn for it again."] },
    },
  },
);
export type RequestValue = TyValue<typeof Request>;

export const RevealedOutput = T.struct(
  { output_cid: T.bytes, output_hash: H256, fingerprint: T.vec(T.i32) },
  { path: [P, "RevealedOutput"] },
);
export type RevealedOutputValue = TyValue<typeof RevealedOutput>;

export const ProviderOutput = T.struct(
  { commitment: H256, revealed: T.option(RevealedOutput) },
  { path: [P, "ProviderOutput"], docs: ["A provider's committed (and later revealed) output."] },
);
export type ProviderOutputValue = TyValue<typeof ProviderOutput>;
