/** `state_*`: storage reads, proofs, runtime calls, metadata and their subscriptions. */
import { blake2_256 } from "../../../primitives/hashing.js";
import { compareBytes, fromHex, type HexString, toHex } from "../../../primitives/hex.js";
import type { Trie } from "../../../primitives/trie/index.js";
import { metadataV14, RUNTIME_VERSION } from "../../../runtime/index.js";
import type { BlockRef } from "../../chain/types.js";
import { param, type RpcDef, RpcError, RpcErrorCode } from "../server/index.js";
import { callAt, method, type RpcDeps, stateAt, subscription } from "./context.js";

/** Most keys `state_getKeysPaged` returns at once, as in Substrate. */
const MAX_KEYS_PAGED = 1000;
const MAX_STORAGE_SUBSCRIPTION_KEYS = 1000;

export function runtimeVersionJson() {
  const v = RUNTIME_VERSION;
  return {
    specName: v.specName,
    implName: v.implName,
    authoringVersion: v.authoringVersion,
    specVersion: v.specVersion,
    implVersion: v.implVersion,
    apis: v.apis.map(([id, ver]) => [toHex(id), ver]),
    transactionVersion: v.transactionVersion,
    stateVersion: v.stateVersion,
  };
}

const keysParam = param.array("keys", param.hex("key"));

function valueAt(state: Trie, key: HexString): HexString | null {
  const v = state.get(fromHex(key));
  return v === undefined ? null : toHex(v);
}

export function stateMethods(deps: RpcDeps): RpcDef[] {
  const { chain } = deps;
  const at = param.optional(param.hex("at", 32));
  return [
    method({
      name: "state_getMetadata",
      params: [at],
      handler: async ([a]) => {
        await stateAt(deps, a);
        return toHex(metadataV14());
      },
    }),
    method({
      name: "state_getRuntimeVersion",
      aliases: ["chain_getRuntimeVersion"],
      params: [at],
      handler: async ([a]) => {
        await stateAt(deps, a);
        return runtimeVersionJson();
      },
    }),
    method({
      name: "state_getStorage",
      aliases: ["state_getStorageAt"],
      params: [param.hex("key"), at],
      handler: async ([key, a]) => valueAt((await stateAt(deps, a)).state, key),
    }),
    method({
      name: "state_getStorageHash",
      aliases: ["state_getStorageHashAt"],
      params: [param.hex("key"), at],
      handler: async ([key, a]) => {
        const v = (await stateAt(deps, a)).state.get(fromHex(key));
        return v === undefined ? null : toHex(blake2_256(v));
      },
    }),
    method({
      name: "state_getStorageSize",
      aliases: ["state_getStorageSizeAt"],
      params: [param.hex("key"), at],
      handler: async ([key, a]) => (await stateAt(deps, a)).state.get(fromHex(key))?.length ?? null,
    }),
    method({
      name: "state_getKeysPaged",
      aliases: ["state_getKeysPagedAt"],
      params: [param.hexOrNull("prefix"), param.u32("count"), param.optional(param.hexOrNull("startKey")), at],
      handler: async ([prefix, count, startKey, a]) => {
        if (count > MAX_KEYS_PAGED)
          throw new RpcError(
            RpcErrorCode.InvalidParams,
            `count exceeds maximum value. value: ${count}, max: ${MAX_KEYS_PAGED}`,
          );
        const { state } = await stateAt(deps, a);
        const p = prefix ? fromHex(prefix) : new Uint8Array(0);
        const start = startKey ? fromHex(startKey) : undefined;
        const out: HexString[] = [];
        for (const [k] of state.entries(p, start && compareBytes(start, p) >= 0 ? start : undefined)) {
          if (out.length >= count) break;
          out.push(toHex(k));
        }
        return out;
      },
    }),
    method({
      name: "state_getKeys",
      params: [param.hex("prefix"), at],
      handler: async ([prefix, a]) => {
        const { state } = await stateAt(deps, a);
        const out: HexString[] = [];
        for (const [k] of state.entries(fromHex(prefix))) {
          if (out.length >= MAX_KEYS_PAGED)
            throw new RpcError(RpcErrorCode.InvalidParams, "Too many keys: use state_getKeysPaged");
          out.push(toHex(k));
        }
        return out;
      },
    }),
    method({
      name: "state_queryStorageAt",
      params: [keysParam, at],
      handler: async ([keys, a]) => {
        const { ref, state } = await stateAt(deps, a);
        return [{ block: ref.hashHex, changes: keys.map((k) => [k, valueAt(state, k)]) }];
      },
    }),
    method({
      name: "state_call",
      aliases: ["state_callAt"],
      params: [param.string("method"), param.hex("data"), at],
      handler: async ([method, data, a]) => toHex(await callAt(deps, a, method, fromHex(data))),
    }),
    method({
      name: "state_getReadProof",
      params: [keysParam, at],
      handler: async ([keys, a]) => {
        const { ref, state } = await stateAt(deps, a);
        return { at: ref.hashHex, proof: state.proof(keys.map(fromHex)).map(toHex) };
      },
    }),
    subscription({
      kind: "subscription",
      subscribe: "state_subscribeRuntimeVersion",
      aliases: ["chain_subscribeRuntimeVersion"],
      unsubscribe: ["state_unsubscribeRuntimeVersion", "chain_unsubscribeRuntimeVersion"],
      notification: "state_runtimeVersion",
      handler: (_p, sink) => {
        // The runtime cannot be upgraded yet, so the version never changes after this first value.
        sink.next(runtimeVersionJson());
        return () => {};
      },
    }),
    subscription({
      kind: "subscription",
      subscribe: "state_subscribeStorage",
      unsubscribe: ["state_unsubscribeStorage"],
      notification: "state_storage",
      params: [param.optional(keysParam)],
      handler: ([keys], sink) => {
        if (!keys)
          throw new RpcError(
            RpcErrorCode.InvalidParams,
            "Subscribing to all storage changes is not supported: pass a list of keys",
          );
        if (keys.length > MAX_STORAGE_SUBSCRIPTION_KEYS)
          throw new RpcError(
            RpcErrorCode.InvalidParams,
            `At most ${MAX_STORAGE_SUBSCRIPTION_KEYS} keys per subscription`,
          );
        const lower = keys.map((k) => k.toLowerCase() as HexString);
        const best = chain.best;
        let last = chain.stateInMemory(best.hash);
        if (!last) throw new RpcError(RpcErrorCode.InternalError, "Best state unavailable");
        sink.next({ block: best.hashHex, changes: lower.map((k) => [k, valueAt(last!, k)]) });
        const onBest = (ref: BlockRef) => {
          const next = chain.stateInMemory(ref.hash);
          if (!next || !last) return;
          const changes = lower.map((k) => [k, valueAt(next, k)] as const).filter(([k, v]) => v !== valueAt(last!, k));
          last = next;
          if (changes.length > 0) sink.next({ block: ref.hashHex, changes });
        };
        chain.on("best", onBest);
        return () => chain.off("best", onBest);
      },
    }),
  ];
}
