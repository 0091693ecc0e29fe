import { describe, expect, it } from "@jest/globals";
import { OnnxError } from "../../../../worker/onnx/errors.js";
import { decodeModel, encodeModel, replaceInitializers } from "../../../../worker/onnx/model.js";
import { normalizeGraph } from "../../../../worker/onnx/normalize.js";
import { inferShapes } from "../../../../worker/onnx/shapes.js";
import { buildTemplateModel } from "../../../../worker/templates/models.js";
import { thrownCode } from "../../../helpers/errors.js";
import { tinyMlp } from "../helpers.js";

const codeOf = (f: () => unknown) => thrownCode(f, OnnxError);

describe("ONNX IO", () => {
  it("round-trips a model: nodes, attributes, initializers and value infos", () => {
    const bytes = buildTemplateModel("cnn", { seed: 3n });
    const m = decodeModel(bytes);
    expect(m.opset).toBe(17);
    expect(m.graph.inputs).toEqual([{ name: "x", dtype: "float32", shape: ["N", 1, 28, 28] }]);
    const again = decodeModel(encodeModel(m.graph));
    expect(again.graph.nodes).toEqual(m.graph.nodes);
    expect([...again.graph.initializers.keys()]).toEqual([...m.graph.initializers.keys()]);
    expect(again.graph.initializers.get("conv1.weight")!.data).toEqual(m.graph.initializers.get("conv1.weight")!.data);
  });

  it("is deterministic: the same seed gives the same bytes, another seed other weights", () => {
    expect(buildTemplateModel("mlp", { seed: 5n })).toEqual(buildTemplateModel("mlp", { seed: 5n }));
    expect(buildTemplateModel("mlp", { seed: 5n })).not.toEqual(buildTemplateModel("mlp", { seed: 6n }));
  });

  it("rejects garbage and truncated files with ONNX_ERROR_CORRUPT", () => {
    const bytes = tinyMlp(4, 8, 3);
    expect(codeOf(() => decodeModel(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x01])))).toBe("ONNX_ERROR_CORRUPT");
    expect(codeOf(() => decodeModel(bytes.subarray(0, bytes.length - 7)))).toBe("ONNX_ERROR_CORRUPT");
    expect(codeOf(() => decodeModel(new Uint8Array(0)))).toBe("ONNX_ERROR_CORRUPT");
  });

  it("names the op type and node of an unsupported operator", () => {
    const bytes = tinyMlp(4, 8, 3, {
      extra: [{ name: "my_topk", opType: "TopK", domain: "", inputs: ["logits", "k"], outputs: ["vals"], attrs: {} }],
    });
    try {
      normalizeGraph(decodeModel(bytes));
      throw new Error("expected a failure");
    } catch (e) {
      expect(e).toBeInstanceOf(OnnxError);
      expect((e as OnnxError).code).toBe("ONNX_ERROR_UNSUPPORTED_OP");
      expect((e as Error).message).toContain("TopK");
      expect((e as Error).message).toContain("my_topk");
    }
  });

  it("infers static shapes and reports mismatches as ONNX_ERROR_SHAPE", () => {
    const m = decodeModel(buildTemplateModel("cnn"));
    const shapes = inferShapes(normalizeGraph(m), { x: [5, 1, 28, 28] });
    expect(shapes.get("pool2_out")!.dims).toEqual([5, 16, 7, 7]);
    expect(shapes.get("logits")!.dims).toEqual([5, 10]);
    expect(codeOf(() => inferShapes(normalizeGraph(m), { x: [5, 1, 27, 28] }))).toBe("ONNX_ERROR_SHAPE");
  });

  it("replaces initializers and keeps everything else", () => {
    const bytes = tinyMlp(4, 8, 3);
    const m = decodeModel(bytes);
    const w2 = m.graph.initializers.get("w2")!;
    const changed = { ...w2, data: (w2.data as Float32Array).map((v) => v + 1) };
    const out = decodeModel(replaceInitializers(bytes, new Map([["w2", changed]])));
    expect(out.graph.nodes).toEqual(m.graph.nodes);
    expect(out.graph.initializers.get("w2")!.data).toEqual(changed.data);
    expect(out.graph.initializers.get("w1")!.data).toEqual(m.graph.initializers.get("w1")!.data);
  });
});
