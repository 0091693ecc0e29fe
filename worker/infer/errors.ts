import { TensorchainError } from "../../primitives/errors.js";

/**
 * Why an inference request was refused or failed. A provider logs the code and does not commit an
 * output; every code but `INFER_ERROR_THREAD` leaves the runner's thread as it was, ready for the next
 * request.
 */
export type InferErrorType =
  /** The model is larger than the runner's memory limit (checked before it is read or sent). */
  | { code: "INFER_ERROR_MODEL_TOO_LARGE"; bytes: number; max: number }
  /** The input file is larger than the runner accepts (checked before it is decoded). */
  | { code: "INFER_ERROR_INPUT_TOO_LARGE"; bytes: number; max: number }
  /** onnxruntime has no kernel for an operator of the model (unknown op, unknown domain or type). */
  | { code: "INFER_ERROR_UNSUPPORTED_OP"; opType: string; domain: string; reason: string }
  /** An input or output of the model has an element type the runner cannot carry in safetensors. */
  | { code: "INFER_ERROR_UNSUPPORTED_DTYPE"; tensor: string; dtype: string }
  /** The model bytes are not a model onnxruntime loads (corrupt, truncated, invalid graph). */
  | { code: "INFER_ERROR_BAD_MODEL"; reason: string }
  /** The model bytes do not hash to the model hash of the request. */
  | { code: "INFER_ERROR_MODEL_HASH"; expected: string; found: string }
  /** The input is not a safetensors file, or lacks a tensor the model needs. */
  | { code: "INFER_ERROR_BAD_INPUT"; reason: string }
  /** An input tensor's element type, rank or a fixed dimension does not fit the model, or batches differ. */
  | { code: "INFER_ERROR_INPUT_SHAPE"; input: string; expected: string; found: string }
  /** onnxruntime failed while running the model on an input that passed the checks. */
  | { code: "INFER_ERROR_RUN"; reason: string }
  /** The request itself is malformed (no model source, a bad fingerprint grid). */
  | { code: "INFER_ERROR_BAD_REQUEST"; reason: string }
  /** The runner's thread is missing (no build), or crashed or exited while running a request. */
  | { code: "INFER_ERROR_THREAD"; reason: string };

export type InferErrorCode = InferErrorType["code"];

export class InferError extends TensorchainError<InferErrorType> {}
