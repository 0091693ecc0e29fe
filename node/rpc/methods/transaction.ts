/**
 * `transaction_v1_broadcast` / `transaction_v1_stop`: hands a transaction to the pool, which gossips it,
 * without reporting anything back. An operation lasts until it is stopped or the transaction leaves the
 * pool for good (finalized, invalid, dropped), as in Substrate; an invalid transaction ends it silently.
 * Stopping an operation that ended on its own a short while ago (the usual case: a client stops the
 * broadcast once it sees the transaction finalized) answers null, like stopping a live one.
 */
import { randomBytes } from "node:crypto";
import { fromHex } from "../../../primitives/hex.js";
import { isTerminal, type TxWatcher } from "../../txpool/index.js";
import { param, type RpcDef, RpcError, RpcErrorCode } from "../server/index.js";
import { method, type RpcDeps } from "./context.js";

/** Broadcasts one connection may run at once (the spec requires at least 4); beyond it `null`. */
export const MAX_BROADCASTS_PER_CONNECTION = 16;
/** Operations that ended on their own, remembered (oldest out) so that stopping them is not an error. */
const REMEMBERED_ENDED = 1024;

interface Broadcast {
  connectionId: number;
  watcher: TxWatcher | undefined;
}

export function transactionMethods(deps: Pick<RpcDeps, "pool">): RpcDef[] {
  const { pool } = deps;
  const broadcasts = new Map<string, Broadcast>();
  const perConnection = new Map<number, number>();
  /** Operation id -> connection, of operations that ended without `transaction_v1_stop`. */
  const ended = new Map<string, number>();

  const end = (id: string, stopped: boolean): boolean => {
    const b = broadcasts.get(id);
    if (b === undefined) return false;
    broadcasts.delete(id);
    if (!stopped) {
      ended.set(id, b.connectionId);
      if (ended.size > REMEMBERED_ENDED) ended.delete(ended.keys().next().value!);
    }
    b.watcher?.close();
    const n = (perConnection.get(b.connectionId) ?? 1) - 1;
    if (n > 0) perConnection.set(b.connectionId, n);
    else perConnection.delete(b.connectionId);
    return true;
  };

  return [
    method({
      name: "transaction_v1_broadcast",
      params: [param.hex("transaction")],
      handler: ([hex], ctx) => {
        const count = perConnection.get(ctx.connectionId) ?? 0;
        if (count >= MAX_BROADCASTS_PER_CONNECTION) return null;
        const id = randomBytes(16).toString("hex");
        const broadcast: Broadcast = { connectionId: ctx.connectionId, watcher: undefined };
        broadcasts.set(id, broadcast);
        perConnection.set(ctx.connectionId, count + 1);
        pool.submitAndWatch("external", fromHex(hex)).then(
          ({ watcher }) => {
            if (broadcasts.get(id) !== broadcast) return watcher.close();
            broadcast.watcher = watcher;
            watcher.on((status) => {
              if (isTerminal(status)) end(id, false);
            });
          },
          () => end(id, false),
        );
        return id;
      },
    }),
    method({
      name: "transaction_v1_stop",
      params: [param.string("operationId")],
      handler: ([id], ctx) => {
        if (broadcasts.get(id)?.connectionId === ctx.connectionId) end(id, true);
        else if (ended.get(id) === ctx.connectionId) ended.delete(id);
        else throw new RpcError(RpcErrorCode.InvalidParams, "Invalid operation id");
        return null;
      },
    }),
  ];
}
