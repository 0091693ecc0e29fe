/** Backward rules for Gemm and MatMul, written with the same ops so they run at forward speed. */
import { attrFloat, attrInt } from "../../onnx/ir.js";
import type { GradRule } from "./types.js";

/**
 * Y = alpha · A' · B' + beta · C with A' = transA ? Aᵀ : A, B' likewise.
 * dA' = alpha · dY · B'ᵀ and dB' = alpha · A'ᵀ · dY, each transposed back when the input was.
 */
export const gemmGrad: GradRule = ({ b, wants }, node, dY) => {
  const [a, bb, c] = node.inputs;
  const alpha = attrFloat(node, "alpha", 1);
  const beta = attrFloat(node, "beta", 1);
  const tA = attrInt(node, "transA", 0);
  const tB = attrInt(node, "transB", 0);
  const gemm = (p: string, q: string, transA: number, transB: number, dims: number[]) =>
    b.op("Gemm", [p, q], dims, { alpha: { float: alpha }, transA, transB });
  const dA = wants(a)
    ? tA
      ? gemm(bb, dY, tB, 1, b.dims(a)) // dA = alpha · B' · dYᵀ
      : gemm(dY, bb, 0, tB ? 0 : 1, b.dims(a)) // dA = alpha · dY · B'ᵀ
    : undefined;
  const dB = wants(bb)
    ? tB
      ? gemm(dY, a, 1, tA, b.dims(bb)) // dB = alpha · dYᵀ · A'
      : gemm(a, dY, tA ? 0 : 1, 0, b.dims(bb)) // dB = alpha · A'ᵀ · dY
    : undefined;
  const dC = c && wants(c) ? b.reduceToShape(b.scale(dY, beta), b.dims(c)) : undefined;
  return [dA, dB, dC];
};

/** Batched MatMul (rank >= 2) with broadcasting over the batch dims. */
export const matMulGrad: GradRule = ({ b, wants }, node, dY) => {
  const [a, bb] = node.inputs;
  const swapLast = (x: string) => {
    const r = b.dims(x).length;
    return b.transpose(
      x,
      b.dims(x).map((_, i) => (i === r - 2 ? r - 1 : i === r - 1 ? r - 2 : i)),
    );
  };
  const yDims = b.dims(dY);
  const batch = yDims.slice(0, -2);
  const [m, n] = yDims.slice(-2);
  const k = b.dims(a).at(-1)!;
  const dA = wants(a) ? b.reduceToShape(b.op("MatMul", [dY, swapLast(bb)], [...batch, m, k]), b.dims(a)) : undefined;
  const dB = wants(bb) ? b.reduceToShape(b.op("MatMul", [swapLast(a), dY], [...batch, k, n]), b.dims(bb)) : undefined;
  return [dA, dB];
};
