/**
 * `chainHead_v1_storage`: values, hashes, Merkle values and descendants of keys at a pinned block, as
 * `operationStorageItems` events in batches; past a batch, `operationWaitingForContinue` until the client
 * calls `chainHead_v1_continue`; `operationStorageDone` at the end.
 */
import { blake2_256 } from "../../../../primitives/hashing.js";
import { fromHex, type HexString, isHex, toHex } from "../../../../primitives/hex.js";
import type { RuntimeView } from "../../../chain/runtimeView.js";
import { param, type RpcDef } from "../../server/index.js";
import { method } from "../context.js";
import { afterReply, type ChainHeadContext, errorMessage, LIMIT_REACHED, pinnedHash } from "./context.js";
import type { Operation } from "./followSubscription.js";
import { closestDescendantMerkleValue } from "./merkleValue.js";
import { blockHashParam, followSubscriptionParam } from "./options.js";

const ITEM_TYPES = ["value", "hash", "closestDescendantMerkleValue", "descendantsValues", "descendantsHashes"] as const;
type ItemType = (typeof ITEM_TYPES)[number];

export interface StorageQuery {
  key: HexString;
  type: ItemType;
}

export interface StorageResultItem {
  key: HexString;
  value?: HexString;
  hash?: HexString;
  closestDescendantMerkleValue?: HexString;
}

/** Keys read per trie walk when listing descendants. */
const DESCENDANTS_PAGE = 256;

const itemsParam = param.array(
  "items",
  param.custom<StorageQuery>("item", (v) => {
    const o = v as Partial<Record<string, unknown>> | null;
    if (typeof o !== "object" || o === null || !isHex(o.key) || !ITEM_TYPES.includes(o.type as ItemType)) {
      throw new Error(`expected {key: hex, type: ${ITEM_TYPES.join(" | ")}}`);
    }
    return { key: o.key.toLowerCase() as HexString, type: o.type as ItemType };
  }),
);

export function storageMethod(c: ChainHeadContext): RpcDef {
  return method({
    name: "chainHead_v1_storage",
    params: [followSubscriptionParam, blockHashParam, itemsParam, param.optional(param.hexOrNull("childTrie"))],
    handler: ([subscriptionId, hash, items, childTrie], ctx) => {
      const follow = c.follows.get(ctx, subscriptionId);
      if (follow === undefined) return LIMIT_REACHED;
      const h = pinnedHash(follow, hash);
      const op = follow.startOperation(Math.max(1, items.length));
      if (op === undefined) return LIMIT_REACHED;
      const accepted = items.slice(0, op.slots);
      // The node has no child tries: a query in one finds nothing.
      const queries = childTrie ? [] : accepted;
      afterReply(() => runStorage(c, op, h, queries));
      return { result: "started", operationId: op.id, discardedItems: items.length - accepted.length };
    },
  });
}

async function runStorage(c: ChainHeadContext, op: Operation, hash: HexString, queries: StorageQuery[]) {
  let runtime: RuntimeView;
  try {
    runtime = await c.chain.runtimeAt(fromHex(hash));
  } catch {
    op.emit("operationInaccessible");
    op.finish();
    return;
  }
  const results = storageResults(runtime, queries);
  const { storageItemsPerBatch, storageBytesPerBatch } = c.opts;
  let next: IteratorResult<StorageResultItem> | undefined;
  const pump = (): void => {
    if (!op.active) return;
    const batch: StorageResultItem[] = [];
    let bytes = 0;
    try {
      next ??= results.next();
      while (
        !next.done &&
        batch.length < storageItemsPerBatch &&
        (batch.length === 0 || bytes < storageBytesPerBatch)
      ) {
        batch.push(next.value);
        bytes += itemBytes(next.value);
        next = results.next();
      }
    } catch (err) {
      op.emit("operationError", { error: errorMessage(err) });
      op.finish();
      return;
    }
    if (batch.length > 0) op.emit("operationStorageItems", { items: batch });
    if (next.done) {
      op.emit("operationStorageDone");
      op.finish();
    } else {
      op.emit("operationWaitingForContinue");
      op.waiting = () => afterReply(pump);
    }
  };
  pump();
}

function itemBytes(item: StorageResultItem): number {
  return item.key.length + (item.value?.length ?? 0) + (item.hash?.length ?? 0) + 80;
}

/** The result items of the queries, in order, read lazily (descendants page by page). */
export function* storageResults(runtime: RuntimeView, queries: readonly StorageQuery[]): Generator<StorageResultItem> {
  for (const { key, type } of queries) {
    const k = fromHex(key);
    switch (type) {
      case "value":
      case "hash": {
        const v = runtime.storage(k);
        if (v !== undefined) yield type === "value" ? { key, value: toHex(v) } : { key, hash: toHex(blake2_256(v)) };
        break;
      }
      case "closestDescendantMerkleValue": {
        const m = closestDescendantMerkleValue(runtime.state, k);
        if (m !== undefined) yield { key, closestDescendantMerkleValue: toHex(m) };
        break;
      }
      case "descendantsValues":
      case "descendantsHashes":
        for (const dk of descendantKeys(runtime, k)) {
          const v = runtime.storage(dk);
          if (v === undefined) continue;
          yield type === "descendantsValues"
            ? { key: toHex(dk), value: toHex(v) }
            : { key: toHex(dk), hash: toHex(blake2_256(v)) };
        }
        break;
    }
  }
}

/** Every key that starts with `prefix` (itself included), in order. */
function* descendantKeys(runtime: RuntimeView, prefix: Uint8Array): Generator<Uint8Array> {
  let start: Uint8Array | undefined;
  for (;;) {
    const keys = runtime.keysPaged(prefix, DESCENDANTS_PAGE, start);
    yield* keys;
    if (keys.length < DESCENDANTS_PAGE) return;
    start = keys[keys.length - 1];
  }
}
