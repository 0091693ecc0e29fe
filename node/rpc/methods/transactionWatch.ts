/**
 * `transactionWatch_v1_submitAndWatch` / `transactionWatch_v1_unwatch`: submits a transaction and reports
 * its fate on `transactionWatch_v1_watchEvent`, mapping the pool's watcher statuses as Substrate does.
 * A transaction the pool refuses is not a JSON-RPC error but an `invalid`, `dropped` or `error` event.
 */
import { bytesEqual, fromHex, type HexString } from "../../../primitives/hex.js";
import type { Chain } from "../../chain/chain.js";
import { isTerminal, type TransactionStatus, TxPoolError, toRpcErrorObject } from "../../txpool/index.js";
import { param, type RpcDef } from "../server/index.js";
import { type RpcDeps, subscription } from "./context.js";

export type TransactionEvent =
  | { event: "validated" }
  | { event: "bestChainBlockIncluded"; block: { hash: HexString; index: number } | null }
  | { event: "finalized"; block: { hash: HexString; index: number } }
  | { event: "error"; error: string }
  | { event: "invalid"; error: string }
  | { event: "dropped"; error: string };

/** The event for a transaction the pool would not take. */
export function refusedEvent(err: unknown): TransactionEvent {
  if (!(err instanceof TxPoolError)) return { event: "error", error: (err as Error)?.message ?? String(err) };
  const { message, data } = toRpcErrorObject(err);
  const error = typeof data === "string" && data !== message ? `${message}: ${data}` : message;
  // Bytes the runtime cannot decode (1002) are invalid, as Substrate's `Error::Verification` maps.
  switch (err.type.code) {
    case "TXPOOL_ERROR_IMMEDIATELY_DROPPED":
      return { event: "dropped", error };
    default:
      return { event: "invalid", error };
  }
}

/** The event for a watcher status; undefined for those the spec has no event for (`broadcast`). */
export async function statusEvent(
  chain: Pick<Chain, "body">,
  tx: Uint8Array,
  status: TransactionStatus,
): Promise<TransactionEvent | undefined> {
  if (status === "ready" || status === "future") return { event: "validated" };
  if (status === "dropped")
    return { event: "dropped", error: "Extrinsic dropped from the pool due to exceeding limits" };
  if (status === "invalid") return { event: "invalid", error: "Extrinsic marked as invalid" };
  if ("inBlock" in status) return { event: "bestChainBlockIncluded", block: await located(chain, tx, status.inBlock) };
  if ("retracted" in status) return { event: "bestChainBlockIncluded", block: null };
  if ("finalized" in status) {
    const block = await located(chain, tx, status.finalized);
    // Its index is always found in a block the pool saw it in; 0 only if the body vanished.
    return { event: "finalized", block: block ?? { hash: status.finalized, index: 0 } };
  }
  if ("finalityTimeout" in status) {
    return { event: "dropped", error: "Maximum number of finality watchers has been reached" };
  }
  if ("usurped" in status) return { event: "invalid", error: "Extrinsic was rendered invalid by another extrinsic" };
  return undefined;
}

/** The block and the transaction's index in its body. */
async function located(chain: Pick<Chain, "body">, tx: Uint8Array, block: HexString) {
  const body = await chain.body(fromHex(block));
  const index = body?.findIndex((x) => bytesEqual(x, tx)) ?? -1;
  return index < 0 ? null : { hash: block, index };
}

export function transactionWatchMethods(deps: Pick<RpcDeps, "chain" | "pool">): RpcDef[] {
  const { chain, pool } = deps;
  return [
    subscription({
      kind: "subscription",
      subscribe: "transactionWatch_v1_submitAndWatch",
      unsubscribe: ["transactionWatch_v1_unwatch"],
      notification: "transactionWatch_v1_watchEvent",
      params: [param.hex("transaction")],
      handler: ([hex], sink) => {
        const tx = fromHex(hex);
        let stop = () => {};
        // Events are mapped one after the other (an inclusion looks its block's body up), in order.
        let queue: Promise<unknown> = Promise.resolve();
        const send = (event: () => Promise<TransactionEvent | undefined> | TransactionEvent, last: boolean) => {
          queue = queue
            .then(event)
            .catch((err: unknown) => ({ event: "error", error: (err as Error).message }) as TransactionEvent)
            .then((e) => {
              if (e !== undefined) sink.next(e);
              if (last) sink.close();
            });
        };
        pool.submitAndWatch("external", tx).then(
          ({ watcher }) => {
            if (sink.closed) return watcher.close();
            const off = watcher.on((status) => send(() => statusEvent(chain, tx, status), isTerminal(status)));
            stop = () => {
              off();
              watcher.close();
            };
          },
          (err: unknown) => send(() => refusedEvent(err), true),
        );
        // Unwatching leaves the transaction in the pool.
        return () => stop();
      },
    }),
  ];
}
