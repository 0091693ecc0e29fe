/** The `tensorchain` command as a user runs it: chain specs, keys, and clear errors for bad flags. */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "@jest/globals";
import { signExtrinsic } from "../../node/extrinsicBuilder.js";
import { keypairFromSuri } from "../../primitives/crypto/index.js";
import { cryptoReady } from "../../primitives/hashing.js";
import { fromHex, toHex } from "../../primitives/hex.js";
import { UNITS } from "../../runtime/constants.js";
import { CLI, NODE_BIN, rpcCall, startNode } from "../helpers/node.js";

const run = promisify(execFile);

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(NODE_BIN, [CLI, ...args]);
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("tensorchain CLI", () => {
  it("build-spec prints a Substrate-like chain spec, raw or not", async () => {
    const plain = await cli(["build-spec", "--chain", "dev"]);
    expect(plain.code).toBe(0);
    const spec = JSON.parse(plain.stdout);
    expect(spec).toMatchObject({
      id: "dev",
      chainType: "Development",
      properties: { tokenSymbol: "TRAIN", tokenDecimals: 12, ss58Format: 42 },
    });
    expect(spec.genesis.runtimeGenesis.config.balances.balances.length).toBe(6);
    const raw = JSON.parse((await cli(["build-spec", "--chain", "dev", "--raw"])).stdout);
    expect(Object.keys(raw.genesis.raw.top).length).toBeGreaterThan(6);
  });

  it("a raw spec file starts a node with the same genesis as the built-in spec", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tc-spec-"));
    const file = join(dir, "dev-raw.json");
    writeFileSync(file, (await cli(["build-spec", "--chain", "dev", "--raw"])).stdout);
    const fromFile = await startNode(["--chain", file, "--tmp", "--alice", "--sealing", "manual"]);
    const builtin = await startNode(["--dev", "--tmp", "--sealing", "manual"]);
    try {
      const a = (await rpcCall(fromFile.httpUrl, "chain_getBlockHash", [0])).result;
      const b = (await rpcCall(builtin.httpUrl, "chain_getBlockHash", [0])).result;
      expect(a).toBe(b);
    } finally {
      await fromFile.stop();
      await builtin.stop();
    }
    expect(readFileSync(file, "utf8").length).toBeGreaterThan(0);
  }, 60_000);

  it("--pool-limit and --tx-ban-seconds reach the node's transaction pool", async () => {
    await cryptoReady();
    const node = await startNode([
      "--dev",
      "--tmp",
      "--sealing",
      "manual",
      "--pool-limit",
      "1",
      "--tx-ban-seconds",
      "0",
    ]);
    try {
      const genesisHash = fromHex((await rpcCall(node.httpUrl, "chain_getBlockHash", [0])).result as string);
      const transfer = (from: string, tip: bigint) =>
        toHex(
          signExtrinsic(
            {
              tag: "Balances",
              value: {
                tag: "transfer_keep_alive",
                value: { dest: { tag: "Id", value: keypairFromSuri("//Ferdie").publicKey }, value: UNITS },
              },
            },
            keypairFromSuri(from),
            { nonce: 0, genesisHash, tip },
          ),
        );
      expect((await rpcCall(node.httpUrl, "author_submitExtrinsic", [transfer("//Alice", 10n)])).error).toBeUndefined();
      // The ready queue holds one transaction: a lower tip is dropped at once, and with no ban it is
      // validated (and dropped) again rather than refused as banned.
      const low = transfer("//Bob", 0n);
      expect((await rpcCall(node.httpUrl, "author_submitExtrinsic", [low])).error?.code).toBe(1016);
      expect((await rpcCall(node.httpUrl, "author_submitExtrinsic", [low])).error?.code).toBe(1016);
    } finally {
      await node.stop();
    }
  }, 60_000);

  it("key inspect shows //Alice's well-known address; key generate makes a fresh mnemonic", async () => {
    const alice = await cli(["key", "inspect", "//Alice"]);
    expect(alice.stdout).toContain("5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY");
    const gen = await cli(["key", "generate", "--output-type", "json"]);
    const info = JSON.parse(gen.stdout);
    expect(info.secretPhrase.split(" ").length).toBe(12);
    expect(info.ss58Address).toMatch(/^5/);
  });

  it("bad flags and a bad chain spec exit non-zero with a clear message", async () => {
    const badPort = await cli(["--dev", "--rpc-port", "99999"]);
    expect(badPort.code).not.toBe(0);
    expect(badPort.stderr).toMatch(/rpc-port.*port number/);
    const badMethods = await cli(["--dev", "--rpc-methods", "sometimes"]);
    expect(badMethods.code).not.toBe(0);
    expect(badMethods.stderr).toMatch(/Allowed choices are safe, unsafe, auto/);
    const badPoolLimit = await cli(["--dev", "--pool-limit", "0"]);
    expect(badPoolLimit.code).not.toBe(0);
    expect(badPoolLimit.stderr).toMatch(/--pool-limit <count>.*'0' is invalid.*must be a positive integer/);
    const badBan = await cli(["--dev", "--tx-ban-seconds", "soon"]);
    expect(badBan.code).not.toBe(0);
    expect(badBan.stderr).toMatch(/--tx-ban-seconds.*must be a non-negative integer/);
    const unknownChain = await cli(["build-spec", "--chain", "nope"]);
    expect(unknownChain.code).not.toBe(0);
    expect(unknownChain.stderr).toMatch(/Unknown chain "nope"/);
    const dir = mkdtempSync(join(tmpdir(), "tc-spec-"));
    writeFileSync(join(dir, "broken.json"), "{ not json");
    const broken = await cli(["build-spec", "--chain", join(dir, "broken.json")]);
    expect(broken.code).not.toBe(0);
    expect(broken.stderr).toMatch(/not valid JSON/);
  });
});
