/**
 * Staking through the real @polkadot/api, on a devnet of real processes with short slots: the four
 * `devnet` validators (//Alice … //Dave) and a fifth node started with `--validator` and an empty
 * keystore. //Eve, endowed but not a validator at genesis:
 *   1. bonds (rewards to the stash's free balance, so the bond stays exactly what was bonded), asks the
 *      fifth node for session keys (`author_rotateKeys`), registers them (`session.setKeys`) and calls
 *      `staking.validate`;
 *   2. from a later era is in `session.validators` and authors blocks on the canonical chain (its BABE
 *      pre-digest names the authority whose key the fifth node generated);
 *   3. chills and unbonds everything; from a later era it is out of the set;
 *   4. `withdrawUnbonded` before the bonding period releases nothing (as in FRAME: no error, no
 *      `Withdrawn`, the ledger and the reserve unchanged); once `BONDING_DURATION` eras have passed it
 *      releases the whole bond and the stash leaves staking.
 * Sessions are 10 blocks and eras 3 sessions; with 500 ms slots an era takes about 15 s.
 */
import "@polkadot/api-augment";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { ApiPromise, Keyring, WsProvider } from "@polkadot/api";
import type { SubmittableExtrinsic } from "@polkadot/api/types";
import type { KeyringPair } from "@polkadot/keyring/types";
import { cryptoWaitReady } from "@polkadot/util-crypto";
import { BABE_ENGINE_ID, PreDigest } from "../../consensus/babe/index.js";
import { GrandpaJustification } from "../../consensus/grandpa/index.js";
import { DEVNET_VALIDATORS } from "../../genesis/chainSpec.js";
import { bytesEqual, fromHex, type HexString, toHex } from "../../primitives/hex.js";
import { DigestItem } from "../../primitives/types.js";
import { UNITS } from "../../runtime/constants.js";
import {
  CLI,
  devNodeSpec,
  type NetworkNodeSpec,
  NODE_BIN,
  networkNodeArgs,
  type RunningNode,
  rpc,
  startNode,
  waitFor,
} from "../helpers/node.js";

const SLOT_MS = 500;
const BOND = 50_000n * UNITS;
/** `staking::BONDING_DURATION`. */
const BONDING_DURATION = 2;
/** Commission in perbill parts: 5%. */
const COMMISSION = 50_000_000;

let dir: string;
const nodes: RunningNode[] = [];
let alice: RunningNode;
let fifth: RunningNode;
let api: ApiPromise;
let eve: KeyringPair;

beforeAll(async () => {
  await cryptoWaitReady();
  dir = mkdtempSync(join(tmpdir(), "tensorchain-staking-"));
  const spec = JSON.parse(execFileSync(NODE_BIN, [CLI, "build-spec", "--chain", "devnet"], { encoding: "utf8" }));
  spec.genesis.runtimeGenesis.config.babe.slotDurationMs = SLOT_MS;
  spec.id = "devnet_fast_staking";
  const chain = join(dir, "spec.json");
  writeFileSync(chain, JSON.stringify(spec));

  const specs: NetworkNodeSpec[] = await Promise.all(
    [...DEVNET_VALIDATORS, "Eve"].map((name) => devNodeSpec(name, dir, name === "Eve" ? "full" : "validator")),
  );
  // The fifth node is a validator with no keys yet: it claims no slot until keys are rotated in.
  const started = await Promise.all(
    specs.map((s) =>
      startNode(networkNodeArgs(s, specs, chain, s.name === "Eve" ? ["--validator"] : []), { timeoutMs: 60_000 }),
    ),
  );
  nodes.push(...started);
  alice = started[0]!;
  fifth = started[4]!;
  api = await ApiPromise.create({ provider: new WsProvider(alice.url), noInitWarn: true, throwOnConnect: true });
  eve = new Keyring({ type: "sr25519" }).addFromUri("//Eve");
}, 90_000);

afterAll(async () => {
  await api?.disconnect();
  await Promise.all(nodes.map((n) => n.stop()));
  rmSync(dir, { recursive: true, force: true });
});

interface Included {
  blockHash: HexString;
  events: { section: string; method: string; data: string[] }[];
}

/**
 * Signs and sends as //Eve; resolves with the transaction's events once finalized (`until: "inBlock"`:
 * once in a block); rejects on a dispatch error. Finalized by default: with short slots forks are
 * common.
 */
