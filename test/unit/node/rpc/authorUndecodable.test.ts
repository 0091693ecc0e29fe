/**
 * `author_submitExtrinsic` with a well-formed signed extrinsic whose call does not decode (unknown pallet
 * or call index, bad arguments): Substrate's runtime panics while decoding the API's arguments, so the
 * answer is 1002 "Verification Error" with the codec's text; the pool then bans the hash, as
 * Substrate's does with any transaction whose validation failed (a retry answers 1012).
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import type { Chain } from "../../../../node/chain/chain.js";
import { signExtrinsic } from "../../../../node/extrinsicBuilder.js";
import { Keystore } from "../../../../node/keystore.js";
import { authorMethods } from "../../../../node/rpc/methods/author.js";
import type { RpcDeps } from "../../../../node/rpc/methods/context.js";
import type { RpcServer } from "../../../../node/rpc/server/index.js";
import { chainValidator, TxPool, txHash } from "../../../../node/txpool/index.js";
import { keypairFromSuri } from "../../../../primitives/crypto/index.js";
import { cryptoReady } from "../../../../primitives/hashing.js";
import { fromHex, toHex } from "../../../../primitives/hex.js";
import { nullLogger } from "../../../../primitives/logger.js";
import { UNITS } from "../../../../runtime/constants.js";
import { RuntimeCall } from "../../../../runtime/index.js";
import { closeChains, openChain } from "../chain/helpers.js";
import { type Json, post, startServer } from "./helpers.js";

let chain: Chain;
let pool: TxPool;
let server: RpcServer;
let httpUrl: string;

beforeAll(async () => {
  await cryptoReady();
  chain = await openChain();
  pool = new TxPool(
    {},
    {
      logger: nullLogger,
      validate: chainValidator(chain),
      bestBlock: () => ({ hash: chain.best.hashHex, number: chain.best.number }),
    },
  );
  const started = await startServer({ methods: "unsafe" });
  server = started.server;
  httpUrl = started.httpUrl;
  for (const def of authorMethods({ pool, keystore: new Keystore(undefined) } as unknown as RpcDeps))
    server.register(def);
});

afterAll(async () => {
  await server?.close();
  await closeChains();
});

const BALANCES = 2;

/** Alice's signed transfer to Bob (nonce 0) with the call's bytes passed through `edit`. */
function transferWithCall(edit: (call: Uint8Array) => Uint8Array): Uint8Array {
  const call = RuntimeCall.enc({
    tag: "Balances",
    value: {
      tag: "transfer_keep_alive",
      value: { dest: { tag: "Id", value: keypairFromSuri("//Bob").publicKey }, value: UNITS },
    },
  });
  return signExtrinsic(edit(call.slice()), keypairFromSuri("//Alice"), { nonce: 0, genesisHash: chain.genesisHash });
}

async function submit(xt: Uint8Array): Promise<Json> {
  const res = await post(
    httpUrl,
    JSON.stringify({ jsonrpc: "2.0", id: 1, method: "author_submitExtrinsic", params: [toHex(xt)] }),
  );
  return res.json;
}

const PANIC = "Execution failed: Runtime panicked: Bad input data provided to validate_transaction: ";

describe("author_submitExtrinsic with a call that does not decode", () => {
  it("an unknown pallet index: 1002 with Substrate's message and data, then banned", async () => {
    const xt = transferWithCall((c) => {
      c[0] = 99;
      return c;
    });
    const codec = "Could not decode `RuntimeCall`, variant doesn't exist\n";
    const expected = {
      code: 1002,
      message: `Verification Error: Runtime error: ${PANIC}${codec}`,
      data: `RuntimeApi("${PANIC}Could not decode \`RuntimeCall\`, variant doesn't exist\\n")`,
    };
    expect((await submit(xt)).error).toEqual(expected);
    // Banned as Substrate's pool bans it: a retry is refused before validation.
    expect(pool.isBanned(txHash(xt))).toBe(true);
    expect((await submit(xt)).error).toEqual({ code: 1012, message: "Transaction is temporarily banned" });
    expect(pool.status()).toMatchObject({ ready: 0, future: 0 });
  });

  it("an unknown call index in a known pallet names the pallet", async () => {
    const xt = transferWithCall((c) => {
      expect(c[0]).toBe(BALANCES);
      c[1] = 77;
      return c;
    });
    const err = (await submit(xt)).error;
    expect(err.code).toBe(1002);
    expect(err.message).toBe(
      `Verification Error: Runtime error: ${PANIC}Could not decode \`RuntimeCall::Balances.0\`:\n\tCould not decode \`Call\`, variant doesn't exist\n`,
    );
    expect(err.data).toBe(
      `RuntimeApi("${PANIC}Could not decode \`RuntimeCall::Balances.0\`:\\n\\tCould not decode \`Call\`, variant doesn't exist\\n")`,
    );
    expect(pool.isBanned(txHash(xt))).toBe(true);
  });

  it("bad arguments and trailing bytes are decoding errors too", async () => {
    const truncated = transferWithCall((c) => c.subarray(0, 10));
    const badArgs = (await submit(truncated)).error;
    expect(badArgs.code).toBe(1002);
    expect(badArgs.message).toBe(
      `Verification Error: Runtime error: ${PANIC}Could not decode \`RuntimeCall::Balances.0\`:\n\tCould not decode \`Call::transfer_keep_alive\`:\n\t\tNot enough data to fill buffer\n`,
    );
    const badAddress = transferWithCall((c) => {
      c[2] = 9; // the MultiAddress variant of `dest`
      return c;
    });
    expect((await submit(badAddress)).error.message).toContain(
      "Could not decode `Call::transfer_keep_alive`:\n\t\tCould not decode `MultiAddress`, variant doesn't exist\n",
    );
    const trailing = transferWithCall((c) => Uint8Array.of(...c, 0));
    expect((await submit(trailing)).error.message).toBe(
      `Verification Error: Runtime error: ${PANIC}Invalid length prefix\n`,
    );
    expect(pool.isBanned(txHash(truncated)) && pool.isBanned(txHash(trailing))).toBe(true);
  });

  it("the same transfer with its call intact enters the pool", async () => {
    const xt = transferWithCall((c) => c);
    expect((await submit(xt)).result).toBe(txHash(xt));
    expect(pool.status().ready).toBe(1);
    expect(fromHex(txHash(xt)).length).toBe(32);
  });
});
