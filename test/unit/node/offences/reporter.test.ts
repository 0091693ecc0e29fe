import { beforeAll, describe, expect, it } from "@jest/globals";
import { OffenceReporter } from "../../../../node/offences/reporter.js";
import { keypairFromSuri } from "../../../../primitives/crypto/index.js";
import { cryptoReady } from "../../../../primitives/hashing.js";
import { nullLogger } from "../../../../primitives/logger.js";
import { parseExtrinsic, RuntimeCall, type TransactionSource } from "../../../../runtime/index.js";
import { babeEvidence, grandpaEvidence } from "../../../helpers/equivocation.js";

beforeAll(async () => {
  await cryptoReady();
});

/** A pool that records what it is given and refuses what `refuse` says. */
function fakePool(refuse: (n: number) => boolean = () => false) {
  const submitted: { source: TransactionSource; tx: Uint8Array }[] = [];
  return {
    submitted,
    async submit(source: TransactionSource, tx: Uint8Array): Promise<string> {
      submitted.push({ source, tx });
      if (refuse(submitted.length)) throw Object.assign(new Error("invalid"), { type: { code: "X", reason: "stale" } });
      return "0x00";
    },
  };
}

const alice = keypairFromSuri("//Alice", "sr25519");
const bob = keypairFromSuri("//Bob", "ed25519");

describe("OffenceReporter", () => {
  it("submits each offence once, locally, as an unsigned Offences.report_equivocation", async () => {
    const pool = fakePool();
    const reporter = new OffenceReporter({ maxRemembered: 8 }, { pool, logger: nullLogger });
    const babe = babeEvidence(alice, { number: 1, slot: 5n, authorityIndex: 0 });
    await reporter.report(babe);
    await reporter.report(babe);
    // Other evidence of the same offence (offender and slot) is not submitted again.
    await reporter.report(babeEvidence(alice, { number: 2, slot: 5n, authorityIndex: 0 }));
    await reporter.report(grandpaEvidence(bob, { setId: 0n, round: 1n }));
    await reporter.report(grandpaEvidence(bob, { setId: 0n, round: 2n }));
    expect(pool.submitted.map((s) => s.source)).toEqual(["local", "local", "local"]);
    const parsed = parseExtrinsic(pool.submitted[0]!.tx);
    expect(parsed.signed).toBeUndefined();
    expect(RuntimeCall.dec(parsed.callBytes)).toEqual({
      tag: "Offences",
      value: { tag: "report_equivocation", value: { equivocation_proof: babe } },
    });
  });

  it("never throws when the pool refuses, and forgets the oldest offences beyond its bound", async () => {
    const pool = fakePool((n) => n === 1);
    const reporter = new OffenceReporter({ maxRemembered: 2 }, { pool, logger: nullLogger });
    const rounds = [1n, 2n, 3n].map((round) => grandpaEvidence(bob, { setId: 0n, round }));
    for (const e of rounds) await expect(reporter.report(e)).resolves.toBeUndefined();
    expect(pool.submitted).toHaveLength(3);
    await reporter.report(rounds[0]!);
    expect(pool.submitted).toHaveLength(4);
    await reporter.report(rounds[2]!);
    expect(pool.submitted).toHaveLength(4);
  });
});