async function send(
  tx: SubmittableExtrinsic<"promise">,
  until: "finalized" | "inBlock" = "finalized",
): Promise<Included> {
  return new Promise<Included>((resolve, reject) => {
    tx.signAndSend(eve, (result) => {
      if (result.status.isInvalid || result.status.isDropped || result.status.isUsurped)
        reject(new Error(`Transaction ${result.status.type}`));
      const done = until === "finalized" ? result.status.isFinalized : result.status.isInBlock;
      if (!done) return;
      if (result.dispatchError) {
        const err = result.dispatchError;
        if (err.isModule) {
          const meta = api.registry.findMetaError(err.asModule);
          reject(new Error(`${meta.section}.${meta.name}`));
        } else reject(new Error(err.toString()));
        return;
      }
      resolve({
        blockHash: (until === "finalized" ? result.status.asFinalized : result.status.asInBlock).toHex(),
        events: result.events.map(({ event }) => ({
          section: event.section,
          method: event.method,
          data: event.data.map((d) => d.toString()),
        })),
      });
    }).catch(reject);
  });
}

async function sessionValidators(): Promise<string[]> {
  return (await api.query.session.validators()).map((a) => a.toString());
}

async function currentEra(at?: HexString): Promise<number> {
  return (await (await queryAt(at)).staking.currentEra()).unwrap().toNumber();
}

async function activeEra(): Promise<number> {
  return (await api.query.staking.activeEra()).unwrap().index.toNumber();
}

/** Queries at a block (the one a transaction was included in), else at the best block. */
async function queryAt(at?: HexString) {
  return at ? (await api.at(at)).query : api.query;
}

async function reserved(at?: HexString): Promise<bigint> {
  return (await (await queryAt(at)).system.account(eve.address)).data.reserved.toBigInt();
}

async function ledger(
  at?: HexString,
): Promise<{ stash: string; total: bigint; active: bigint; unlocking: { value: bigint; era: number }[] } | undefined> {
  const l = await (await queryAt(at)).staking.ledger(eve.address);
  if (l.isNone) return undefined;
  const v = l.unwrap();
  return {
    stash: v.stash.toString(),
    total: v.total.toBigInt(),
    active: v.active.toBigInt(),
    unlocking: v.unlocking.map((c) => ({ value: c.value.toBigInt(), era: c.era.toNumber() })),
  };
}

const withdrawn = (r: Included) => r.events.filter((e) => e.section === "staking" && e.method === "Withdrawn");

/** The BABE authority index in a header's pre-digest. */
function authorIndex(logs: HexString[]): number {
  for (const log of logs) {
    const item = DigestItem.dec(fromHex(log));
    if (item.tag === "PreRuntime" && bytesEqual(item.value[0], BABE_ENGINE_ID))
      return PreDigest.dec(item.value[1]).value.authority_index;
  }
  throw new Error("no BABE pre-digest");
}

