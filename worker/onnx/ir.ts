/** The in-memory graph the engine works on: plain objects, decoupled from protobufjs. */
import type { DType } from "./dtype.js";
import type { TensorData } from "./tensor.js";

export type Attribute =
  | { type: "INT"; i: number }
  | { type: "FLOAT"; f: number }
  | { type: "INTS"; ints: number[] }
  | { type: "FLOATS"; floats: number[] }
  | { type: "STRING"; s: string }
  | { type: "TENSOR"; t: TensorData }
  /** Kept only to report it: the engine supports no node with such an attribute. */
  | { type: "OTHER"; kind: number };

export interface OnnxNode {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, Attribute>;
}

/** A dimension is a number when static, a symbol (e.g. "N") when not, null when unknown. */
export type Dim = number | string | null;

export interface ValueInfo {
  name: string;
  dtype: DType;
  shape: Dim[] | null;
}

export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  initializers: Map<string, TensorData>;
}

export interface OnnxModel {
  /** Version of the default ("" / ai.onnx) opset the model imports. */
  opset: number;
  graph: OnnxGraph;
}

export function attrInt(node: OnnxNode, name: string, dflt: number): number {
  const a = node.attrs[name];
  return a && a.type === "INT" ? a.i : dflt;
}

export function attrFloat(node: OnnxNode, name: string, dflt: number): number {
  const a = node.attrs[name];
  return a && a.type === "FLOAT" ? a.f : dflt;
}

export function attrInts(node: OnnxNode, name: string): number[] | undefined {
  const a = node.attrs[name];
  return a && a.type === "INTS" ? a.ints : undefined;
}

export function attrString(node: OnnxNode, name: string, dflt: string): string {
  const a = node.attrs[name];
  return a && a.type === "STRING" ? a.s : dflt;
}
