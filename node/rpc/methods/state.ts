/** `state_*`: storage reads, proofs, runtime calls, metadata and their subscriptions. */
import { blake2_256 } from "../../../primitives/hashing.js";
import { fromHex, type HexString, toHex } from "../../../primitives/hex.js";
import { metadataV14, RUNTIME_VERSION } from "../../../runtime/index.js";
import type { RuntimeView } from "../../chain/runtimeView.js";
import type { BlockRef } from "../../chain/types.js";
import { param, type RpcDef, RpcError, RpcErrorCode } from "../server/index.js";
import { callDataParam } from "./callData.js";
import { callAt, method, type RpcDeps, runtimeAt, subscription } from "./context.js";

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

let metadataHex: HexString | undefined;

function valueAt(runtime: RuntimeView, key: HexString): HexString | null {
  const v = runtime.storage(fromHex(key));
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
        await runtimeAt(deps, a);
        // One runtime: the same ~222 kB string every time (the server then reuses its JSON too).
        metadataHex ??= toHex(metadataV14());
        return metadataHex;
      },
    }),
    method({
      name: "state_getRuntimeVersion",
      aliases: ["chain_getRuntimeVersion"],
      params: [at],
      handler: async ([a]) => {
        await runtimeAt(deps, a);
        return runtimeVersionJson();
      },
    }),
    method({
      name: "state_getStorage",
      aliases: ["state_getStorageAt"],
      params: [param.hex("key"), at],
      handler: async ([key, a]) => valueAt(await runtimeAt(deps, a), key),
    }),
    method({
      name: "state_getStorageHash",
      aliases: ["state_getStorageHashAt"],
      params: [param.hex("key"), at],
      handler: async ([key, a]) => {
        const v = (await runtimeAt(deps, a)).storage(fromHex(key));
        return v === undefined ? null : toHex(blake2_256(v));
      },
    }),
    method({
      name: "state_getStorageSize",
      aliases: ["state_getStorageSizeAt"],
      params: [param.hex("key"), at],
      handler: async ([key, a]) => (await runtimeAt(deps, a)).storage(fromHex(key))?.length ?? null,
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
        const runtime = await runtimeAt(deps, a);
        const p = prefix ? fromHex(prefix) : new Uint8Array(0);
        return runtime.keysPaged(p, count, startKey ? fromHex(startKey) : undefined).map(toHex);
      },
    }),
    method({
      name: "state_getKeys",
      params: [param.hex("prefix"), at],
      handler: async ([prefix, a]) => {
        const keys = (await runtimeAt(deps, a)).keysPaged(fromHex(prefix), MAX_KEYS_PAGED + 1);
        if (keys.length > MAX_KEYS_PAGED)
          throw new RpcError(RpcErrorCode.InvalidParams, "Too many keys: use state_getKeysPaged");
        return keys.map(toHex);
      },
    }),
    method({
      name: "state_queryStorageAt",
      params: [keysParam, at],
      handler: async ([keys, a]) => {
        const runtime = await runtimeAt(deps, a);
        return [{ block: runtime.block.hashHex, changes: keys.map((k) => [k, valueAt(runtime, k)]) }];
      },
    }),
    method({
      name: "state_call",
      aliases: ["state_callAt"],
      params: [param.string("method"), callDataParam("data"), at],
      handler: async ([method, data, a]) => toHex(await callAt(deps, a, method, fromHex(data))),
    }),
    method({
      name: "state_getReadProof",
      params: [keysParam, at],
      handler: async ([keys, a]) => {
        const runtime = await runtimeAt(deps, a);
        return { at: runtime.block.hashHex, proof: runtime.readProof(keys.map(fromHex)).map(toHex) };
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
        let last: RuntimeView | undefined = chain.bestRuntime;
        sink.next({ block: best.hashHex, changes: lower.map((k) => [k, valueAt(last!, k)]) });
        const onBest = (ref: BlockRef) => {
          const next = chain.runtimeInMemory(ref.hash);
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
