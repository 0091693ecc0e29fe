import { beforeAll, describe, expect, it } from "@jest/globals";
import { cryptoReady } from "../../../../primitives/hashing.js";
import { makeDataset, validateDataset } from "../../../../worker/data/dataset.js";
import { DatasetError } from "../../../../worker/data/errors.js";
import { MNIST_TOTAL, mnistSplits } from "../../../../worker/data/mnist.js";
import { decodeSafetensors, encodeSafetensors } from "../../../../worker/data/safetensors.js";
import { syntheticClassification } from "../../../../worker/data/synthetic.js";
import { tensor } from "../../../../worker/onnx/tensor.js";
import { thrownCode } from "../../../helpers/errors.js";

const codeOf = (f: () => unknown) => thrownCode(f, DatasetError);

describe("safetensors and datasets", () => {
  beforeAll(async () => {
    await cryptoReady();
  });

  it("round-trips tensors and metadata, with an 8-byte aligned header", () => {
    const tensors = new Map([
      ["x", tensor("float32", [2, 3], [1, 2, 3, 4, 5, 6.5])],
      ["y", tensor("int64", [2], [7, -1])],
    ]);
    const bytes = encodeSafetensors(tensors, { kind: "test" });
    expect(Number(new DataView(bytes.buffer).getBigUint64(0, true)) % 8).toBe(0);
    const back = decodeSafetensors(bytes);
    expect(back.metadata).toEqual({ kind: "test" });
    expect(back.tensors.get("x")).toEqual(tensors.get("x"));
    expect(back.tensors.get("y")).toEqual(tensors.get("y"));
  });

  it("rejects truncated files and lying headers", () => {
    const bytes = encodeSafetensors(new Map([["x", tensor("float32", [4], [1, 2, 3, 4])]]));
    expect(codeOf(() => decodeSafetensors(bytes.subarray(0, bytes.length - 1)))).toBe("DATASET_ERROR_CORRUPT");
    expect(codeOf(() => decodeSafetensors(bytes.subarray(0, 5)))).toBe("DATASET_ERROR_CORRUPT");
    const bad = bytes.slice();
    bad[9] = 0x7b; // break the JSON
    bad[8] = 0x21;
    expect(codeOf(() => decodeSafetensors(bad))).toBe("DATASET_ERROR_CORRUPT");
  });

  it("validates feature shapes and label ranges against the model", () => {
    const ds = syntheticClassification({ samples: 20, sampleDims: [6], classes: 3, seed: 1n });
    expect(() => validateDataset(ds, [6], { kind: "classes", classes: 3 })).not.toThrow();
    expect(codeOf(() => validateDataset(ds, [7], { kind: "classes", classes: 3 }))).toBe(
      "DATASET_ERROR_SHAPE_MISMATCH",
    );
    expect(codeOf(() => validateDataset(ds, [6], { kind: "classes", classes: 2 }))).toBe(
      "DATASET_ERROR_LABEL_OUT_OF_RANGE",
    );
    const negative = makeDataset(
      ds.x,
      tensor(
        "int64",
        [20],
        new Array(20).fill(0).map((_, i) => (i === 4 ? -1 : 0)),
      ),
    );
    expect(codeOf(() => validateDataset(negative, [6], { kind: "classes", classes: 3 }))).toBe(
      "DATASET_ERROR_LABEL_OUT_OF_RANGE",
    );
  });

  it("synthetic data is a pure function of its seed", () => {
    const a = syntheticClassification({ samples: 50, sampleDims: [4], classes: 3, seed: 9n });
    const b = syntheticClassification({ samples: 50, sampleDims: [4], classes: 3, seed: 9n });
    const c = syntheticClassification({ samples: 50, sampleDims: [4], classes: 3, seed: 10n });
    expect(a.x.data).toEqual(b.x.data);
    expect(a.x.data).not.toEqual(c.x.data);
  });

  it("MNIST splits are fixed, disjoint, and the test set does not depend on the training size", () => {
    const a = mnistSplits(500, 300);
    const b = mnistSplits(800, 300);
    expect(a.train.x.dims).toEqual([500, 1, 28, 28]);
    expect(a.test.y.data).toEqual(b.test.y.data);
    expect(a.test.x.data).toEqual(b.test.x.data);
    expect(b.train.x.data.subarray(0, 500 * 784)).toEqual(a.train.x.data);
    const labels = new Set(Array.from(a.train.y.data as BigInt64Array, Number));
    expect(labels.size).toBe(10);
    expect(codeOf(() => mnistSplits(MNIST_TOTAL, 1))).toBe("DATASET_ERROR_TOO_SMALL");
  });
});

describe("decodeSafetensors with view", () => {
  it("gives aligned tensors as views over the bytes, shared memory included, and copies misaligned ones", () => {
    // "a" (3 uint8 bytes) comes first in name order, so "b" (float32) starts at data offset 3: misaligned.
    const bytes = encodeSafetensors(
      new Map([
        ["a", tensor("uint8", [3], [1, 2, 3])],
        ["b", tensor("float32", [2], [1.5, -2])],
      ]),
    );
    const shared = new Uint8Array(new SharedArrayBuffer(bytes.length));
    shared.set(bytes);
    const f = decodeSafetensors(shared, { view: true }).tensors;
    expect(f.get("a")!.data.buffer).toBe(shared.buffer);
    expect(f.get("b")!.data.buffer).not.toBe(shared.buffer);
    expect([...f.get("b")!.data]).toEqual([1.5, -2]);
    shared[shared.length - 9] = 9; // the last byte of "a"
    expect([...f.get("a")!.data]).toEqual([1, 2, 9]);
    // Aligned float32 data is a view; the default still copies.
    const aligned = encodeSafetensors(new Map([["x", tensor("float32", [2], [3, 4])]]));
    expect(decodeSafetensors(aligned, { view: true }).tensors.get("x")!.data.buffer).toBe(aligned.buffer);
    expect(decodeSafetensors(aligned).tensors.get("x")!.data.buffer).not.toBe(aligned.buffer);
  });
});
