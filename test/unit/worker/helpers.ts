/** Shared fixtures for the ML engine's tests: small models built in code, and the CLI as a process. */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { OnnxNode } from "../../../worker/onnx/ir.js";
import { encodeModel } from "../../../worker/onnx/model.js";
import type { TensorData } from "../../../worker/onnx/tensor.js";
import { fanInUniform } from "../../../worker/templates/init.js";

export const REPO = join(import.meta.dirname, "..", "..", "..");
export const NODE = join(REPO, "node_modules", ".bin", "node");
export const BIN = join(REPO, "bin", "tensorchain.js");

/** x [N, features] → Gemm hidden → Relu → Gemm classes; extra nodes may be spliced after the logits. */
export function tinyMlp(
  features: number,
  hidden: number,
  classes: number,
  opts: { seed?: bigint; extra?: OnnxNode[] } = {},
): Uint8Array {
  const seed = opts.seed ?? 1n;
  const init = new Map<string, TensorData>([
    ["w1", fanInUniform(seed, "w1", [hidden, features], features)],
    ["b1", fanInUniform(seed, "b1", [hidden], features)],
    ["w2", fanInUniform(seed, "w2", [classes, hidden], hidden)],
    ["b2", fanInUniform(seed, "b2", [classes], hidden)],
  ]);
  const transB = { transB: { type: "INT" as const, i: 1 } };
  const nodes: OnnxNode[] = [
    { name: "fc1", opType: "Gemm", domain: "", inputs: ["x", "w1", "b1"], outputs: ["h1"], attrs: transB },
    { name: "relu", opType: "Relu", domain: "", inputs: ["h1"], outputs: ["a1"], attrs: {} },
    { name: "fc2", opType: "Gemm", domain: "", inputs: ["a1", "w2", "b2"], outputs: ["logits"], attrs: transB },
    ...(opts.extra ?? []),
  ];
  const out = nodes.at(-1)!.outputs[0];
  return encodeModel({
    name: "tiny",
    nodes,
    inputs: [{ name: "x", dtype: "float32", shape: ["N", features] }],
    outputs: [{ name: out, dtype: "float32", shape: ["N", classes] }],
    initializers: init,
  });
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `tensorchain ARGS` as its own process (the compiled CLI: `npm run build` first). */
export function runCli(args: string[]): Promise<CliResult> {
  if (!existsSync(join(REPO, "dist", "cli", "main.js"))) throw new Error("dist/ is missing: run `npm run build` first");
  return new Promise((resolve) => {
    const child = spawn(NODE, [BIN, ...args], { cwd: REPO, env: { ...process.env, FORCE_COLOR: "0" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("close", (code, signal) =>
      resolve({ code, stdout: stdout, stderr: signal ? `${stderr}\n[killed by ${signal}]` : stderr }),
    );
  });
}
