import { TensorchainError } from "../../primitives/errors.js";

export type DatasetErrorType =
  | { code: "DATASET_ERROR_CORRUPT"; reason: string }
  | { code: "DATASET_ERROR_MISSING_TENSOR"; tensor: string }
  | { code: "DATASET_ERROR_SHAPE_MISMATCH"; expected: string; found: string }
  | { code: "DATASET_ERROR_LABEL_OUT_OF_RANGE"; index: number; label: number; classes: number }
  | { code: "DATASET_ERROR_TOO_SMALL"; samples: number; needed: number };

export class DatasetError extends TensorchainError<DatasetErrorType> {}
