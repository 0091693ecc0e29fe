/**
 * Reverse-mode differentiation over an emitted forward graph: walks the nodes backwards from the
 * loss, sums the gradient contributions of values used more than once, and asks each node's rule for
 * the gradients of the inputs that lead to a parameter. Nodes that lead to no parameter get no
 * backward work at all (e.g. the gradient of the input batch is never built).
 */
import type { GraphBuilder } from "../onnx/builder.js";
import { unsupportedOp } from "../onnx/errors.js";
import type { OnnxNode } from "../onnx/ir.js";
import { GRAD_RULES } from "./rules/index.js";

/** Values that depend, through differentiable inputs, on one of `params`. */
export function valuesNeedingGrad(nodes: readonly OnnxNode[], params: ReadonlySet<string>): Set<string> {
  const needs = new Set(params);
  for (const n of nodes) if (n.inputs.some((i) => needs.has(i))) needs.add(n.outputs[0]);
  return needs;
}

/** Returns the gradient value of each parameter with respect to the scalar whose gradient is `dOutput`. */
export function backward(
  b: GraphBuilder,
  forward: readonly OnnxNode[],
  output: string,
  dOutput: string,
  params: ReadonlySet<string>,
): Map<string, string> {
  const needs = valuesNeedingGrad(forward, params);
  const contributions = new Map<string, string[]>([[output, [dOutput]]]);
  const gradOf = (name: string): string | undefined => {
    const parts = contributions.get(name);
    if (!parts || parts.length === 0) return undefined;
    let sum = parts[0];
    for (let i = 1; i < parts.length; i++) sum = b.add(sum, parts[i]);
    contributions.set(name, [sum]);
    return sum;
  };
  for (let i = forward.length - 1; i >= 0; i--) {
    const node = forward[i];
    const dY = gradOf(node.outputs[0]);
    if (!dY || !node.inputs.some((x) => needs.has(x))) continue;
    const rule = GRAD_RULES[node.opType];
    if (!rule) throw unsupportedOp(node.opType, node.name, "no gradient rule");
    const grads = rule({ b, wants: (name) => needs.has(name) }, node, dY);
    node.inputs.forEach((x, k) => {
      const g = grads[k];
      if (g && needs.has(x)) contributions.set(x, [...(contributions.get(x) ?? []), g]);
    });
  }
  const out = new Map<string, string>();
  for (const p of params) {
    const g = gradOf(p);
    // A parameter the loss does not depend on has a zero gradient.
    out.set(p, g ?? b.expand(b.constFloat([0], [1]), b.dims(p)));
  }
  return out;
}
