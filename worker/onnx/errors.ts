import { TensorchainError } from "../../primitives/errors.js";

/** Everything that can be wrong with an ONNX model handed to the ML engine. */
export type OnnxErrorType =
  | { code: "ONNX_ERROR_CORRUPT"; reason: string }
  | { code: "ONNX_ERROR_UNSUPPORTED_OP"; opType: string; nodeName: string; reason?: string }
  | { code: "ONNX_ERROR_UNSUPPORTED_ATTRIBUTE"; opType: string; nodeName: string; attribute: string }
  | { code: "ONNX_ERROR_UNSUPPORTED_DTYPE"; dataType: number | string; tensor: string }
  | { code: "ONNX_ERROR_UNSUPPORTED_OPSET"; version: number }
  | { code: "ONNX_ERROR_INVALID_GRAPH"; reason: string }
  | { code: "ONNX_ERROR_SHAPE"; nodeName: string; reason: string };

export class OnnxError extends TensorchainError<OnnxErrorType> {}

export function unsupportedOp(opType: string, nodeName: string, reason?: string): OnnxError {
  const why = reason ? `: ${reason}` : "";
  return new OnnxError(
    { code: "ONNX_ERROR_UNSUPPORTED_OP", opType, nodeName, reason },
    `Unsupported operator ${opType} in node "${nodeName}"${why}`,
  );
}

export function shapeError(nodeName: string, reason: string): OnnxError {
  return new OnnxError({ code: "ONNX_ERROR_SHAPE", nodeName, reason }, `Shape error in node "${nodeName}": ${reason}`);
}
