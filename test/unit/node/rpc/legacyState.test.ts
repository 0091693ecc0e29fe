/** What polkadot-api's legacy adapter needs from the legacy methods: `:code`, and `state_call` with `""`. */
import { afterEach, describe, expect, it } from "@jest/globals";
import { blake2_256 } from "../../../../primitives/hashing.js";
import { fromHex, toHex } from "../../../../primitives/hex.js";
import { T } from "../../../../primitives/scale/types.js";
import { metadataV15, RUNTIME_VERSION } from "../../../../runtime/index.js";
import { type Fixture, startFixture } from "./chainFixture.js";

let fx: Fixture | undefined;

afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

const CODE = toHex(new TextEncoder().encode(":code"));

describe("legacy state methods", () => {
  it(":code holds (spec name, spec version, blake2_256 of the metadata), the same at every block", async () => {
    fx = await startFixture();
    const { client } = fx;
    const expected = toHex(
      Uint8Array.from([
        ...T.str.enc(RUNTIME_VERSION.specName),
        ...T.u32.enc(RUNTIME_VERSION.specVersion),
        ...blake2_256(metadataV15()),
      ]),
    );
    expect((await client.request("state_getStorage", [CODE])).result).toBe(expected);
    const block = await fx.block();
    expect((await client.request("state_getStorage", [CODE, block.hashHex])).result).toBe(expected);
    expect((await client.request("state_getStorageHash", [CODE])).result).toBe(toHex(blake2_256(fromHex(expected))));
  });

  it('state_call takes "" as empty call data, as "0x"', async () => {
    fx = await startFixture();
    const { client } = fx;
    const empty = await client.request("state_call", ["Core_version", ""]);
    expect(empty.error).toBeUndefined();
    expect(empty.result).toBe((await client.request("state_call", ["Core_version", "0x"])).result);
    expect((await client.request("state_call", ["Core_version", "12"])).error.code).toBe(-32602);
    expect((await client.request("state_call", ["Core_version", "0x1"])).error.code).toBe(-32602);
  });
});
