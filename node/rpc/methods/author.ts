/** `author_*`: submitting and watching extrinsics, and (unsafe) key management. */
import { generateMnemonic } from "../../../primitives/crypto/index.js";
import { fromHex, type HexString, toHex } from "../../../primitives/hex.js";
import { parseExtrinsic } from "../../../runtime/index.js";
import { KEY_TYPE_SCHEMES, KeystoreError } from "../../keystore.js";
import { TxPoolError, toRpcErrorObject } from "../../txpool/index.js";
import { param, type RpcDef, RpcError, RpcErrorCode } from "../server/index.js";
import { method, type RpcDeps, subscription } from "./context.js";

/** Maps a pool error to Substrate's author error codes (1010..1014) with the reason as `data`. */
export function poolRpcError(err: unknown): RpcError {
  if (err instanceof TxPoolError) {
    const { code, message, data } = toRpcErrorObject(err);
    return new RpcError(code, message, data);
  }
  return new RpcError(RpcErrorCode.InternalError, "Internal error");
}

function checkExtrinsicBytes(hex: HexString): Uint8Array {
  const bytes = fromHex(hex);
  try {
    parseExtrinsic(bytes);
  } catch (err) {
    throw new RpcError(
      1002,
      `Verification Error: Runtime error: Could not decode extrinsic: ${(err as Error).message}`,
      (err as Error).message,
    );
  }
  return bytes;
}

export function authorMethods(deps: RpcDeps): RpcDef[] {
  const { pool, keystore } = deps;
  return [
    method({
      name: "author_submitExtrinsic",
      params: [param.hex("extrinsic")],
      handler: async ([hex]) => {
        const bytes = checkExtrinsicBytes(hex);
        try {
          return await pool.submit("external", bytes);
        } catch (err) {
          throw poolRpcError(err);
        }
      },
    }),
    subscription({
      kind: "subscription",
      subscribe: "author_submitAndWatchExtrinsic",
      unsubscribe: ["author_unwatchExtrinsic"],
      notification: "author_extrinsicUpdate",
      params: [param.hex("extrinsic")],
      handler: async ([hex], sink) => {
        const bytes = checkExtrinsicBytes(hex);
        let watched: Awaited<ReturnType<typeof pool.submitAndWatch>>;
        try {
          watched = await pool.submitAndWatch("external", bytes);
        } catch (err) {
          throw poolRpcError(err);
        }
        const { watcher } = watched;
        const off = watcher.on((status) => {
          sink.next(status);
          if (watcher.done) sink.close();
        });
        return () => {
          off();
          watcher.close();
        };
      },
    }),
    method({
      name: "author_pendingExtrinsics",
      handler: () => pool.pending().map(toHex),
    }),
    method({
      name: "author_removeExtrinsic",
      unsafe: true,
      params: [param.array("bytesOrHash", param.any("item"))],
      handler: ([items]) => {
        const hashes = (items as unknown[]).map((item) => {
          const o = item as { Hash?: HexString; Extrinsic?: HexString; hash?: HexString; extrinsic?: HexString };
          const h = o.Hash ?? o.hash;
          if (h) return h;
          const x = o.Extrinsic ?? o.extrinsic;
          if (!x) throw new RpcError(RpcErrorCode.InvalidParams, "expected {Hash} or {Extrinsic} items");
          return toHex(blake2(fromHex(x)));
        });
        return pool.remove(hashes);
      },
    }),
    method({
      name: "author_insertKey",
      unsafe: true,
      params: [param.string("keyType"), param.string("suri"), param.hex("publicKey", 32)],
      handler: ([keyType, suri, publicKey]) => {
        try {
          keystore.insert(keyType, suri, fromHex(publicKey));
          return null;
        } catch (err) {
          if (err instanceof KeystoreError) throw new RpcError(5001, err.message, err.type.code);
          throw err;
        }
      },
    }),
    method({
      name: "author_rotateKeys",
      unsafe: true,
      handler: () => {
        // Session keys: block production (sr25519) then finality (ed25519), concatenated.
        const keys = ["babe", "gran"].map((type) => keystore.generate(type, generateMnemonic()).publicKey);
        return toHex(Buffer.concat(keys));
      },
    }),
    method({
      name: "author_hasKey",
      unsafe: true,
      params: [param.hex("publicKey", 32), param.string("keyType")],
      handler: ([publicKey, keyType]) => {
        if (!KEY_TYPE_SCHEMES[keyType]) return false;
        return keystore.has(keyType, fromHex(publicKey));
      },
    }),
    method({
      name: "author_hasSessionKeys",
      unsafe: true,
      params: [param.hex("sessionKeys")],
      handler: ([keys]) => {
        const bytes = fromHex(keys);
        if (bytes.length !== 64) return false;
        return keystore.has("babe", bytes.subarray(0, 32)) && keystore.has("gran", bytes.subarray(32));
      },
    }),
  ];
}

import { blake2_256 as blake2 } from "../../../primitives/hashing.js";
