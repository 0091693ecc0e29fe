/**
 * Optimizer updates as graph nodes, appended after the gradients so one session run does a whole step.
 * - sgd:      p' = p - lr (g + wd p)
 * - momentum: v' = μ v + (g + wd p); p' = p - lr v'   (Nesterov: p' = p - lr (g + wd p + μ v'))
 * - adam:     m' = β1 m + (1-β1) g; v' = β2 v + (1-β2) g²; t' = t + 1;
 *             p' = p - lr √(1-β2^t') / (1-β1^t') · m' / (√v' + ε √(1-β2^t')) - lr wd p   (AdamW decay)
 * The learning rate is a graph input so that a schedule needs no new graph.
 */
import type { GraphBuilder } from "../onnx/builder.js";
import { type TensorData, tensor } from "../onnx/tensor.js";

export type OptimizerKind = "sgd" | "momentum" | "adam";

export interface OptimizerSpec {
  kind: OptimizerKind;
  /** Momentum coefficient μ (momentum only; default 0.9). */
  momentum?: number;
  nesterov?: boolean;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  weightDecay?: number;
}

export interface ParamGrad {
  name: string;
  grad: string;
  dims: number[];
}

export interface StateSlot {
  /** Graph input name, also the state tensor's canonical name. */
  name: string;
  /** Graph output holding the value after the step. */
  next: string;
  dims: number[];
  /** Initial value (zeros) for optimizer state; parameters come from the model. */
  initial?: TensorData;
}

export function nextName(name: string): string {
  return `${name}::next`;
}

export function appendOptimizer(b: GraphBuilder, spec: OptimizerSpec, params: ParamGrad[], lr: string): StateSlot[] {
  const wd = spec.weightDecay ?? 0;
  const slots: StateSlot[] = [];
  const zeros = (dims: number[]) => tensor(b.floatType, dims);
  const input = (name: string, dims: number[]) => {
    b.setMeta(name, b.floatType, dims);
    return name;
  };
  const finish = (value: string, name: string, dims: number[], initial?: TensorData) => {
    b.rename(value, nextName(name));
    slots.push({ name, next: nextName(name), dims, initial });
  };

  if (spec.kind === "adam") {
    const beta1 = spec.beta1 ?? 0.9;
    const beta2 = spec.beta2 ?? 0.999;
    const eps = spec.epsilon ?? 1e-8;
    const t = input("adam::t", []);
    const t1 = b.add(t, b.constFloat([1]));
    const one = b.constFloat([1]);
    const c1 = b.sub(one, b.op("Pow", [b.constFloat([beta1]), t1], []));
    const sqrtC2 = b.op("Sqrt", [b.sub(one, b.op("Pow", [b.constFloat([beta2]), t1], []))], []);
    const stepSize = b.div(b.mul(lr, sqrtC2), c1);
    const epsHat = b.scale(sqrtC2, eps);
    for (const p of params) {
      const m = input(`${p.name}::adam_m`, p.dims);
      const v = input(`${p.name}::adam_v`, p.dims);
      const m1 = b.add(b.scale(m, beta1), b.scale(p.grad, 1 - beta1));
      const v1 = b.add(b.scale(v, beta2), b.scale(b.mul(p.grad, p.grad), 1 - beta2));
      const denom = b.add(b.op("Sqrt", [v1], p.dims), epsHat);
      let update = b.mul(stepSize, b.div(m1, denom));
      if (wd !== 0) update = b.add(update, b.mul(b.scale(lr, wd), p.name));
      finish(b.sub(p.name, update), p.name, p.dims);
      finish(m1, m, p.dims, zeros(p.dims));
      finish(v1, v, p.dims, zeros(p.dims));
    }
    // Renamed last: the bias corrections above still read t1 under its builder name.
    finish(t1, "adam::t", [], zeros([]));
    return slots;
  }

  for (const p of params) {
    const g = wd !== 0 ? b.add(p.grad, b.scale(p.name, wd)) : p.grad;
    if (spec.kind === "sgd") {
      finish(b.sub(p.name, b.mul(lr, g)), p.name, p.dims);
      continue;
    }
    const mu = spec.momentum ?? 0.9;
    const v = input(`${p.name}::momentum`, p.dims);
    const v1 = b.add(b.scale(v, mu), g);
    const step = spec.nesterov ? b.add(g, b.scale(v1, mu)) : v1;
    finish(b.sub(p.name, b.mul(lr, step)), p.name, p.dims);
    finish(v1, v, p.dims, zeros(p.dims));
  }
  return slots;
}
