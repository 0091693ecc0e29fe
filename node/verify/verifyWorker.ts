/**
 * Worker-thread entry of `SignatureVerifierPool`. Runs as compiled JS (`dist/node/verify/verifyWorker.js`),
 * never through a test transform; see `workerScript.ts`.
 *
 * Protocol: receives `{id, buf}` (a packed chunk, transferred) and answers `{id, results}` (one byte per
 * item, transferred) or `{id, error}`.
 */
import { parentPort } from "node:worker_threads";
import { waitReady } from "@polkadot/wasm-crypto";
import { verifyPacked } from "./packing.js";

export interface VerifyRequest {
  id: number;
  buf: ArrayBuffer;
}

export type VerifyResponse = { id: number; results: ArrayBuffer } | { id: number; error: string };

const port = parentPort;
if (port !== null) {
  // Each thread has its own wasm instance to initialize.
  const ready = waitReady();
  port.on("message", async (req: VerifyRequest) => {
    await ready;
    let res: VerifyResponse;
    try {
      const results = verifyPacked(req.buf);
      res = { id: req.id, results: results.buffer as ArrayBuffer };
      port.postMessage(res, [results.buffer as ArrayBuffer]);
    } catch (e) {
      res = { id: req.id, error: e instanceof Error ? e.message : String(e) };
      port.postMessage(res);
    }
  });
}