describe("a new validator through @polkadot/api", () => {
  let babeKey: HexString;
  let granKey: HexString;
  let joinedEra: number;
  let unlockEra: number;

  it("is not a validator at genesis", async () => {
    expect(await sessionValidators()).not.toContain(eve.address);
    expect((await api.query.staking.bonded(eve.address)).isNone).toBe(true);
    expect(await ledger()).toBeUndefined();
    expect(await reserved()).toBe(0n);
    expect((await api.query.staking.validators.keys()).map((k) => k.args[0].toString())).not.toContain(eve.address);
  });

  it("bonds, sets keys from author_rotateKeys on its node, and validates", async () => {
    const bonded = await send(api.tx.staking.bond(BOND, "Stash"));
    expect(bonded.events).toContainEqual({
      section: "staking",
      method: "Bonded",
      data: [eve.address, BOND.toString()],
    });
    expect(await ledger(bonded.blockHash)).toEqual({ stash: eve.address, total: BOND, active: BOND, unlocking: [] });
    expect(await reserved(bonded.blockHash)).toBe(BOND);

    const keys = await rpc<HexString>(fifth, "author_rotateKeys");
    expect(keys).toMatch(/^0x[0-9a-f]{128}$/);
    babeKey = keys.slice(0, 66) as HexString;
    granKey = `0x${keys.slice(66, 130)}` as HexString;
    expect(await rpc<boolean>(fifth, "author_hasSessionKeys", [keys])).toBe(true);
    const keysSet = await send(api.tx.session.setKeys(keys, "0x"));
    const next = (await (await queryAt(keysSet.blockHash)).session.nextKeys(eve.address)).unwrap();
    expect(next.toHex()).toBe(keys);

    const validated = await send(api.tx.staking.validate({ commission: COMMISSION, blocked: false }));
    const era = await currentEra(validated.blockHash);
    const prefs = await (await queryAt(validated.blockHash)).staking.validators(eve.address);
    expect(prefs.commission.toNumber()).toBe(COMMISSION);
    joinedEra = era;
    // Not in the set of the era it validated in.
    expect(await sessionValidators()).not.toContain(eve.address);
  }, 60_000);

  it("from a later era is in the validator set and authors blocks", async () => {
    await waitFor(
      async () => (await sessionValidators()).includes(eve.address) || undefined,
      120_000,
      "//Eve in the set",
    );
    expect(await activeEra()).toBeGreaterThan(joinedEra);
    // The fifth node authors; its blocks are on //Alice's canonical chain, under //Eve's BABE key.
    const seen = new Set<string>();
    const authored = await waitFor(
      async () => {
        for (const m of fifth.output().matchAll(/Prepared block for proposing number=(\d+) hash=(0x[0-9a-f]{64})/g)) {
          const [n, hash] = [Number(m[1]), m[2]!];
          if (seen.has(hash)) continue;
          const canonical = await rpc<string | null>(alice, "chain_getBlockHash", [n]);
          const best = Number((await rpc<{ number: string }>(alice, "chain_getHeader")).number);
          if (canonical === hash) return { n, hash: hash as HexString };
          if (best >= n + 3) seen.add(hash); // lost a fork race: look for another
        }
        return undefined;
      },
      60_000,
      "a block by //Eve on the canonical chain",
    );
    const header = await rpc<{ digest: { logs: HexString[] } }>(alice, "chain_getHeader", [authored.hash]);
    const authorities = await (await api.at(authored.hash)).query.session.authorities();
    const records = authorities as unknown as { account: { toString(): string }; babe: { toHex(): string } }[];
    const record = records[authorIndex(header.digest.logs)];
    expect(record?.account.toString()).toBe(eve.address);
    expect(record?.babe.toHex()).toBe(babeKey);
    // The block earned //Eve reward points in its era (REWARD_POINTS_PER_BLOCK each).
    const at = await api.at(authored.hash);
    const era = (await at.query.staking.activeEra()).unwrap().index.toNumber();
    const points = await at.query.staking.erasRewardPoints(era);
    const mine = [...points.individual.entries()].find(([who]) => who.toString() === eve.address)?.[1];
    expect(mine?.toNumber()).toBeGreaterThanOrEqual(20);

    // Its node, which had no keys when it started, votes in GRANDPA with the rotated key: a
    // justification made by the new set carries its precommit.
    const from = Number((await rpc<{ number: string }>(alice, "chain_getHeader", [authored.hash])).number);
    let scanned = from;
    await waitFor(
      async () => {
        const finalized = await rpc<HexString>(alice, "chain_getFinalizedHead");
        const top = Number((await rpc<{ number: string }>(alice, "chain_getHeader", [finalized])).number);
        for (; scanned <= top; scanned++) {
          const hash = await rpc<HexString>(alice, "chain_getBlockHash", [scanned]);
          const block = await rpc<{ justifications: [HexString, HexString][] | null }>(alice, "chain_getBlock", [hash]);
          const grandpa = block.justifications?.find(([engine]) => engine === "0x46524e4b");
          if (!grandpa) continue;
          const { commit } = GrandpaJustification.dec(fromHex(grandpa[1]));
          if (commit.precommits.some((p) => toHex(p.id) === granKey)) return true;
        }
        return undefined;
      },
      60_000,
      "a justification with //Eve's precommit",
    );
  }, 200_000);

  it("chills and unbonds; from a later era it is out of the set; withdraws only after the bonding period", async () => {
    const chilled = await send(api.tx.staking.chill());
    expect(chilled.events.map((e) => `${e.section}.${e.method}`)).toContain("staking.Chilled");
    const unbonded = await send(api.tx.staking.unbond(BOND));
    const era = await currentEra(unbonded.blockHash);
    unlockEra = era + BONDING_DURATION;
    const allUnlocking = { stash: eve.address, total: BOND, active: 0n, unlocking: [{ value: BOND, era: unlockEra }] };
    expect(await ledger(unbonded.blockHash)).toEqual(allUnlocking);
    expect(await reserved(unbonded.blockHash)).toBe(BOND);

    const activeAtUnbond = await activeEra();
    await waitFor(async () => !(await sessionValidators()).includes(eve.address) || undefined, 120_000, "//Eve out");
    expect(await activeEra()).toBeGreaterThan(activeAtUnbond - 1);

    // Before the bonding period: nothing is released.
    const early = await send(api.tx.staking.withdrawUnbonded(0));
    expect(await currentEra(early.blockHash)).toBeLessThan(unlockEra);
    expect(withdrawn(early)).toEqual([]);
    expect(await ledger(early.blockHash)).toEqual(allUnlocking);
    expect(await reserved(early.blockHash)).toBe(BOND);

    // After it: all of it, and the stash is done with staking.
    await waitFor(async () => (await currentEra()) >= unlockEra || undefined, 120_000, `era ${unlockEra}`);
    const late = await send(api.tx.staking.withdrawUnbonded(0));
    expect(withdrawn(late)).toEqual([
      { section: "staking", method: "Withdrawn", data: [eve.address, BOND.toString()] },
    ]);
    expect(await ledger(late.blockHash)).toBeUndefined();
    expect((await (await queryAt(late.blockHash)).staking.bonded(eve.address)).isNone).toBe(true);
    expect(await reserved(late.blockHash)).toBe(0n);
    expect(await sessionValidators()).not.toContain(eve.address);
  }, 300_000);
});
