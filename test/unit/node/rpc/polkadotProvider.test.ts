/** The server as @polkadot/api's providers see it: requests, errors and subscriptions end to end. */
import { afterEach, describe, expect, it } from "@jest/globals";
import { HttpProvider, WsProvider } from "@polkadot/rpc-provider";
import { RpcError, type RpcServer, type SubscriptionSink } from "../../../../node/rpc/server/index.js";
import { startServer } from "./helpers.js";

let server: RpcServer | undefined;
let provider: WsProvider | undefined;

afterEach(async () => {
  await provider?.disconnect();
  await server?.close();
  provider = undefined;
  server = undefined;
});

describe("RpcServer with @polkadot/rpc-provider", () => {
  it("serves calls, errors and subscriptions to WsProvider and HttpProvider", async () => {
    const started = await startServer();
    server = started.server;
    const sinks = new Set<SubscriptionSink<{ number: string }>>();
    server.register({ name: "system_chain", handler: () => "Tensorchain Dev" });
    server.register({
      name: "author_submitExtrinsic",
      handler: () => {
        throw new RpcError(1010, "Invalid Transaction", "Transaction has a bad signature");
      },
    });
    server.register({
      kind: "subscription",
      subscribe: "chain_subscribeNewHeads",
      aliases: ["chain_subscribeNewHead"],
      unsubscribe: ["chain_unsubscribeNewHeads", "chain_unsubscribeNewHead"],
      notification: "chain_newHead",
      handler: (_p, sink: SubscriptionSink<{ number: string }>) => {
        sink.next({ number: "0x00" });
        sinks.add(sink);
        return () => sinks.delete(sink);
      },
    });

    provider = new WsProvider(started.url, false);
    await provider.connect();
    await provider.isReady;
    expect(await provider.send("system_chain", [])).toBe("Tensorchain Dev");
    expect((await provider.send<{ methods: string[] }>("rpc_methods", [])).methods).toContain("chain_subscribeNewHead");
    await expect(provider.send("author_submitExtrinsic", ["0x00"])).rejects.toThrow(
      "1010: Invalid Transaction: Transaction has a bad signature",
    );

    const heads: string[] = [];
    let gotTwo!: () => void;
    const two = new Promise<void>((resolve) => {
      gotTwo = resolve;
    });
    const id = await provider.subscribe("chain_newHead", "chain_subscribeNewHeads", [], (err, head) => {
      expect(err).toBeNull();
      heads.push((head as { number: string }).number);
      if (heads.length === 2) gotTwo();
    });
    for (const sink of sinks) sink.next({ number: "0x01" });
    await two;
    expect(heads).toEqual(["0x00", "0x01"]);
    expect(await provider.unsubscribe("chain_newHead", "chain_unsubscribeNewHeads", id)).toBe(true);
    expect(sinks.size).toBe(0);

    const http = new HttpProvider(started.httpUrl);
    expect(await http.send("system_chain", [])).toBe("Tensorchain Dev");
  });
});
