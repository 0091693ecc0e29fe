/**
 * Reading and writing ONNX files. `decodeModel` turns bytes into the engine's graph IR and rejects
 * anything malformed with a typed error; `encodeModel` writes an IR graph; `replaceInitializers` writes
 * the client's own model back with new weights, touching nothing else.
 */
import protobuf from "protobufjs";
import { type DType, dtypeFromOnnx, dtypeToOnnx } from "./dtype.js";
import { OnnxError } from "./errors.js";
import type { Attribute, Dim, OnnxGraph, OnnxModel, OnnxNode, ValueInfo } from "./ir.js";
import { ONNX_PROTO } from "./schema.js";
import { type TensorData, type TensorProtoLike, tensorFromProto, tensorToProto, toNumber } from "./tensor.js";

/** The opset of every graph the engine writes (training graphs, templates). */
export const ENGINE_OPSET = 17;
/** IR version 8 pairs with opset 17 (onnx 1.12+), which onnxruntime 1.30 reads. */
export const ENGINE_IR_VERSION = 8;
/** Opsets of client models the importer understands (axes-as-input rules differ before 13). */
export const MIN_OPSET = 13;
export const MAX_OPSET = 21;

const root = protobuf.parse(ONNX_PROTO, { keepCase: false }).root;
const ModelProto = root.lookupType("onnx.ModelProto");

const ATTR_TYPE = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

type Msg = Record<string, unknown>;

/** Raw protobuf decode with truncated or garbled bytes mapped to ONNX_ERROR_CORRUPT. */
export function decodeModelProto(bytes: Uint8Array): Msg {
  let msg: Msg;
  try {
    msg = ModelProto.toObject(ModelProto.decode(bytes), { defaults: false, arrays: true }) as Msg;
  } catch (e) {
    throw new OnnxError(
      { code: "ONNX_ERROR_CORRUPT", reason: (e as Error).message },
      `Corrupt ONNX file: ${(e as Error).message}`,
    );
  }
  if (!msg.graph)
    throw new OnnxError({ code: "ONNX_ERROR_CORRUPT", reason: "no graph" }, "Corrupt ONNX file: no graph");
  return msg;
}

export function decodeModel(bytes: Uint8Array): OnnxModel {
  const msg = decodeModelProto(bytes);
  const opsets = (msg.opsetImport as Msg[] | undefined) ?? [];
  const dflt = opsets.find((o) => !o.domain || o.domain === "ai.onnx");
  if (!dflt)
    throw new OnnxError(
      { code: "ONNX_ERROR_CORRUPT", reason: "no default opset import" },
      "Corrupt ONNX file: no default opset import",
    );
  const opset = toNumber(dflt.version);
  if (opset < MIN_OPSET || opset > MAX_OPSET) {
    throw new OnnxError(
      { code: "ONNX_ERROR_UNSUPPORTED_OPSET", version: opset },
      `Unsupported opset ${opset}: the engine reads opsets ${MIN_OPSET}..${MAX_OPSET}`,
    );
  }
  return { opset, graph: graphFromProto(msg.graph as Msg) };
}

function graphFromProto(g: Msg): OnnxGraph {
  const initializers = new Map<string, TensorData>();
  for (const t of (g.initializer as TensorProtoLike[] | undefined) ?? [])
    initializers.set(t.name ?? "", tensorFromProto(t));
  const inputs = ((g.input as Msg[] | undefined) ?? [])
    .map(valueInfoFromProto)
    .filter((v) => !initializers.has(v.name));
  const outputs = ((g.output as Msg[] | undefined) ?? []).map(valueInfoFromProto);
  const nodes = ((g.node as Msg[] | undefined) ?? []).map((n, i) => nodeFromProto(n, i));
  if (nodes.length === 0)
    throw new OnnxError(
      { code: "ONNX_ERROR_INVALID_GRAPH", reason: "graph has no nodes" },
      "Invalid ONNX graph: no nodes",
    );
  return { name: (g.name as string) ?? "", nodes, inputs, outputs, initializers };
}

function valueInfoFromProto(v: Msg): ValueInfo {
  const name = (v.name as string) ?? "";
  const tt = ((v.type as Msg | undefined)?.tensorType as Msg | undefined) ?? undefined;
  if (!tt) throw new OnnxError({ code: "ONNX_ERROR_CORRUPT", reason: `value "${name}" is not a tensor` });
  const dtype: DType = dtypeFromOnnx((tt.elemType as number) ?? 0, name);
  const shapeMsg = tt.shape as Msg | undefined;
  const shape: Dim[] | null = shapeMsg
    ? ((shapeMsg.dim as Msg[] | undefined) ?? []).map((d) =>
        d.dimValue !== undefined ? toNumber(d.dimValue) : typeof d.dimParam === "string" ? d.dimParam : null,
      )
    : null;
  return { name, dtype, shape };
}

