/**
 * Deterministic weight initialization from a seed. Each tensor draws from its own blake2 stream keyed
 * by (seed, tensor name), so adding a layer does not change the others' weights.
 */
import { type TensorData, tensor } from "../onnx/tensor.js";
import { Blake2Stream } from "../util/prng.js";

/** U(-bound, bound) float32 values. */
export function uniformInit(seed: bigint, name: string, dims: number[], bound: number): TensorData {
  const rng = Blake2Stream.from("tensorchain/init", seed, name);
  const t = tensor("float32", dims);
  const data = t.data as Float32Array;
  for (let i = 0; i < data.length; i++) data[i] = (rng.nextFloat() * 2 - 1) * bound;
  return t;
}

/** He-uniform, bound √(6 / fanIn): keeps activations' variance through ReLU layers. */
export function heUniform(seed: bigint, name: string, dims: number[], fanIn: number): TensorData {
  return uniformInit(seed, name, dims, Math.sqrt(6 / fanIn));
}

/** Bound 1/√fanIn (PyTorch's default for Linear and Conv2d): biases and the output layer. */
export function fanInUniform(seed: bigint, name: string, dims: number[], fanIn: number): TensorData {
  return uniformInit(seed, name, dims, 1 / Math.sqrt(fanIn));
}
