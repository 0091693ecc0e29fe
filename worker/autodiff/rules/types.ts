import type { GraphBuilder } from "../../onnx/builder.js";
import type { OnnxNode } from "../../onnx/ir.js";

export interface GradContext {
  b: GraphBuilder;
  /** Whether the gradient with respect to this value is wanted (it leads to a parameter). */
  wants(name: string): boolean;
}

/**
 * A backward rule: given the node and the gradient of its (first) output, returns the gradient of each
 * input, or undefined where the input needs none. Every rule sums broadcast dimensions back down.
 */
export type GradRule = (ctx: GradContext, node: OnnxNode, dY: string) => (string | undefined)[];