function nodeFromProto(n: Msg, index: number): OnnxNode {
  const opType = (n.opType as string) ?? "";
  const name = (n.name as string) || `${opType}_${index}`;
  const attrs: Record<string, Attribute> = {};
  for (const a of (n.attribute as Msg[] | undefined) ?? []) attrs[a.name as string] = attributeFromProto(a);
  return {
    name,
    opType,
    domain: (n.domain as string) ?? "",
    inputs: (n.input as string[] | undefined) ?? [],
    outputs: (n.output as string[] | undefined) ?? [],
    attrs,
  };
}

function attributeFromProto(a: Msg): Attribute {
  switch (a.type as number) {
    case ATTR_TYPE.FLOAT:
      return { type: "FLOAT", f: (a.f as number) ?? 0 };
    case ATTR_TYPE.INT:
      return { type: "INT", i: toNumber(a.i ?? 0) };
    case ATTR_TYPE.STRING:
      return { type: "STRING", s: Buffer.from((a.s as Uint8Array) ?? []).toString("utf8") };
    case ATTR_TYPE.TENSOR:
      return { type: "TENSOR", t: tensorFromProto(a.t as TensorProtoLike) };
    case ATTR_TYPE.FLOATS:
      return { type: "FLOATS", floats: (a.floats as number[]) ?? [] };
    case ATTR_TYPE.INTS:
      return { type: "INTS", ints: ((a.ints as unknown[]) ?? []).map(toNumber) };
    default:
      return { type: "OTHER", kind: (a.type as number) ?? 0 };
  }
}

function attributeToProto(name: string, a: Attribute): Msg {
  switch (a.type) {
    case "FLOAT":
      return { name, type: ATTR_TYPE.FLOAT, f: a.f };
    case "INT":
      return { name, type: ATTR_TYPE.INT, i: a.i };
    case "STRING":
      return { name, type: ATTR_TYPE.STRING, s: Buffer.from(a.s, "utf8") };
    case "TENSOR":
      return { name, type: ATTR_TYPE.TENSOR, t: tensorToProto("", a.t) };
    case "FLOATS":
      return { name, type: ATTR_TYPE.FLOATS, floats: a.floats };
    case "INTS":
      return { name, type: ATTR_TYPE.INTS, ints: a.ints };
    default:
      throw new OnnxError({ code: "ONNX_ERROR_INVALID_GRAPH", reason: `cannot write attribute ${name}` });
  }
}

function valueInfoToProto(v: ValueInfo): Msg {
  const tensorType: Msg = { elemType: dtypeToOnnx(v.dtype) };
  if (v.shape) {
    tensorType.shape = {
      dim: v.shape.map((d) => (typeof d === "number" ? { dimValue: d } : typeof d === "string" ? { dimParam: d } : {})),
    };
  }
  return { name: v.name, type: { tensorType } };
}

export interface EncodeOptions {
  opset?: number;
  producerName?: string;
  docString?: string;
}

/** Serializes an IR graph as a fresh ModelProto at the engine's opset. */
export function encodeModel(graph: OnnxGraph, opts: EncodeOptions = {}): Uint8Array {
  const msg = {
    irVersion: ENGINE_IR_VERSION,
    opsetImport: [{ domain: "", version: opts.opset ?? ENGINE_OPSET }],
    producerName: opts.producerName ?? "tensorchain",
    docString: opts.docString ?? "",
    graph: {
      name: graph.name,
      node: graph.nodes.map((n) => ({
        name: n.name,
        opType: n.opType,
        domain: n.domain,
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attrs).map(([k, a]) => attributeToProto(k, a)),
      })),
      initializer: [...graph.initializers].map(([name, t]) => tensorToProto(name, t)),
      input: graph.inputs.map(valueInfoToProto),
      output: graph.outputs.map(valueInfoToProto),
    },
  };
  return ModelProto.encode(ModelProto.fromObject(msg)).finish();
}

/**
 * The client's model bytes with the named initializers replaced (same names, dtypes and dims):
 * everything else (nodes, metadata, opsets, doc strings) is written back as it came.
 */
export function replaceInitializers(modelBytes: Uint8Array, weights: Map<string, TensorData>): Uint8Array {
  const msg = decodeModelProto(modelBytes);
  const graph = msg.graph as Msg;
  const inits = (graph.initializer as TensorProtoLike[] | undefined) ?? [];
  const seen = new Set<string>();
  graph.initializer = inits.map((t) => {
    const w = weights.get(t.name ?? "");
    if (!w) return t;
    seen.add(t.name ?? "");
    return tensorToProto(t.name ?? "", w);
  });
  for (const name of weights.keys()) {
    if (!seen.has(name))
      throw new OnnxError({ code: "ONNX_ERROR_INVALID_GRAPH", reason: `no initializer "${name}" to replace` });
  }
  return ModelProto.encode(ModelProto.fromObject(msg)).finish();
}
