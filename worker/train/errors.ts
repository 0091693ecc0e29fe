import { TensorchainError } from "../../primitives/errors.js";

export type TrainErrorType =
  | { code: "TRAIN_ERROR_NON_FINITE_LOSS"; step: number; loss: number }
  | { code: "TRAIN_ERROR_ORT_VERSION"; expected: string; found: string }
  | { code: "TRAIN_ERROR_BAD_OPTIONS"; reason: string }
  | { code: "TRAIN_ERROR_CHECKPOINT"; reason: string }
  | { code: "TRAIN_ERROR_SESSION"; reason: string }
  | { code: "TRAIN_ERROR_WORKER"; reason: string };

export class TrainError extends TensorchainError<TrainErrorType> {}
