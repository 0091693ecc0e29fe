/** `tensorchain devnet --workers W --evaluators V`: the role nodes' command lines and their endowed accounts. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { devnetRoleNames, planDevnet, withRoleAccounts } from "../../../cli/commands/devnet.js";
import { parseRunFlags } from "../../../cli/commands/run.js";
import { DEV_ENDOWMENT, devAddress, genesisStorageOf, loadChainSpec } from "../../../genesis/chainSpec.js";
import { cryptoReady } from "../../../primitives/hashing.js";

let dir: string;
beforeAll(async () => {
  await cryptoReady();
  dir = mkdtempSync(join(tmpdir(), "tc-devnet-roles-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("devnet with workers and evaluators", () => {
  it("adds worker and evaluator full nodes after the validators, dialing every validator", async () => {
    const nodes = await planDevnet({
      validators: 2,
      workers: 2,
      evaluators: 1,
      baseDir: dir,
      rpcPort: 9944,
      p2pPort: 30333,
      chain: "spec.json",
    });
    expect(nodes.map((n) => [n.name, n.rpcPort, n.p2pPort])).toEqual([
      ["Alice", 9944, 30333],
      ["Bob", 9945, 30334],
      ["Worker1", 9946, 30335],
      ["Worker2", 9947, 30336],
      ["Evaluator1", 9948, 30337],
    ]);
    const w1 = parseRunFlags(nodes[2].args);
    expect(w1).toMatchObject({
      chain: "spec.json",
      worker: true,
      workerSuri: "//Worker1",
      name: "Worker1",
      rpcPort: 9946,
    });
    expect(w1.validator).toBeUndefined();
    expect(w1.evaluator).toBeUndefined();
    expect(w1.bootnodes).toEqual([nodes[0].multiaddr, nodes[1].multiaddr]);
    expect(parseRunFlags(nodes[4].args)).toMatchObject({ evaluator: true, workerSuri: "//Evaluator1" });
  });

  it("adds --inference P provider nodes (Provider1…, --inference) after the evaluators", async () => {
    const nodes = await planDevnet({
      validators: 2,
      workers: 0,
      evaluators: 1,
      providers: 2,
      baseDir: dir,
      rpcPort: 9944,
      p2pPort: 30333,
      chain: "spec.json",
    });
    expect(nodes.map((n) => [n.name, n.role, n.rpcPort])).toEqual([
      ["Alice", "validator", 9944],
      ["Bob", "validator", 9945],
      ["Evaluator1", "evaluator", 9946],
      ["Provider1", "inference", 9947],
      ["Provider2", "inference", 9948],
    ]);
    const p2 = parseRunFlags(nodes[4].args);
    expect(p2).toMatchObject({ inference: true, workerSuri: "//Provider2", name: "Provider2" });
    expect(p2.worker).toBeUndefined();
    expect(p2.evaluator).toBeUndefined();
    expect(p2.bootnodes).toEqual([nodes[0].multiaddr, nodes[1].multiaddr]);
    expect(devnetRoleNames(1, 0, 2)).toEqual(["Worker1", "Provider1", "Provider2"]);
  });

  it("endows the role accounts in a copy of the spec, leaving the original alone", () => {
    const spec = loadChainSpec("devnet");
    const names = devnetRoleNames(2, 1);
    expect(names).toEqual(["Worker1", "Worker2", "Evaluator1"]);
    const funded = withRoleAccounts(spec, names);
    const balances = (s: typeof spec) =>
      ("runtimeGenesis" in s.genesis ? s.genesis.runtimeGenesis.config.balances.balances : []).map(([a]) => a);
    expect(balances(funded)).toEqual([...balances(spec), ...names.map(devAddress)]);
    expect(
      ("runtimeGenesis" in funded.genesis ? funded.genesis.runtimeGenesis.config.balances.balances : []).at(-1),
    ).toEqual([devAddress("Evaluator1"), DEV_ENDOWMENT.toString()]);
    expect(genesisStorageOf(funded).length).toBeGreaterThan(genesisStorageOf(spec).length);
  });
});
