import { TensorchainError } from "../../primitives/errors.js";

export type VerifierPoolErrorType =
  /** `verifyBatch` after `close()`, or a batch still queued when the pool closed. */
  | { code: "VERIFIER_POOL_ERROR_CLOSED" }
  /** The worker running this batch exited or threw; the worker has been replaced. */
  | { code: "VERIFIER_POOL_ERROR_WORKER_CRASHED"; threadId: number; exitCode: number | null; reason: string }
  /** The worker answered with an error for this batch (it is still running). */
  | { code: "VERIFIER_POOL_ERROR_WORKER_FAILED"; threadId: number; reason: string }
  /** No compiled worker script: run `npm run build` (see `workerScript.ts`). */
  | { code: "VERIFIER_POOL_ERROR_WORKER_NOT_FOUND"; paths: string[] };

export class VerifierPoolError extends TensorchainError<VerifierPoolErrorType> {}
